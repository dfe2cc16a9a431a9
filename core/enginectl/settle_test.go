package enginectl

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// fcuCounter counts forkchoiceUpdated calls without attributes.
type fcuCounter struct {
	*sdktest.FakeEngine
	plain int
}

func (c *fcuCounter) ForkchoiceUpdated(ctx context.Context, st engine.ForkchoiceState, attrs *eth.PayloadAttributes) (engine.ForkchoiceResult, error) {
	if attrs == nil {
		c.plain++
	}
	return c.FakeEngine.ForkchoiceUpdated(ctx, st, attrs)
}

// Derived blocks leave the head update to the next build's
// forkchoiceUpdated; Settle sends what is left, once, and only when the
// engine does not have it.
func TestDerivedHeadsRideOnTheNextBuild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	genesis := eth.L2BlockRef{Hash: common.HexToHash("0x2222"), Number: 0, Time: 1000}
	eng := &fcuCounter{FakeEngine: sdktest.NewFakeEngine(genesis)}
	st, err := heads.New(heads.At(genesis), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctl := New(Config{Rollup: sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x1")}), Engine: eng, Heads: st, Metrics: metrics.New()})
	parent := genesis
	for i := 0; i < 5; i++ {
		if err := ctl.ProcessDerived(ctx, &deriver.DerivedAttributes{Attributes: attrsFor(parent, byte(i)), Parent: parent, IsLastInSpan: true}); err != nil {
			t.Fatal(err)
		}
		parent = st.Get().Safe
		if head, _ := eng.L2BlockRefByLabel(ctx, eth.Unsafe); i > 0 && head.Number != parent.Number-1 {
			t.Fatalf("after block %d the engine's head is %d, want the block before (set by the build)", parent.Number, head.Number)
		}
	}
	if eng.plain != 0 {
		t.Fatalf("%d forkchoiceUpdated without attributes while deriving", eng.plain)
	}
	if err := ctl.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ctl.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	head, _ := eng.L2BlockRefByLabel(ctx, eth.Unsafe)
	safe, _ := eng.L2BlockRefByLabel(ctx, eth.Safe)
	if eng.plain != 1 || head != parent || safe != parent {
		t.Fatalf("after Settle: %d plain forkchoiceUpdated, engine head %v safe %v, want one and %v", eng.plain, head, safe, parent)
	}
}
