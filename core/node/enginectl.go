package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/interop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// engineCtl drives the execution engine and moves the heads after the
// engine accepted a change. It is used from the loop goroutine only.
type engineCtl struct {
	cfg     *rollup.Config
	engine  func() engine.Engine
	heads   *heads.State
	log     hclog.Logger
	metrics *metrics.Metrics
	// safeRecorder is told about every new safe head and the L1 block it
	// was derived from (the safe-head index and the finalizer).
	safeRecorder func(l2 eth.L2BlockRef, derivedFrom eth.L1BlockRef)
	// messages decides on executing messages where interop applies (nil:
	// never asked, as before Lagoon).
	messages *interop.Gate
}

// denied asks the interop gate about a payload; a denied block is handled
// like an invalid one: derivation replaces it by a deposits-only block, the
// unsafe queue drops it.
func (e *engineCtl) denied(ctx context.Context, p *eth.ExecutionPayload) error {
	denied, err := e.messages.Denied(ctx, p.ID(), p.Timestamp)
	if err != nil {
		return fmt.Errorf("%w: %w", err, eth.ErrTemporary)
	}
	if denied {
		e.log.Warn("block denied by the interop message check", "block", p.ID())
		return fmt.Errorf("block %s has invalid executing messages: %w", p.ID(), errPayloadInvalid)
	}
	return nil
}

// errPayloadInvalid: the engine rejected a payload built from attributes.
var errPayloadInvalid = errors.New("payload invalid")

// forkchoice tells the engine the current heads.
func (e *engineCtl) forkchoice(ctx context.Context) error {
	h := e.heads.Get()
	res, err := e.engine().ForkchoiceUpdated(ctx, engine.ForkchoiceState{
		Head: h.Unsafe.Hash, Safe: h.Safe.Hash, Finalized: h.Finalized.Hash,
	}, nil)
	if err != nil {
		return fmt.Errorf("forkchoiceUpdated: %w", err)
	}
	switch res.Status.Status {
	case engine.StatusValid:
		return nil
	case engine.StatusSyncing, engine.StatusAccepted:
		return fmt.Errorf("forkchoiceUpdated: engine is %s: %w", res.Status.Status, eth.ErrTemporary)
	default:
		return fmt.Errorf("forkchoiceUpdated: %s %s: %w", res.Status.Status, res.Status.ValidationError, eth.ErrReset)
	}
}

// insert sends a payload to the engine; a non-VALID status is an error.
func (e *engineCtl) insert(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
	st, err := e.engine().NewPayload(ctx, env)
	if err != nil {
		return fmt.Errorf("newPayload %s: %w", env.ExecutionPayload.ID(), err)
	}
	switch st.Status {
	case engine.StatusValid:
		return nil
	case engine.StatusSyncing, engine.StatusAccepted:
		return fmt.Errorf("newPayload %s: engine is %s: %w", env.ExecutionPayload.ID(), st.Status, eth.ErrTemporary)
	default:
		return fmt.Errorf("newPayload %s: %s %s: %w", env.ExecutionPayload.ID(), st.Status, st.ValidationError, errPayloadInvalid)
	}
}

// startBuild starts building on parent and returns the payload id.
func (e *engineCtl) startBuild(ctx context.Context, parent eth.L2BlockRef, attrs *eth.PayloadAttributes) (engine.PayloadID, error) {
	h := e.heads.Get()
	res, err := e.engine().ForkchoiceUpdated(ctx, engine.ForkchoiceState{
		Head: parent.Hash, Safe: h.Safe.Hash, Finalized: h.Finalized.Hash,
	}, attrs)
	if err != nil {
		return engine.PayloadID{}, fmt.Errorf("forkchoiceUpdated with attributes on %s: %w", parent, err)
	}
	if res.Status.Status != engine.StatusValid || res.PayloadID == nil {
		return engine.PayloadID{}, fmt.Errorf("forkchoiceUpdated with attributes on %s: %s %s: %w",
			parent, res.Status.Status, res.Status.ValidationError, eth.ErrTemporary)
	}
	return *res.PayloadID, nil
}

// build builds and inserts a block from attributes on parent, without
// moving any head.
func (e *engineCtl) build(ctx context.Context, parent eth.L2BlockRef, attrs *eth.PayloadAttributes) (*eth.ExecutionPayloadEnvelope, error) {
	id, err := e.startBuild(ctx, parent, attrs)
	if err != nil {
		return nil, err
	}
	env, err := e.engine().GetPayload(ctx, id, attrs.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("getPayload %s: %w", id, err)
	}
	if err := e.denied(ctx, env.ExecutionPayload); err != nil {
		return nil, err
	}
	if err := e.insert(ctx, env); err != nil {
		return nil, err
	}
	return env, nil
}

// refOf returns the L2 reference of a payload the engine accepted.
func (e *engineCtl) refOf(ctx context.Context, p *eth.ExecutionPayload) (eth.L2BlockRef, error) {
	return e.engine().L2BlockRefByHash(ctx, p.BlockHash)
}

// processDerived applies derived attributes: consolidate with the unsafe
// block at that height when there is one, otherwise (or on a mismatch)
// build the block, reorging the unsafe chain onto it. Safe moves only after
// the engine accepted the block.
func (e *engineCtl) processDerived(ctx context.Context, da *deriver.DerivedAttributes) error {
	start := time.Now()
	h := e.heads.Get()
	number := da.Parent.Number + 1
	var ref eth.L2BlockRef
	consolidated := false
	if h.Unsafe.Number >= number {
		existing, err := e.engine().PayloadByNumber(ctx, number)
		if err != nil && !errors.Is(err, eth.ErrNotFound) {
			return fmt.Errorf("read unsafe block %d: %w", number, err)
		}
		if err == nil {
			diff := attributesMatch(e.cfg, da, existing)
			if diff == "" && e.messages.Applies(existing.ExecutionPayload.Timestamp) {
				// A denied unsafe block is not consolidated: it is built
				// again below, where the check replaces it.
				if derr := e.denied(ctx, existing.ExecutionPayload); derr != nil {
					diff = derr.Error()
				}
			}
			if diff == "" {
				ref, err = e.refOf(ctx, existing.ExecutionPayload)
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
		env, err := e.build(ctx, da.Parent, da.Attributes)
		if err != nil {
			return err
		}
		ref, err = e.refOf(ctx, env.ExecutionPayload)
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
	if err := e.forkchoice(ctx); err != nil {
		return err
	}
	e.metrics.DerivedBlocks.Inc()
	e.metrics.ObserveProcess(consolidated, time.Since(start))
	return nil
}
