package sequencer

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/rollup"
)

// Selector is the origin selector plugin.
type Selector interface {
	NextL1Origin(ctx context.Context, req originselector.Request) (eth.L1BlockRef, error)
}

// Attributes builds a new block's attributes (the deriver plugin).
type Attributes interface {
	BuildAttributes(ctx context.Context, req sdkderiver.BuildRequest) (*sdkderiver.BuildResult, error)
}

// Builder is engine control as block building needs it.
type Builder interface {
	StartBuild(ctx context.Context, parent eth.L2BlockRef, attrs *eth.PayloadAttributes) (engine.PayloadID, error)
	Insert(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error
	Forkchoice(ctx context.Context) error
}

// L2 reads the engine: the built payload and a parent's system config.
type L2 interface {
	GetPayload(ctx context.Context, id engine.PayloadID, timestamp uint64) (*eth.ExecutionPayloadEnvelope, error)
	SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error)
}

// L1 is the L1 source: origins and their data.
type L1 interface {
	BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
	BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error)
	BlockData(ctx context.Context, req l1source.BlockDataRequest) (*eth.L1BlockData, error)
}

// Labels is the L1 view's head.
type Labels interface {
	Head() eth.L1BlockRef
}

// Heads is the sequencer's access to the heads: it moves unsafe forward,
// and back to safe after a deposit-only block was refused.
type Heads interface {
	Get() heads.Heads
	SetUnsafe(ref eth.L2BlockRef, reason string) error
	Update(change func(h *heads.Heads), reason string) error
}

// Flags persist whether the sequencer runs, across restarts.
type Flags interface {
	Flag(name string) ([]byte, error)
	SetFlag(name string, v []byte) error
}

// Publisher gossips a sealed block.
type Publisher interface {
	Publish(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error
}

// Poster delivers timer events to the loop without blocking.
type Poster interface {
	Post(ev loop.Event)
}

// Clock is wall time and timers (a fake in tests).
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func())
}

type wallClock struct{}

func (wallClock) Now() time.Time                      { return time.Now() }
func (wallClock) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }

// Config of the sequencer.
type Config struct {
	Rollup     *rollup.Config
	Selector   Selector
	Attributes Attributes
	Builder    Builder
	L2         L2
	L1         L1
	Labels     Labels
	Heads      Heads
	Flags      Flags
	// Publisher may be nil (no p2p).
	Publisher Publisher
	Loop      Poster
	// Clock defaults to the wall clock.
	Clock   Clock
	Log     hclog.Logger
	Metrics *metrics.Metrics
	// MaxSafeLag pauses sequencing while unsafe - safe >= it (0: never).
	MaxSafeLag uint64
	// Recover builds deposit-only blocks (what derivation would produce).
	Recover bool
	// SealMargin is how long before the slot the block is sealed.
	SealMargin time.Duration
	// StopAt, when set, is an L2 timestamp the sequencer never builds a
	// block at or past; it stops there, logging StopErr.
	StopAt  *uint64
	StopErr error
}
