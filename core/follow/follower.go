package follow

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/eth"
)

// Heads is the follower's access to the heads: it reads them and moves
// pending-safe, local-safe, safe and finalized together.
type Heads interface {
	Get() heads.Heads
	Update(change func(h *heads.Heads), reason string) error
}

// Engine is what the follower asks of engine control.
type Engine interface {
	// L2BlockRefByNumber is the engine's canonical block at number.
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	// Forkchoice tells the engine the current heads.
	Forkchoice(ctx context.Context) error
}

// Follower moves the heads to the source's once the node's own unsafe chain
// holds the source's local-safe block. It runs on the loop goroutine.
type Follower struct {
	heads  Heads
	engine Engine
	log    hclog.Logger
	// recordSafe is told each new safe head and the source's current L1
	// (the safe-head index).
	recordSafe func(l2 eth.L2BlockRef, from eth.L1BlockRef)

	pending   *Status
	currentL1 eth.L1BlockRef
	waiting   uint64 // the unsafe block last logged as awaited
}

// NewFollower builds the loop handler.
func NewFollower(h Heads, e Engine, log hclog.Logger, recordSafe func(eth.L2BlockRef, eth.L1BlockRef)) *Follower {
	if recordSafe == nil {
		recordSafe = func(eth.L2BlockRef, eth.L1BlockRef) {}
	}
	return &Follower{heads: h, engine: e, log: log, recordSafe: recordSafe}
}

// CurrentL1 is the source's current L1 as last taken (this node's
// current_l1 in follow mode).
func (f *Follower) CurrentL1() eth.L1BlockRef { return f.currentL1 }

// OnEvent takes a new status, and after any event tries to apply the
// pending one (an unsafe payload may have brought the awaited block).
func (f *Follower) OnEvent(ctx context.Context, ev loop.Event) {
	if u, ok := ev.(Update); ok {
		st := u.Status
		f.pending = &st
	}
	if f.pending != nil {
		f.apply(ctx)
	}
}

// apply moves the heads to the pending status when the node's chain has
// the source's local-safe block. Heads only move forward: a source behind
// this node (restarted, or resyncing) is waited for.
func (f *Follower) apply(ctx context.Context) {
	st := *f.pending
	h := f.heads.Get()
	if st.LocalSafe.Number > h.Unsafe.Number {
		if f.waiting != st.LocalSafe.Number {
			f.waiting = st.LocalSafe.Number
			f.log.Debug("follow: waiting for the unsafe chain to reach the source's local-safe block", "unsafe", h.Unsafe.Number, "local_safe", st.LocalSafe.ID())
		}
		return
	}
	for _, ref := range []eth.L2BlockRef{st.LocalSafe, st.Safe, st.Finalized} {
		got, err := f.engine.L2BlockRefByNumber(ctx, ref.Number)
		if err != nil {
			f.log.Warn("follow: cannot read the local block at the source's head", "number", ref.Number, "err", err)
			return
		}
		if got.Hash != ref.Hash {
			// The unsafe chain went another way than the source's safe
			// chain; the source's blocks must arrive as unsafe payloads
			// first (they reorg the unsafe chain).
			f.log.Warn("follow: the local chain differs from the source's", "number", ref.Number, "local", got.Hash, "source", ref.Hash)
			f.pending = nil
			return
		}
	}
	f.pending = nil
	f.currentL1 = st.CurrentL1
	if st.LocalSafe.Number <= h.LocalSafe.Number && st.Safe.Number <= h.Safe.Number && st.Finalized.Number <= h.Finalized.Number {
		return
	}
	err := f.heads.Update(func(n *heads.Heads) {
		if st.LocalSafe.Number > n.LocalSafe.Number {
			n.LocalSafe = st.LocalSafe
			if n.PendingSafe.Number < st.LocalSafe.Number {
				n.PendingSafe = st.LocalSafe
			}
		}
		if st.Safe.Number > n.Safe.Number {
			n.Safe = st.Safe
		}
		if st.Finalized.Number > n.Finalized.Number {
			n.Finalized = st.Finalized
		}
	}, "follow source")
	if err != nil {
		f.log.Error("follow: heads not moved", "err", err)
		return
	}
	if st.Safe.Number > h.Safe.Number {
		f.recordSafe(st.Safe, st.CurrentL1)
	}
	if err := f.engine.Forkchoice(ctx); err != nil {
		f.log.Warn("follow: forkchoiceUpdated", "err", err)
	}
}
