package node

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
)

// maxFinalityEntries bounds the memory of safe blocks awaiting L1 finality.
const maxFinalityEntries = 4096

type finalityEntry struct {
	l2          eth.L2BlockRef
	derivedFrom eth.L1BlockRef
}

// finalizer makes L2 blocks final once the L1 block they were derived from
// is final on L1, and carries that to the engine.
type finalizer struct {
	heads   *heads.State
	eng     *enginectl.Controller
	l1      func() l1source.Source
	view    *l1View
	log     hclog.Logger
	entries []finalityEntry
	// dirty: safe blocks were recorded since the last attempt, so the same
	// L1 finalized block may now finalize more.
	dirty bool
}

// record notes a new safe block and the L1 block it was derived from.
func (f *finalizer) record(l2 eth.L2BlockRef, from eth.L1BlockRef) {
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

func (f *finalizer) OnEvent(ctx context.Context, ev loop.Event) {
	switch e := ev.(type) {
	case L1HeadChanged:
		if e.Label == eth.Finalized {
			f.tryFinalize(ctx)
		}
	case loop.Step:
		if f.dirty {
			f.tryFinalize(ctx)
		}
	}
}

func (f *finalizer) tryFinalize(ctx context.Context) {
	fin := f.view.finalized
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
	canon, err := f.l1().BlockRefByNumber(ctx, best.derivedFrom.Number)
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
