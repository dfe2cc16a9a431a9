package heads

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
)

type fakeChain struct {
	blocks map[uint64]eth.L2BlockRef
	labels map[eth.BlockLabel]uint64
}

func (f fakeChain) L2BlockRefByLabel(_ context.Context, l eth.BlockLabel) (eth.L2BlockRef, error) {
	n, ok := f.labels[l]
	if !ok {
		return eth.L2BlockRef{}, eth.ErrNotFound
	}
	return f.blocks[n], nil
}

func (f fakeChain) L2BlockRefByNumber(_ context.Context, n uint64) (eth.L2BlockRef, error) {
	r, ok := f.blocks[n]
	if !ok {
		return eth.L2BlockRef{}, eth.ErrNotFound
	}
	return r, nil
}

func chainOf(n uint64, fork byte) fakeChain {
	c := fakeChain{blocks: map[uint64]eth.L2BlockRef{}, labels: map[eth.BlockLabel]uint64{}}
	for i := uint64(0); i <= n; i++ {
		c.blocks[i] = eth.L2BlockRef{Hash: common.Hash{fork, byte(i)}, Number: i}
	}
	return c
}

// Recovery takes the engine's labels, improves safe and finalized from the
// store where the stored blocks are still canonical, and keeps the order.
func TestRecover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// A fresh engine: no labels, everything at genesis.
	h, err := Recover(ctx, chainOf(0, 1), st, 0, nil)
	if err != nil || h != At(chainOf(0, 1).blocks[0]) {
		t.Fatalf("fresh: %+v %v", h, err)
	}

	// The engine labels unsafe 10 and safe 4; the store remembers safe 8 and
	// finalized 6 on the same chain.
	c := chainOf(10, 1)
	c.labels[eth.Unsafe], c.labels[eth.Safe], c.labels[eth.Finalized] = 10, 4, 2
	stored := At(c.blocks[8])
	stored.Unsafe, stored.CrossUnsafe = c.blocks[10], c.blocks[10]
	stored.Finalized = c.blocks[6]
	if err := st.SaveHeads(stored); err != nil {
		t.Fatal(err)
	}
	h, err = Recover(ctx, c, st, 0, nil)
	if err != nil || h.Unsafe.Number != 10 || h.Safe.Number != 8 || h.LocalSafe.Number != 8 || h.Finalized.Number != 6 {
		t.Fatalf("with the store: %+v %v", h, err)
	}

	// On another chain the stored heads are not canonical: the engine's
	// labels stand.
	other := chainOf(10, 2)
	other.labels[eth.Unsafe], other.labels[eth.Safe], other.labels[eth.Finalized] = 10, 4, 2
	h, err = Recover(ctx, other, st, 0, nil)
	if err != nil || h.Safe.Number != 4 || h.Finalized.Number != 2 {
		t.Fatalf("stored heads of another chain: %+v %v", h, err)
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}
