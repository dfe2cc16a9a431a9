package node

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
)

// Calls to in-process plugins are timed by these wrappers; calls to plugin
// processes are timed by the plugin host's gRPC interceptor. Both feed the
// same histogram, labelled by kind and method.

type timer struct {
	m    *metrics.Metrics
	kind sdk.Kind
}

func (t timer) since(method string, start time.Time) {
	t.m.PluginCalls.WithLabelValues(string(t.kind), method).Observe(time.Since(start).Seconds())
}

type timedL1Source struct {
	l1source.Source
	t timer
}

func (s timedL1Source) BlockRefByNumber(ctx context.Context, n uint64) (eth.L1BlockRef, error) {
	defer s.t.since("BlockRefByNumber", time.Now())
	return s.Source.BlockRefByNumber(ctx, n)
}

func (s timedL1Source) BlockRefByHash(ctx context.Context, h common.Hash) (eth.L1BlockRef, error) {
	defer s.t.since("BlockRefByHash", time.Now())
	return s.Source.BlockRefByHash(ctx, h)
}

func (s timedL1Source) BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	defer s.t.since("BlockRefByLabel", time.Now())
	return s.Source.BlockRefByLabel(ctx, l)
}

func (s timedL1Source) BlockData(ctx context.Context, req l1source.BlockDataRequest) (*eth.L1BlockData, error) {
	defer s.t.since("BlockData", time.Now())
	return s.Source.BlockData(ctx, req)
}

type timedDeriver struct {
	sdkderiver.Deriver
	t timer
}

func (d timedDeriver) Reset(ctx context.Context, req sdkderiver.ResetRequest) error {
	defer d.t.since("Reset", time.Now())
	return d.Deriver.Reset(ctx, req)
}

func (d timedDeriver) AddL1Block(ctx context.Context, b *eth.L1BlockData) error {
	defer d.t.since("AddL1Block", time.Now())
	return d.Deriver.AddL1Block(ctx, b)
}

func (d timedDeriver) Step(ctx context.Context, parent eth.L2BlockRef) (sdkderiver.StepResult, error) {
	defer d.t.since("Step", time.Now())
	return d.Deriver.Step(ctx, parent)
}

func (d timedDeriver) BuildAttributes(ctx context.Context, req sdkderiver.BuildRequest) (*sdkderiver.BuildResult, error) {
	defer d.t.since("BuildAttributes", time.Now())
	return d.Deriver.BuildAttributes(ctx, req)
}

type timedSelector struct {
	originselector.Selector
	t timer
}

func (s timedSelector) NextL1Origin(ctx context.Context, req originselector.Request) (eth.L1BlockRef, error) {
	defer s.t.since("NextL1Origin", time.Now())
	return s.Selector.NextL1Origin(ctx, req)
}

type timedEngine struct {
	engine.Engine
	t timer
}

func (e timedEngine) ForkchoiceUpdated(ctx context.Context, st engine.ForkchoiceState, a *eth.PayloadAttributes) (engine.ForkchoiceResult, error) {
	defer e.t.since("ForkchoiceUpdated", time.Now())
	return e.Engine.ForkchoiceUpdated(ctx, st, a)
}

func (e timedEngine) GetPayload(ctx context.Context, id engine.PayloadID, ts uint64) (*eth.ExecutionPayloadEnvelope, error) {
	defer e.t.since("GetPayload", time.Now())
	return e.Engine.GetPayload(ctx, id, ts)
}

func (e timedEngine) NewPayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) (engine.PayloadStatus, error) {
	defer e.t.since("NewPayload", time.Now())
	return e.Engine.NewPayload(ctx, env)
}

func (e timedEngine) L2BlockRefByNumber(ctx context.Context, n uint64) (eth.L2BlockRef, error) {
	defer e.t.since("L2BlockRefByNumber", time.Now())
	return e.Engine.L2BlockRefByNumber(ctx, n)
}

func (e timedEngine) L2BlockRefByHash(ctx context.Context, h common.Hash) (eth.L2BlockRef, error) {
	defer e.t.since("L2BlockRefByHash", time.Now())
	return e.Engine.L2BlockRefByHash(ctx, h)
}

func (e timedEngine) PayloadByNumber(ctx context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	defer e.t.since("PayloadByNumber", time.Now())
	return e.Engine.PayloadByNumber(ctx, n)
}

func (e timedEngine) SystemConfigByL2Hash(ctx context.Context, h common.Hash) (eth.SystemConfig, error) {
	defer e.t.since("SystemConfigByL2Hash", time.Now())
	return e.Engine.SystemConfigByL2Hash(ctx, h)
}

// timed wraps the in-process implementation of c's kind with timers; the
// rarely called methods (Info, Configure, streams) are left as they are.
func timed(m *metrics.Metrics, kind sdk.Kind, c sdk.Components) sdk.Components {
	t := timer{m: m, kind: kind}
	switch kind {
	case sdk.L1Source:
		c.L1Source = timedL1Source{c.L1Source, t}
	case sdk.Deriver:
		c.Deriver = timedDeriver{c.Deriver, t}
	case sdk.OriginSelector:
		c.OriginSelector = timedSelector{c.OriginSelector, t}
	case sdk.Engine:
		c.Engine = timedEngine{c.Engine, t}
	}
	return c
}
