// Package originselector is the contract of the plugin that picks the L1
// origin of each block the sequencer builds.
package originselector

import (
	"context"
	"errors"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
)

// ProtocolVersion is the version of the contract in
// sdk/proto/opal/originselector/v1 ("major.minor").
const ProtocolVersion = "1.0"

// Request is the L1 view the core holds when the sequencer needs an origin.
type Request struct {
	UnsafeHead eth.L2BlockRef
	// CurrentOrigin is the unsafe head's L1 origin as canonical L1 has it.
	CurrentOrigin eth.L1BlockRef
	// NextOrigin is the L1 block after CurrentOrigin, nil when the L1 source
	// does not have it (yet), e.g. within the configured confirmation depth.
	NextOrigin *eth.L1BlockRef
	// L1Head is the newest L1 block the core knows.
	L1Head eth.L1BlockRef
	// Recover asks for the origin derivation would pick (recover mode).
	Recover bool
}

// Selector picks the L1 origin of the next L2 block.
type Selector interface {
	base.Plugin
	// NextL1Origin returns the origin of the block after req.UnsafeHead:
	// CurrentOrigin or NextOrigin.
	NextL1Origin(ctx context.Context, req Request) (eth.L1BlockRef, error)
}

var (
	// ErrNextOriginRequired: staying on the current origin would exceed the
	// max sequencer drift, and the next origin is not known yet.
	ErrNextOriginRequired = errors.New("next L1 origin required")
	// ErrNextOriginOrphaned: the next origin does not build on the current
	// one (an L1 reorg); the caller must refresh its view.
	ErrNextOriginOrphaned = errors.New("next L1 origin is not a child of the current origin")
)
