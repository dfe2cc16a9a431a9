package pluginhost

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/p2p"
)

// Handles are the core's one stable value per loaded kind. Each implements
// its kind's sdk interface and forwards every call to the instance's
// current implementation: the in-process one, or the client of the process
// as it is after any restart. Components keep a handle for the node's
// life; nothing swaps them. A kind that is not loaded has a nil handle.
//
// Calls to in-process plugins are timed here; calls to plugin processes are
// timed by the host's gRPC interceptor. Both go to Options.CallObserver.
type Handles struct {
	L1Source       l1source.Source
	Deriver        deriver.Deriver
	OriginSelector originselector.Selector
	Engine         engine.Engine
	P2P            p2p.Gossip
}

// Handles returns the handles of the loaded instances.
func (h *Host) Handles() Handles {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out Handles
	for kind, inst := range h.instances {
		c := caller{inst: inst}
		if inst.Spec.Mode == InProcess && h.opts.CallObserver != nil {
			c.observe = h.opts.CallObserver
		}
		switch kind {
		case sdk.L1Source:
			out.L1Source = l1Handle{c}
		case sdk.Deriver:
			out.Deriver = deriverHandle{c}
		case sdk.OriginSelector:
			out.OriginSelector = selectorHandle{c}
		case sdk.Engine:
			out.Engine = engineHandle{c}
		case sdk.P2P:
			out.P2P = p2pHandle{c}
		}
	}
	return out
}

// caller times in-process calls.
type caller struct {
	inst    *Instance
	observe func(kind sdk.Kind, method string, d time.Duration, err error)
}

func (c caller) done(method string, start time.Time, err error) {
	if c.observe != nil {
		c.observe(c.inst.Spec.Kind, method, time.Since(start), err)
	}
}

func (c caller) plugin() base.Plugin { return basePlugin(c.inst.Spec.Kind, c.inst.Components()) }

func (c caller) Info(ctx context.Context) (base.Info, error) { return c.plugin().Info(ctx) }
func (c caller) Configure(ctx context.Context, req base.ConfigureRequest) error {
	return c.plugin().Configure(ctx, req)
}

type l1Handle struct{ caller }

// The L1 handle always reads storage: it forwards StorageAt when the
// current implementation is an l1source.StorageReader (an in-process source
// that has it, or any process client) and is l1source.ErrStorageUnsupported
// otherwise. A process built for protocol 1.0 answers that way too.
var _ l1source.StorageReader = l1Handle{}

func (h l1Handle) cur() l1source.Source { return h.inst.Components().L1Source }

func (h l1Handle) BlockRefByNumber(ctx context.Context, n uint64) (r eth.L1BlockRef, err error) {
	defer func(t time.Time) { h.done("BlockRefByNumber", t, err) }(time.Now())
	return h.cur().BlockRefByNumber(ctx, n)
}

func (h l1Handle) BlockRefByHash(ctx context.Context, hash common.Hash) (r eth.L1BlockRef, err error) {
	defer func(t time.Time) { h.done("BlockRefByHash", t, err) }(time.Now())
	return h.cur().BlockRefByHash(ctx, hash)
}

func (h l1Handle) BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (r eth.L1BlockRef, err error) {
	defer func(t time.Time) { h.done("BlockRefByLabel", t, err) }(time.Now())
	return h.cur().BlockRefByLabel(ctx, l)
}

func (h l1Handle) BlockData(ctx context.Context, req l1source.BlockDataRequest) (d *eth.L1BlockData, err error) {
	defer func(t time.Time) { h.done("BlockData", t, err) }(time.Now())
	return h.cur().BlockData(ctx, req)
}

func (h l1Handle) StorageAt(ctx context.Context, account common.Address, slot, blockHash common.Hash) (v common.Hash, err error) {
	defer func(t time.Time) { h.done("StorageAt", t, err) }(time.Now())
	return l1source.StorageAt(ctx, h.cur(), account, slot, blockHash)
}

func (h l1Handle) WatchHeads(ctx context.Context, fn func(l1source.HeadUpdate)) error {
	return h.cur().WatchHeads(ctx, fn)
}

type deriverHandle struct{ caller }

func (h deriverHandle) cur() deriver.Deriver { return h.inst.Components().Deriver }

func (h deriverHandle) Reset(ctx context.Context, req deriver.ResetRequest) (err error) {
	defer func(t time.Time) { h.done("Reset", t, err) }(time.Now())
	return h.cur().Reset(ctx, req)
}

func (h deriverHandle) AddL1Block(ctx context.Context, b *eth.L1BlockData) (err error) {
	defer func(t time.Time) { h.done("AddL1Block", t, err) }(time.Now())
	return h.cur().AddL1Block(ctx, b)
}

func (h deriverHandle) Step(ctx context.Context, parent eth.L2BlockRef) (r deriver.StepResult, err error) {
	defer func(t time.Time) { h.done("Step", t, err) }(time.Now())
	return h.cur().Step(ctx, parent)
}

