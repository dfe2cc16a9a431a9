package node

import (
	"context"
	"testing"

	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// An L1 reorg below the derivation origin resets derivation: the safe head
// walks back to a block whose origin is still canonical and the chain is
// derived again on the new L1 branch.
func TestL1ReorgResetsDerivation(t *testing.T) {
	chain := sdktest.NewL1Chain(10)
	n, src, _ := fakeNodeWith(t, t.TempDir(), chain, nil)
	waitFor(t, "safe head 10", func() bool { return n.Heads().Safe.Number == 10 })
	before := n.Heads().Safe

	fork := chain.Fork(8, 12, 7) // above L1 finalized (block 6)
	src.SetChain(fork)
	head := eth.HeaderRef(fork.Head().Header())
	if err := n.lp.Emit(context.Background(), l1view.HeadChanged{Label: eth.Unsafe, Ref: head}); err != nil {
		t.Fatal(err)
	}
	n.lp.RequestStep()
	waitFor(t, "safe head 12 on the fork", func() bool { return n.Heads().Safe.Number == 12 })
	after := n.Heads()
	if after.Safe.L1Origin.Hash != fork.Blocks[12].Hash() {
		t.Fatalf("safe head %v derived from %v, want the fork's block 12 %s", after.Safe, after.Safe.L1Origin, fork.Blocks[12].Hash())
	}
	// Blocks derived from the unchanged L1 prefix are kept; the rest replaced.
	l2at := func(num uint64) eth.L2BlockRef {
		ref, err := n.engine().L2BlockRefByNumber(context.Background(), num)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	if got := l2at(7); got.L1Origin.Hash != chain.Blocks[7].Hash() {
		t.Fatalf("L2 block 7 origin %v, want the shared L1 block 7", got.L1Origin)
	}
	if got := l2at(10); got.Hash == before.Hash {
		t.Fatal("L2 block 10 was not re-derived on the fork")
	}
	if m := n.metrics; testCounter(m.Resets) == 0 {
		t.Fatal("no reset counted")
	}
}
