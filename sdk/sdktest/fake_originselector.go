package sdktest

import (
	"context"
	"fmt"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/rollup"
)

// LazySelector stays on the current origin for as long as the max
// sequencer drift allows, then moves to the next one. It differs from
// op-node's rule (move as soon as the next origin's time allows) and keeps
// every invariant the core checks.
type LazySelector struct {
	cfg *rollup.Config
}

var _ originselector.Selector = (*LazySelector)(nil)

func (s *LazySelector) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "lazy-originselector", Version: "test"}, nil
}

func (s *LazySelector) Configure(_ context.Context, req base.ConfigureRequest) error {
	if req.Rollup == nil {
		return fmt.Errorf("%w: rollup config required", eth.ErrInvalidArgument)
	}
	s.cfg = req.Rollup
	return nil
}

func (s *LazySelector) NextL1Origin(_ context.Context, req originselector.Request) (eth.L1BlockRef, error) {
	if s.cfg == nil {
		return eth.L1BlockRef{}, fmt.Errorf("%w: not configured", eth.ErrInvalidArgument)
	}
	nextTime := req.UnsafeHead.Time + s.cfg.BlockTime
	if nextTime <= req.CurrentOrigin.Time+s.cfg.MaxDrift(req.CurrentOrigin.Time) {
		return req.CurrentOrigin, nil
	}
	if req.NextOrigin == nil {
		return eth.L1BlockRef{}, originselector.ErrNextOriginRequired
	}
	if req.NextOrigin.ParentHash != req.CurrentOrigin.Hash {
		return eth.L1BlockRef{}, originselector.ErrNextOriginOrphaned
	}
	return *req.NextOrigin, nil
}
