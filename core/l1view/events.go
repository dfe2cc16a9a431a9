package l1view

import "github.com/opalnode/opal/sdk/eth"

// HeadChanged: the L1 source saw its head, safe or finalized block move.
type HeadChanged struct {
	Label eth.BlockLabel
	Ref   eth.L1BlockRef
}

func (HeadChanged) String() string { return "l1-head-changed" }
