package engine

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	sdkengine "github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
)

// ForkchoiceUpdated sets the engine's heads and, with attributes, starts
// building a block on the head. A refused forkchoice state is eth.ErrReset,
// refused attributes sdkengine.ErrInvalidAttributes; an INVALID or SYNCING
// verdict is a result.
func (e *Engine) ForkchoiceUpdated(ctx context.Context, state sdkengine.ForkchoiceState, attrs *eth.PayloadAttributes) (sdkengine.ForkchoiceResult, error) {
	c, err := e.current()
	if err != nil {
		return sdkengine.ForkchoiceResult{}, err
	}
	method := fcuMethod(c.cfg, attrs)
	fc := wireForkchoiceState{Head: state.Head, Safe: state.Safe, Finalized: state.Finalized}
	var res wireForkchoiceResult
	if err := c.call(ctx, &res, method, fc, attributesToWire(attrs)); err != nil {
		return sdkengine.ForkchoiceResult{}, err
	}
	st, err := res.PayloadStatus.toEth()
	if err != nil {
		return sdkengine.ForkchoiceResult{}, c.badAnswer(method, err)
	}
	out := sdkengine.ForkchoiceResult{Status: st}
	if res.PayloadID != nil {
		if len(*res.PayloadID) != len(sdkengine.PayloadID{}) {
			return sdkengine.ForkchoiceResult{}, c.badAnswer(method, fmt.Errorf("payload id %s is not 8 bytes", res.PayloadID))
		}
		id := sdkengine.PayloadID(*res.PayloadID)
		out.PayloadID = &id
	}
	return out, nil
}

// GetPayload seals the block being built under id. The method version
// follows the payload's timestamp.
func (e *Engine) GetPayload(ctx context.Context, id sdkengine.PayloadID, timestamp uint64) (*eth.ExecutionPayloadEnvelope, error) {
	c, err := e.current()
	if err != nil {
		return nil, err
	}
	method := getPayloadMethod(c.cfg, timestamp)
	var env wireEnvelope
	if err := c.call(ctx, &env, method, hexutil.Bytes(id[:])); err != nil {
		return nil, err
	}
	if env.ExecutionPayload == nil {
		return nil, c.badAnswer(method, fmt.Errorf("no executionPayload for id %s", id))
	}
	p, err := env.ExecutionPayload.toEth()
	if err != nil {
		return nil, c.badAnswer(method, err)
	}
	return &eth.ExecutionPayloadEnvelope{ParentBeaconBlockRoot: env.ParentBeaconBlockRoot, ExecutionPayload: p}, nil
}

// NewPayload hands a block to the engine for validation and insertion.
// From Ecotone the envelope must carry the parent beacon block root; OP
// blocks have no blobs and no EL requests, so those lists are empty.
func (e *Engine) NewPayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) (sdkengine.PayloadStatus, error) {
	c, err := e.current()
	if err != nil {
		return sdkengine.PayloadStatus{}, err
	}
	if env == nil || env.ExecutionPayload == nil {
		return sdkengine.PayloadStatus{}, fmt.Errorf("%w: newPayload without a payload", eth.ErrInvalidArgument)
	}
	p := env.ExecutionPayload
	if p.BaseFeePerGas == nil {
		return sdkengine.PayloadStatus{}, fmt.Errorf("%w: payload %s has no base fee", eth.ErrInvalidArgument, p.BlockHash)
	}
	method := newPayloadMethod(c.cfg, p.Timestamp)
	args := []any{payloadToWire(p)}
	if method != methodNewPayloadV2 {
		if env.ParentBeaconBlockRoot == nil {
			return sdkengine.PayloadStatus{}, fmt.Errorf("%w: payload %s at %d needs a parent beacon block root for %s",
				eth.ErrInvalidArgument, p.BlockHash, p.Timestamp, method)
		}
		args = append(args, []common.Hash{}, env.ParentBeaconBlockRoot)
	}
	if method == methodNewPayloadV4 {
		args = append(args, []hexutil.Bytes{})
	}
	var res wireStatus
	if err := c.call(ctx, &res, method, args...); err != nil {
		return sdkengine.PayloadStatus{}, err
	}
	st, err := res.toEth()
	if err != nil {
		return sdkengine.PayloadStatus{}, c.badAnswer(method, err)
	}
	return st, nil
}

// badAnswer reports a response that decoded but makes no sense. Treated as
// temporary: a restarting or misconfigured proxy can produce it, and the
// retry is cheap.
func (c *conn) badAnswer(method string, err error) error {
	return fmt.Errorf("%w: %s at %s: malformed answer: %v", eth.ErrTemporary, method, c.endpoint, err)
}
