package eth

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// BlockID identifies a block by hash and number.
type BlockID struct {
	Hash   common.Hash `json:"hash"`
	Number uint64      `json:"number"`
}

func (id BlockID) String() string {
	return fmt.Sprintf("%s:%d", id.Hash.TerminalString(), id.Number)
}

// L1BlockRef is the part of an L1 header derivation needs to walk the chain.
type L1BlockRef struct {
	Hash       common.Hash `json:"hash"`
	Number     uint64      `json:"number"`
	ParentHash common.Hash `json:"parentHash"`
	Time       uint64      `json:"timestamp"`
}

// ID returns the block's id.
func (r L1BlockRef) ID() BlockID { return BlockID{Hash: r.Hash, Number: r.Number} }

// ParentID returns the id of the block's parent. The parent of block 0 is
// reported as block 0 with the zero hash.
func (r L1BlockRef) ParentID() BlockID {
	n := r.Number
	if n > 0 {
		n--
	}
	return BlockID{Hash: r.ParentHash, Number: n}
}

func (r L1BlockRef) String() string { return r.ID().String() }

// L2BlockRef is an L2 block with the L1 origin and sequence number decoded
// from its L1-info deposit.
type L2BlockRef struct {
	Hash           common.Hash `json:"hash"`
	Number         uint64      `json:"number"`
	ParentHash     common.Hash `json:"parentHash"`
	Time           uint64      `json:"timestamp"`
	L1Origin       BlockID     `json:"l1origin"`
	SequenceNumber uint64      `json:"sequenceNumber"`
}

// ID returns the block's id.
func (r L2BlockRef) ID() BlockID { return BlockID{Hash: r.Hash, Number: r.Number} }

// ParentID returns the id of the block's parent.
func (r L2BlockRef) ParentID() BlockID {
	n := r.Number
	if n > 0 {
		n--
	}
	return BlockID{Hash: r.ParentHash, Number: n}
}

func (r L2BlockRef) String() string { return r.ID().String() }

// BlockLabel names a moving head of a chain.
type BlockLabel int

const (
	// Unsafe is the newest block ("latest" in JSON-RPC).
	Unsafe BlockLabel = iota + 1
	// Safe is the newest block derived from (L1: justified by) the parent chain.
	Safe
	// Finalized is the newest block that cannot be reorged.
	Finalized
)

func (l BlockLabel) String() string {
	switch l {
	case Unsafe:
		return "latest"
	case Safe:
		return "safe"
	case Finalized:
		return "finalized"
	default:
		return fmt.Sprintf("label(%d)", int(l))
	}
}
