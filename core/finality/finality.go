// Package finality makes L2 blocks final once the L1 block they were
// derived from is final on L1, and carries that to the engine. It moves the
// finalized head.
package finality

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/eth"
)

// maxFinalityEntries bounds the memory of safe blocks awaiting L1 finality.
const maxFinalityEntries = 4096

type finalityEntry struct {
	l2          eth.L2BlockRef
	derivedFrom eth.L1BlockRef
}

// Heads is the finalizer's access to the heads.
type Heads interface {
	Get() heads.Heads
	SetFinalized(ref eth.L2BlockRef, reason string) error
}

// L1 checks that a derived-from block is still canonical.
type L1 interface {
	BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
}

// Labels is the L1 view's finalized block.
type Labels interface {
	Finalized() eth.L1BlockRef
}

// Engine tells the engine the new finalized head.
type Engine interface {
	Forkchoice(ctx context.Context) error
}

// Config of the finalizer.
type Config struct {
	Heads  Heads
	L1     L1
	Labels Labels
	Engine Engine
	Log    hclog.Logger
}

// Finalizer keeps the safe blocks awaiting L1 finality. It runs on the loop
// goroutine.
type Finalizer struct {
	heads   Heads
	eng     Engine
	l1      L1
	view    Labels
	log     hclog.Logger
	entries []finalityEntry
	// dirty: safe blocks were recorded since the last attempt, so the same
	// L1 finalized block may now finalize more.
	dirty bool
}

// Record notes a new safe block and the L1 block it was derived from.
// New returns a finalizer with nothing recorded.
func New(c Config) *Finalizer {
	if c.Log == nil {
		c.Log = hclog.NewNullLogger()
	}
	return &Finalizer{heads: c.Heads, eng: c.Engine, l1: c.L1, view: c.Labels, log: c.Log}
}

func (f *Finalizer) Record(l2 eth.L2BlockRef, from eth.L1BlockRef) {
	if n := len(f.entries); n > 0 && f.entries[n-1].l2.Number >= l2.Number {
		// A reset re-derived lower blocks: forget what is above.
		i := 0
		for i < n && f.entries[i].l2.Number < l2.Number {
			i++
		}
		f.entries = f.entries[:i]
	}
	f.entries = append(f.entries, finalityEntry{l2, from})
	f.dirty = true
	if len(f.entries) > maxFinalityEntries {
		f.entries = f.entries[len(f.entries)-maxFinalityEntries:]
	}
}

// OnEvent implements loop.Handler.
func (f *Finalizer) OnEvent(ctx context.Context, ev loop.Event) {
	switch e := ev.(type) {
	case l1view.HeadChanged:
		if e.Label == eth.Finalized {
			f.tryFinalize(ctx)
		}
	case loop.Step:
		if f.dirty {
			f.tryFinalize(ctx)
		}
	}
}

func (f *Finalizer) tryFinalize(ctx context.Context) {
	fin := f.view.Finalized()
	if fin.Hash == (eth.L1BlockRef{}).Hash {
		return
	}
	var best *finalityEntry
	keep := 0
	for i := range f.entries {
		if f.entries[i].derivedFrom.Number <= fin.Number {
			best = &f.entries[i]
			keep = i
		}
	}
	f.dirty = false
	if best == nil {
		return
	}
	// The block it was derived from must still be canonical.
	canon, err := f.l1.BlockRefByNumber(ctx, best.derivedFrom.Number)
	if err != nil || canon.Hash != best.derivedFrom.Hash {
		f.log.Warn("derived-from L1 block is no longer canonical; not finalizing", "l1", best.derivedFrom, "err", err)
		return
	}
	h := f.heads.Get()
	if best.l2.Number <= h.Finalized.Number {
		return
	}
	if err := f.heads.SetFinalized(best.l2, "L1 finalized "+fin.String()); err != nil {
		f.log.Error("cannot finalize", "l2", best.l2, "err", err)
		return
	}
	f.entries = f.entries[keep:]
	if err := f.eng.Forkchoice(ctx); err != nil {
		f.log.Warn("forkchoiceUpdated after finalization failed; retried with the next update", "err", err)
	}
}
