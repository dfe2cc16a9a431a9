// Package enginectl is engine control: it tells the execution engine the
// heads (forkchoice), inserts and builds payloads, and applies derived
// attributes (consolidating them with the unsafe block at their height, or
// building the block and reorging the unsafe chain onto it). It moves the
// unsafe, pending-safe, local-safe and safe heads, and only after the engine
// accepted the change.
package enginectl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/interop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Heads is engine control's access to the heads: it moves unsafe,
// pending-safe, local-safe and safe together, in one transition.
type Heads interface {
	Get() heads.Heads
	Update(change func(h *heads.Heads), reason string) error
}

// Config of the controller.
type Config struct {
	Rollup *rollup.Config
	Engine engine.Engine
	Heads  Heads
	Log    hclog.Logger
	// Metrics may be nil.
	Metrics *metrics.Metrics
	// SafeRecorder is told about every new safe head and the L1 block it
	// was derived from (the safe-head index and the finalizer); may be nil.
	SafeRecorder func(l2 eth.L2BlockRef, derivedFrom eth.L1BlockRef)
	// Messages decides on executing messages where interop applies (nil:
	// never asked, as before Lagoon).
	Messages *interop.Gate
}

// Controller drives the execution engine. It is used from the loop
// goroutine only.
type Controller struct {
	cfg          *rollup.Config
	engine       engine.Engine
	heads        Heads
	log          hclog.Logger
	metrics      *metrics.Metrics
	safeRecorder func(l2 eth.L2BlockRef, derivedFrom eth.L1BlockRef)
	messages     *interop.Gate
	// told is the forkchoice state the engine was last given; the heads
	// may be ahead of it after ProcessDerived, which leaves the update to
	// the next build (whose forkchoiceUpdated carries it) or to Settle.
	told engine.ForkchoiceState
}

// New returns a controller.
func New(c Config) *Controller {
	if c.Log == nil {
		c.Log = hclog.NewNullLogger()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New()
	}
	if c.SafeRecorder == nil {
		c.SafeRecorder = func(eth.L2BlockRef, eth.L1BlockRef) {}
	}
	return &Controller{cfg: c.Rollup, engine: c.Engine, heads: c.Heads, log: c.Log, metrics: c.Metrics,
		safeRecorder: c.SafeRecorder, messages: c.Messages}
}

// Engine is the engine the controller drives, for reads.
func (e *Controller) Engine() engine.Engine { return e.engine }

// Denied asks the interop gate about a payload; a denied block is handled
// like an invalid one: derivation replaces it by a deposits-only block, the
// unsafe queue drops it.
func (e *Controller) Denied(ctx context.Context, p *eth.ExecutionPayload) error {
	denied, err := e.messages.Denied(ctx, p.ID(), p.Timestamp)
	if err != nil {
		return fmt.Errorf("%w: %w", err, eth.ErrTemporary)
	}
	if denied {
		e.log.Warn("block denied by the interop message check", "block", p.ID())
		return fmt.Errorf("block %s has invalid executing messages: %w", p.ID(), ErrPayloadInvalid)
	}
	return nil
}

// ErrPayloadInvalid: the engine rejected a payload (or the interop check
// Denied it).
var ErrPayloadInvalid = errors.New("payload invalid")

// current is the forkchoice state of the heads.
func (e *Controller) current() engine.ForkchoiceState {
	h := e.heads.Get()
	return engine.ForkchoiceState{Head: h.Unsafe.Hash, Safe: h.Safe.Hash, Finalized: h.Finalized.Hash}
}

// Settle tells the engine the heads if it has not been told them yet (see
// ProcessDerived); a no-op otherwise.
func (e *Controller) Settle(ctx context.Context) error {
	if e.told == (engine.ForkchoiceState{}) {
		// Nothing told yet (a fresh start): the engine may hold these
		// heads already, as its labels say.
		e.told = e.engineLabels(ctx)
	}
	if e.told == e.current() {
		return nil
	}
	return e.Forkchoice(ctx)
}

// engineLabels is the forkchoice state the engine's labels show; zero
// when it cannot tell.
func (e *Controller) engineLabels(ctx context.Context) engine.ForkchoiceState {
	var fc engine.ForkchoiceState
	for _, l := range []struct {
		label eth.BlockLabel
		hash  *common.Hash
	}{{eth.Unsafe, &fc.Head}, {eth.Safe, &fc.Safe}, {eth.Finalized, &fc.Finalized}} {
		ref, err := e.engine.L2BlockRefByLabel(ctx, l.label)
		if err != nil {
			return engine.ForkchoiceState{}
		}
		*l.hash = ref.Hash
	}
	return fc
}

// Forkchoice tells the engine the current heads.
func (e *Controller) Forkchoice(ctx context.Context) error {
	fc := e.current()
	res, err := e.engine.ForkchoiceUpdated(ctx, fc, nil)
	if err != nil {
		return fmt.Errorf("forkchoiceUpdated: %w", err)
	}
	switch res.Status.Status {
	case engine.StatusValid:
		e.told = fc
		return nil
	case engine.StatusSyncing, engine.StatusAccepted:
		return fmt.Errorf("forkchoiceUpdated: engine is %s: %w", res.Status.Status, eth.ErrTemporary)
	default:
		return fmt.Errorf("forkchoiceUpdated: %s %s: %w", res.Status.Status, res.Status.ValidationError, eth.ErrReset)
	}
}

