package node

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
)

// l1View is the core's view of the L1 heads, updated from the L1 source's
// head stream on the loop goroutine.
type l1View struct {
	head, safe, finalized eth.L1BlockRef
	metrics               *metrics.Metrics
}

func (v *l1View) OnEvent(_ context.Context, ev loop.Event) {
	e, ok := ev.(L1HeadChanged)
	if !ok {
		return
	}
	switch e.Label {
	case eth.Unsafe:
		v.head = e.Ref
		v.metrics.L1Head.Set(float64(e.Ref.Number))
	case eth.Safe:
		v.safe = e.Ref
		v.metrics.L1Safe.Set(float64(e.Ref.Number))
	case eth.Finalized:
		v.finalized = e.Ref
		v.metrics.L1Finalized.Set(float64(e.Ref.Number))
	}
}

// watchL1 forwards the L1 source's head updates to the loop until ctx is
// done, re-subscribing after failures (e.g. while the plugin restarts).
func watchL1(ctx context.Context, src func() l1source.Source, lp *loop.Loop, log hclog.Logger) {
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		// Seed the view: a subscription may only report changes.
		for _, l := range []eth.BlockLabel{eth.Unsafe, eth.Safe, eth.Finalized} {
			if ref, err := src().BlockRefByLabel(ctx, l); err == nil {
				_ = lp.Emit(ctx, L1HeadChanged{Label: l, Ref: ref})
			}
		}
		err := src().WatchHeads(ctx, func(u l1source.HeadUpdate) {
			_ = lp.Emit(ctx, L1HeadChanged{Label: u.Label, Ref: u.Ref})
			lp.RequestStep()
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("L1 head subscription ended, resubscribing", "err", err, "in", backoff)
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}
