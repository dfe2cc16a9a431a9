// Package deriver is the contract of the derivation plugin: a deterministic
// state machine that turns L1 block data into L2 payload attributes, and
// builds the attributes of new blocks for the sequencer.
//
// The core drives it: Reset to a safe head, AddL1Block with each next L1
// block when Step asks for one, and Step until it returns attributes. The
// same sequence of calls always gives the same results; a deriver has no
// clock, no randomness and no I/O of its own (it may read through the host
// service, which answers from the canonical chain).
package deriver

import (
	"context"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
)

// ProtocolVersion is the version of the contract in
// sdk/proto/opal/deriver/v1 ("major.minor").
// 1.1 added ResetRequest.Offline.
const ProtocolVersion = "1.1"

// ResetRequest positions the deriver.
type ResetRequest struct {
	// SafeHead is the L2 block derivation continues from.
	SafeHead eth.L2BlockRef
	// SystemConfig is the system config at SafeHead.
	SystemConfig eth.SystemConfig
	// L1Start is the first L1 block the deriver will be fed.
	L1Start eth.L1BlockRef
	// L1SystemConfig is the system config in effect when L1Start is read
	// (for batcher authentication).
	L1SystemConfig eth.SystemConfig
	// Offline says the L2 chain is not executed (offline replay, since
	// 1.1): the parents Step is given after this reset carry stand-in
	// hashes, made up by the caller from the attributes, so the deriver
	// must not check a batch's parent hash against them. Everything else
	// (timestamps, origins, transactions of overlapping span batches) is
	// checked as usual. A 1.0 deriver does not see the flag; replay
	// refuses it.
	Offline bool
}

// Outcome says what a Step produced.
type Outcome int

const (
	// Attributes for the block after the parent are ready.
	Attributes Outcome = iota + 1
	// More: progress was made without a result; step again.
	More
	// NeedL1: the deriver has used all its L1 data; feed the next block.
	NeedL1
)

func (o Outcome) String() string {
	switch o {
	case Attributes:
		return "attributes"
	case More:
		return "more"
	case NeedL1:
		return "need-l1"
	default:
		return "unknown"
	}
}

// DerivedAttributes are attributes derived from L1 with their context.
type DerivedAttributes struct {
	Attributes *eth.PayloadAttributes
	// Parent is the L2 block the attributes build on.
	Parent eth.L2BlockRef
	// DerivedFrom is the L1 block whose data completed these attributes.
	DerivedFrom eth.L1BlockRef
	// IsLastInSpan marks the last block of a span batch (or a singular
	// batch): the safe head may be promoted past it.
	IsLastInSpan bool
}

// StepResult is the result of one Step.
type StepResult struct {
	Outcome Outcome
	// Attributes is set when Outcome is Attributes.
	Attributes *DerivedAttributes
	// Origin is the L1 block derivation has read up to.
	Origin eth.L1BlockRef
}

// BuildRequest asks for the attributes of a new block on an L1 origin.
type BuildRequest struct {
	Parent             eth.L2BlockRef
	ParentSystemConfig eth.SystemConfig
	// L1Origin is the new block's origin; its receipts matter on an epoch
	// change (deposits and system config updates).
	L1Origin  *eth.L1BlockData
	Timestamp uint64
}

// BuildResult are attributes without batch transactions.
type BuildResult struct {
	Attributes *eth.PayloadAttributes
	// SystemConfig is the system config in effect after the new block (what
	// the block itself records); pass it as the next block's
	// ParentSystemConfig.
	SystemConfig eth.SystemConfig
}

// Deriver derives L2 payload attributes from L1.
//
// Errors: eth.ErrReset when the fed L1 data does not continue the chain the
// deriver is on (an L1 reorg); eth.ErrCritical when derivation cannot go on.
// Malformed batcher data is not an error: the deriver drops what the spec
// drops and goes on.
type Deriver interface {
	base.Plugin
	Reset(ctx context.Context, req ResetRequest) error
	AddL1Block(ctx context.Context, block *eth.L1BlockData) error
	Step(ctx context.Context, parent eth.L2BlockRef) (StepResult, error)
	// PayloadInvalid reports that the engine refused attrs. From Holocene
	// the next Step returns deposit-only attributes in their place.
	PayloadInvalid(ctx context.Context, attrs *DerivedAttributes) error
	BuildAttributes(ctx context.Context, req BuildRequest) (*BuildResult, error)
}
