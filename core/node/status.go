package node

import (
	"sync/atomic"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/rpc"
	"github.com/opalnode/opal/core/superroot"
	"github.com/opalnode/opal/sdk/eth"
)

// statusBoard holds the sync status the loop published after its last
// dispatch: readers off the loop (RPC) take it without waiting on the
// loop, so a busy loop never makes them block or answer half a status.
type statusBoard struct {
	cur atomic.Pointer[rpc.SyncStatus]
}

func (b *statusBoard) publish(st *rpc.SyncStatus) { b.cur.Store(st) }

// SyncStatus implements rpc.Status.
func (b *statusBoard) SyncStatus() *rpc.SyncStatus {
	if st := b.cur.Load(); st != nil {
		cp := *st
		return &cp
	}
	return &rpc.SyncStatus{}
}

// snapshot reads the loop's state; it runs on the loop goroutine (or before
// the loop starts).
func (n *Node) snapshot() *rpc.SyncStatus {
	h := n.heads.Get()
	st := &rpc.SyncStatus{
		UnsafeL2: h.Unsafe, SafeL2: h.Safe, FinalizedL2: h.Finalized, PendingSafeL2: h.PendingSafe,
		CrossUnsafeL2: h.CrossUnsafe, LocalSafeL2: h.LocalSafe,
		HeadL1: n.view.Head(), SafeL1: n.view.Safe(), FinalizedL1: n.view.Finalized(), CurrentL1Finalized: n.view.Finalized(),
	}
	switch {
	case n.derive != nil:
		st.CurrentL1 = n.derive.Origin()
	case n.follow != nil:
		st.CurrentL1 = n.follow.CurrentL1()
	}
	return st
}

func (n *Node) superrootStatus() superroot.Status {
	st := n.status.SyncStatus()
	return superroot.Status{CurrentL1: st.CurrentL1, LocalSafe: st.LocalSafeL2, Safe: st.SafeL2, Finalized: st.FinalizedL2}
}

// safeIndex answers from the safe-head index, after the writer's pending
// records are on disk.
type safeIndex struct{ n *Node }

func (s safeIndex) Flush() error { return s.n.writer.Flush() }

func (s safeIndex) SafeHeadAt(l1Number uint64) (heads.SafeHeadEntry, error) {
	return s.n.store.SafeHeadAt(l1Number)
}

func (s safeIndex) L1AtSafeHead(l2Number uint64) (eth.BlockID, error) {
	if err := s.n.writer.Flush(); err != nil {
		return eth.BlockID{}, err
	}
	e, err := s.n.store.FirstSafeAtLeast(l2Number)
	return e.L1, err
}
