package deriver

import (
	"context"
	"fmt"

	"github.com/opalnode/opal/plugins/deriver/pipeline"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// BuildAttributes builds the sequencer's attributes of a new block: the
// L1-info deposit, the user deposits on an epoch change and the upgrade
// deposits, with the transaction pool open unless the protocol closes it.
//
// The returned SystemConfig is the one in effect after the new block, as
// op-node reads it back from the block (PayloadToSystemConfig): pass it as
// the ParentSystemConfig of the block after.
func (d *Deriver) BuildAttributes(_ context.Context, req sdkderiver.BuildRequest) (res *sdkderiver.BuildResult, err error) {
	defer recoverCritical(&err)
	if err := d.configured(); err != nil {
		return nil, err
	}
	if req.L1Origin == nil || req.L1Origin.Header == nil {
		return nil, fmt.Errorf("%w: no L1 origin", eth.ErrInvalidArgument)
	}
	built, err := pipeline.BuildAttributes(d.cfg, d.l1, pipeline.AttributesInput{
		Parent: req.Parent, ParentConfig: req.ParentSystemConfig, Origin: req.L1Origin, Timestamp: req.Timestamp,
	})
	if err != nil {
		return nil, err
	}
	built.Attributes.NoTxPool = forceNoTxPool(d.cfg, req.Timestamp, req.L1Origin.Header.Time)
	return &sdkderiver.BuildResult{Attributes: built.Attributes, SystemConfig: built.Next}, nil
}

// forceNoTxPool reports whether the block at time ts on an origin at
// originTime must be built without sequencer transactions: on the
// activation blocks of the forks that upgrade contracts, and past the max
// sequencer drift, where only the move to a new origin may add them again.
func forceNoTxPool(cfg *rollup.Config, ts, originTime uint64) bool {
	return cfg.IsEcotoneActivationBlock(ts) || cfg.IsFjordActivationBlock(ts) || cfg.IsIsthmusActivationBlock(ts) ||
		cfg.IsJovianActivationBlock(ts) || cfg.IsKarstActivationBlock(ts) || cfg.IsLagoonActivationBlock(ts) ||
		ts > originTime+cfg.MaxDrift(originTime)
}
