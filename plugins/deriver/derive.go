package deriver

import (
	"context"
	"fmt"

	"github.com/opalnode/opal/plugins/deriver/pipeline"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
)

// Reset positions the deriver on a safe head. L1Start must be at or before
// the safe head's L1 origin.
func (d *Deriver) Reset(_ context.Context, req sdkderiver.ResetRequest) (err error) {
	defer recoverCritical(&err)
	if err := d.configured(); err != nil {
		return err
	}
	d.last = nil
	if req.Offline {
		return d.p.ResetOffline(req.SafeHead, req.SystemConfig, req.L1Start, req.L1SystemConfig)
	}
	return d.p.Reset(req.SafeHead, req.SystemConfig, req.L1Start, req.L1SystemConfig)
}

// AddL1Block feeds the next L1 block; one that does not continue the fed
// chain is eth.ErrReset.
func (d *Deriver) AddL1Block(_ context.Context, block *eth.L1BlockData) (err error) {
	defer recoverCritical(&err)
	if err := d.configured(); err != nil {
		return err
	}
	return d.p.AddL1Block(block)
}

// Step derives towards the attributes of the block after parent. Each call
// does a bounded amount of work.
func (d *Deriver) Step(ctx context.Context, parent eth.L2BlockRef) (res sdkderiver.StepResult, err error) {
	defer recoverCritical(&err)
	if err := d.configured(); err != nil {
		return sdkderiver.StepResult{}, err
	}
	out, r, err := d.p.Step(ctx, parent)
	if err != nil {
		return sdkderiver.StepResult{Origin: d.p.Origin()}, err
	}
	res = sdkderiver.StepResult{Outcome: out, Origin: d.p.Origin()}
	switch out {
	case pipeline.Attributes:
		d.last = r
		res.Attributes = &sdkderiver.DerivedAttributes{
			Attributes:   r.Attributes,
			Parent:       r.Parent,
			DerivedFrom:  r.DerivedFrom,
			IsLastInSpan: r.IsLastInSpan,
		}
	case pipeline.More, pipeline.NeedL1:
	default:
		return res, fmt.Errorf("%w: pipeline outcome %v", eth.ErrCritical, out)
	}
	return res, nil
}

// PayloadInvalid reports that the engine refused the attributes Step
// returned last. From Holocene the next Step on the same parent returns
// them cut to their deposits; before, the pipeline looks for another batch.
func (d *Deriver) PayloadInvalid(_ context.Context, attrs *sdkderiver.DerivedAttributes) (err error) {
	defer recoverCritical(&err)
	if err := d.configured(); err != nil {
		return err
	}
	if attrs == nil || attrs.Attributes == nil {
		return fmt.Errorf("%w: no attributes", eth.ErrInvalidArgument)
	}
	last := d.last
	if last == nil || last.Parent != attrs.Parent || last.Attributes.Timestamp != attrs.Attributes.Timestamp {
		return fmt.Errorf("%w: the invalid attributes (parent %s, time %d) are not the last ones derived", eth.ErrInvalidArgument, attrs.Parent.ID(), attrs.Attributes.Timestamp)
	}
	return d.p.PayloadInvalid(last)
}

// recoverCritical turns a panic into eth.ErrCritical. The pipeline is
// fuzzed not to panic; this is the last line of defence that keeps a bug
// from taking the node down with the plugin.
func recoverCritical(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: deriver panic: %v", eth.ErrCritical, r)
	}
}
