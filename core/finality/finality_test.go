package finality

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/eth"
)

func l1(n uint64) eth.L1BlockRef { return eth.L1BlockRef{Hash: common.Hash{1, byte(n)}, Number: n} }
func l2(n uint64) eth.L2BlockRef { return eth.L2BlockRef{Hash: common.Hash{2, byte(n)}, Number: n} }

type canonical map[uint64]common.Hash

func (c canonical) BlockRefByNumber(_ context.Context, n uint64) (eth.L1BlockRef, error) {
	return eth.L1BlockRef{Hash: c[n], Number: n}, nil
}

type labels struct{ fin eth.L1BlockRef }

func (l *labels) Finalized() eth.L1BlockRef { return l.fin }

type engine struct{ fcus int }

func (e *engine) Forkchoice(context.Context) error { e.fcus++; return nil }

// Blocks become final when the L1 block they were derived from does, the
// highest such block wins, a non-canonical derived-from block finalizes
// nothing, and finalized never moves back.
func TestFinalizer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := heads.New(heads.Heads{Unsafe: l2(20), CrossUnsafe: l2(20), PendingSafe: l2(20), LocalSafe: l2(20), Safe: l2(20)}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	chain := canonical{}
	for n := uint64(0); n < 20; n++ {
		chain[n] = l1(n).Hash
	}
	view, eng := &labels{}, &engine{}
	f := New(Config{Heads: st, L1: chain, Labels: view, Engine: eng})
	for i := uint64(1); i <= 10; i++ {
		f.Record(l2(2*i), l1(i)) // L2 2i was derived from L1 i
	}
	f.OnEvent(ctx, loop.Step{}) // no L1 finality yet
	if st.Get().Finalized.Number != 0 {
		t.Fatal("finalized without L1 finality")
	}
	view.fin = l1(4)
	f.OnEvent(ctx, l1view.HeadChanged{Label: eth.Finalized, Ref: l1(4)})
	if got := st.Get().Finalized; got != l2(8) || eng.fcus != 1 {
		t.Fatalf("finalized %v (fcus %d), want L2 8", got, eng.fcus)
	}
	// L1 block 6 reorged away: nothing more is finalized from it.
	chain[6] = common.Hash{9}
	view.fin = l1(6)
	f.OnEvent(ctx, l1view.HeadChanged{Label: eth.Finalized, Ref: l1(6)})
	if got := st.Get().Finalized; got != l2(8) {
		t.Fatalf("finalized %v from a non-canonical L1 block", got)
	}
	// A reset re-derives from L2 6: entries above are forgotten, and the
	// finalized head does not go back.
	chain[6] = l1(6).Hash
	f.Record(l2(6), l1(3))
	f.OnEvent(ctx, loop.Step{})
	if got := st.Get().Finalized; got != l2(8) {
		t.Fatalf("finalized moved to %v", got)
	}
	f.Record(l2(12), l1(6))
	f.OnEvent(ctx, loop.Step{})
	if got := st.Get().Finalized; got != l2(12) {
		t.Fatalf("finalized %v, want L2 12", got)
	}
}