func (h deriverHandle) PayloadInvalid(ctx context.Context, a *deriver.DerivedAttributes) (err error) {
	defer func(t time.Time) { h.done("PayloadInvalid", t, err) }(time.Now())
	return h.cur().PayloadInvalid(ctx, a)
}

func (h deriverHandle) BuildAttributes(ctx context.Context, req deriver.BuildRequest) (r *deriver.BuildResult, err error) {
	defer func(t time.Time) { h.done("BuildAttributes", t, err) }(time.Now())
	return h.cur().BuildAttributes(ctx, req)
}

type selectorHandle struct{ caller }

func (h selectorHandle) NextL1Origin(ctx context.Context, req originselector.Request) (r eth.L1BlockRef, err error) {
	defer func(t time.Time) { h.done("NextL1Origin", t, err) }(time.Now())
	return h.inst.Components().OriginSelector.NextL1Origin(ctx, req)
}

type engineHandle struct{ caller }

func (h engineHandle) cur() engine.Engine { return h.inst.Components().Engine }

func (h engineHandle) ForkchoiceUpdated(ctx context.Context, st engine.ForkchoiceState, a *eth.PayloadAttributes) (r engine.ForkchoiceResult, err error) {
	defer func(t time.Time) { h.done("ForkchoiceUpdated", t, err) }(time.Now())
	return h.cur().ForkchoiceUpdated(ctx, st, a)
}

func (h engineHandle) GetPayload(ctx context.Context, id engine.PayloadID, ts uint64) (r *eth.ExecutionPayloadEnvelope, err error) {
	defer func(t time.Time) { h.done("GetPayload", t, err) }(time.Now())
	return h.cur().GetPayload(ctx, id, ts)
}

func (h engineHandle) NewPayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) (r engine.PayloadStatus, err error) {
	defer func(t time.Time) { h.done("NewPayload", t, err) }(time.Now())
	return h.cur().NewPayload(ctx, env)
}

func (h engineHandle) L2BlockRefByNumber(ctx context.Context, n uint64) (r eth.L2BlockRef, err error) {
	defer func(t time.Time) { h.done("L2BlockRefByNumber", t, err) }(time.Now())
	return h.cur().L2BlockRefByNumber(ctx, n)
}

func (h engineHandle) L2BlockRefByHash(ctx context.Context, hash common.Hash) (r eth.L2BlockRef, err error) {
	defer func(t time.Time) { h.done("L2BlockRefByHash", t, err) }(time.Now())
	return h.cur().L2BlockRefByHash(ctx, hash)
}

func (h engineHandle) L2BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (r eth.L2BlockRef, err error) {
	defer func(t time.Time) { h.done("L2BlockRefByLabel", t, err) }(time.Now())
	return h.cur().L2BlockRefByLabel(ctx, l)
}

func (h engineHandle) PayloadByNumber(ctx context.Context, n uint64) (r *eth.ExecutionPayloadEnvelope, err error) {
	defer func(t time.Time) { h.done("PayloadByNumber", t, err) }(time.Now())
	return h.cur().PayloadByNumber(ctx, n)
}

func (h engineHandle) SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (r eth.SystemConfig, err error) {
	defer func(t time.Time) { h.done("SystemConfigByL2Hash", t, err) }(time.Now())
	return h.cur().SystemConfigByL2Hash(ctx, hash)
}

func (h engineHandle) OutputV0AtBlock(ctx context.Context, hash common.Hash) (r engine.OutputV0, err error) {
	defer func(t time.Time) { h.done("OutputV0AtBlock", t, err) }(time.Now())
	return h.cur().OutputV0AtBlock(ctx, hash)
}

type p2pHandle struct{ caller }

func (h p2pHandle) cur() p2p.Gossip { return h.inst.Components().P2P }

func (h p2pHandle) Publish(ctx context.Context, env *eth.ExecutionPayloadEnvelope) (err error) {
	defer func(t time.Time) { h.done("Publish", t, err) }(time.Now())
	return h.cur().Publish(ctx, env)
}

func (h p2pHandle) Payloads(ctx context.Context, fn func(p2p.Received)) error {
	return h.cur().Payloads(ctx, fn)
}

func (h p2pHandle) RequestRange(ctx context.Context, start, end uint64) (err error) {
	defer func(t time.Time) { h.done("RequestRange", t, err) }(time.Now())
	return h.cur().RequestRange(ctx, start, end)
}

func (h p2pHandle) SetUnsafeBlockSigner(ctx context.Context, signer common.Address) error {
	return h.cur().SetUnsafeBlockSigner(ctx, signer)
}

func (h p2pHandle) Status(ctx context.Context) (p2p.Status, error) { return h.cur().Status(ctx) }

// Admin forwards an opp2p call; a plugin without the API (or a 1.0 plugin
// binary) is p2p.ErrAdminUnsupported.
func (h p2pHandle) Admin(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	return p2p.CallAdmin(ctx, h.cur(), method, params)
}