// Insert sends a payload to the engine; a non-VALID status is an error.
func (e *Controller) Insert(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
	st, err := e.engine.NewPayload(ctx, env)
	if err != nil {
		return fmt.Errorf("newPayload %s: %w", env.ExecutionPayload.ID(), err)
	}
	switch st.Status {
	case engine.StatusValid:
		return nil
	case engine.StatusSyncing, engine.StatusAccepted:
		return fmt.Errorf("newPayload %s: engine is %s: %w", env.ExecutionPayload.ID(), st.Status, eth.ErrTemporary)
	default:
		return fmt.Errorf("newPayload %s: %s %s: %w", env.ExecutionPayload.ID(), st.Status, st.ValidationError, ErrPayloadInvalid)
	}
}

// StartBuild starts building on parent and returns the payload id.
func (e *Controller) StartBuild(ctx context.Context, parent eth.L2BlockRef, attrs *eth.PayloadAttributes) (engine.PayloadID, error) {
	h := e.heads.Get()
	fc := engine.ForkchoiceState{Head: parent.Hash, Safe: h.Safe.Hash, Finalized: h.Finalized.Hash}
	res, err := e.engine.ForkchoiceUpdated(ctx, fc, attrs)
	if err != nil {
		return engine.PayloadID{}, fmt.Errorf("forkchoiceUpdated with attributes on %s: %w", parent, err)
	}
	if res.Status.Status != engine.StatusValid || res.PayloadID == nil {
		return engine.PayloadID{}, fmt.Errorf("forkchoiceUpdated with attributes on %s: %s %s: %w",
			parent, res.Status.Status, res.Status.ValidationError, eth.ErrTemporary)
	}
	// The engine's head is parent now, which is the unsafe head when
	// building the next block: that carries any head update pending.
	e.told = fc
	return *res.PayloadID, nil
}

// Build builds and inserts a block from attributes on parent, without
// moving any head.
func (e *Controller) Build(ctx context.Context, parent eth.L2BlockRef, attrs *eth.PayloadAttributes) (*eth.ExecutionPayloadEnvelope, error) {
	id, err := e.StartBuild(ctx, parent, attrs)
	if err != nil {
		return nil, err
	}
	env, err := e.engine.GetPayload(ctx, id, attrs.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("getPayload %s: %w", id, err)
	}
	if err := e.Denied(ctx, env.ExecutionPayload); err != nil {
		return nil, err
	}
	if err := e.Insert(ctx, env); err != nil {
		return nil, err
	}
	return env, nil
}

// RefOf returns the L2 reference of a payload the engine accepted.
func (e *Controller) RefOf(ctx context.Context, p *eth.ExecutionPayload) (eth.L2BlockRef, error) {
	return e.engine.L2BlockRefByHash(ctx, p.BlockHash)
}

// ProcessDerived applies derived attributes: consolidate with the unsafe
// block at that height when there is one, otherwise (or on a mismatch)
// Build the block, reorging the unsafe chain onto it. Safe moves only after
// the engine accepted the block.
func (e *Controller) ProcessDerived(ctx context.Context, da *deriver.DerivedAttributes) error {
	start := time.Now()
	h := e.heads.Get()
	number := da.Parent.Number + 1
	var ref eth.L2BlockRef
	consolidated := false
	if h.Unsafe.Number >= number {
		existing, err := e.engine.PayloadByNumber(ctx, number)
		if err != nil && !errors.Is(err, eth.ErrNotFound) {
			return fmt.Errorf("read unsafe block %d: %w", number, err)
		}
		if err == nil {
			diff := attributesMatch(e.cfg, da, existing)
			if diff == "" && e.messages.Applies(existing.ExecutionPayload.Timestamp) {
				// A denied unsafe block is not consolidated: it is built
				// again below, where the check replaces it.
				if derr := e.Denied(ctx, existing.ExecutionPayload); derr != nil {
					diff = derr.Error()
				}
			}
			if diff == "" {
				ref, err = e.RefOf(ctx, existing.ExecutionPayload)
				if err != nil {
					return err
				}
				consolidated = true
			} else {
				e.log.Warn("derived block differs from the unsafe block, reorging the unsafe chain",
					"number", number, "unsafe", existing.ExecutionPayload.BlockHash, "difference", diff)
				e.metrics.Reorgs.Inc()
			}
		}
	}
	if !consolidated {
		env, err := e.Build(ctx, da.Parent, da.Attributes)
		if err != nil {
			return err
		}
		ref, err = e.RefOf(ctx, env.ExecutionPayload)
		if err != nil {
			return err
		}
	}
	reason := "derived block consolidated"
	if !consolidated {
		reason = "derived block built"
	}
	// One transition: a built block replaces the unsafe chain from its
	// height (a reorg when unsafe was ahead); the block becomes pending-safe,
	// and safe when its span is complete.
	err := e.heads.Update(func(h *heads.Heads) {
		if !consolidated {
			h.Unsafe, h.CrossUnsafe = ref, ref
		}
		h.PendingSafe = ref
		if da.IsLastInSpan {
			h.LocalSafe, h.Safe = ref, ref
		}
	}, reason)
	if err != nil {
		return err
	}
	if da.IsLastInSpan {
		e.safeRecorder(ref, da.DerivedFrom)
	}
	// The engine is not told the new heads here: the forkchoiceUpdated
	// that starts building the next block makes this one the head (3
	// engine calls per derived block instead of 4), and the safe label,
	// which only moves at a span's end, rides along. Whoever stops
	// deriving calls Settle, so the engine is never left behind for long
	// (a consolidated block, which builds nothing, waits for Settle too).
	e.metrics.DerivedBlocks.Inc()
	e.metrics.ObserveProcess(consolidated, time.Since(start))
	return nil
}
