package node

import (
	"github.com/opalnode/opal/core/superroot"
	"github.com/opalnode/opal/sdk/eth"
)

func (n *Node) superrootStatus() superroot.Status {
	st := n.syncStatus()
	return superroot.Status{CurrentL1: st.CurrentL1, LocalSafe: st.LocalSafeL2, Safe: st.SafeL2, Finalized: st.FinalizedL2}
}

// safeIndex answers from the safe-head index, after the writer's pending
// records are on disk.
type safeIndex struct{ n *Node }

func (s safeIndex) L1AtSafeHead(l2Number uint64) (eth.BlockID, error) {
	if err := s.n.writer.Flush(); err != nil {
		return eth.BlockID{}, err
	}
	e, err := s.n.store.FirstSafeAtLeast(l2Number)
	return e.L1, err
}
