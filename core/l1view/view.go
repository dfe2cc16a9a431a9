// Package l1view is the core's view of the L1 heads (head, safe,
// finalized): Watch forwards the L1 source's head stream to the loop as
// HeadChanged events, and View keeps the latest of each on the loop
// goroutine for the components that read it there.
package l1view

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/backoff"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
)

// View holds the L1 heads as last reported. It is read and written on the
// loop goroutine only.
type View struct {
	head, safe, finalized eth.L1BlockRef
	m                     *metrics.Metrics
}

// New returns an empty view; m may be nil.
func New(m *metrics.Metrics) *View { return &View{m: m} }

// Head, Safe and Finalized are the latest reported L1 blocks of each label.
func (v *View) Head() eth.L1BlockRef      { return v.head }
func (v *View) Safe() eth.L1BlockRef      { return v.safe }
func (v *View) Finalized() eth.L1BlockRef { return v.finalized }

// OnEvent implements loop.Handler.
func (v *View) OnEvent(_ context.Context, ev loop.Event) {
	e, ok := ev.(HeadChanged)
	if !ok {
		return
	}
	switch e.Label {
	case eth.Unsafe:
		v.head = e.Ref
		v.gauge(func(m *metrics.Metrics) { m.L1Head.Set(float64(e.Ref.Number)) })
	case eth.Safe:
		v.safe = e.Ref
		v.gauge(func(m *metrics.Metrics) { m.L1Safe.Set(float64(e.Ref.Number)) })
	case eth.Finalized:
		v.finalized = e.Ref
		v.gauge(func(m *metrics.Metrics) { m.L1Finalized.Set(float64(e.Ref.Number)) })
	}
}

func (v *View) gauge(set func(*metrics.Metrics)) {
	if v.m != nil {
		set(v.m)
	}
}

// Source is what Watch reads: the L1 source plugin.
type Source interface {
	BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L1BlockRef, error)
	WatchHeads(ctx context.Context, fn func(l1source.HeadUpdate)) error
}

// Loop is where Watch delivers.
type Loop interface {
	Emit(ctx context.Context, ev loop.Event) error
	RequestStep()
}

// Watch forwards the source's head updates to the loop until ctx is done,
// re-subscribing with backoff after failures (e.g. while the plugin
// restarts). Each subscription starts by reading the three labels, since a
// subscription may only report changes.
func Watch(ctx context.Context, src Source, out Loop, log hclog.Logger) {
	b := backoff.Backoff{Min: 200 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		for _, l := range []eth.BlockLabel{eth.Unsafe, eth.Safe, eth.Finalized} {
			if ref, err := src.BlockRefByLabel(ctx, l); err == nil {
				_ = out.Emit(ctx, HeadChanged{Label: l, Ref: ref})
			}
		}
		var delivered atomic.Bool
		err := src.WatchHeads(ctx, func(u l1source.HeadUpdate) {
			delivered.Store(true)
			_ = out.Emit(ctx, HeadChanged{Label: u.Label, Ref: u.Ref})
			out.RequestStep()
		})
		if ctx.Err() != nil {
			return
		}
		if delivered.Load() {
			b.Reset() // the subscription worked for a while
		}
		d := b.Next()
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("L1 head subscription ended, resubscribing", "err", err, "in", d)
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return
		}
	}
}
