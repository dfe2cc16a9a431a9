// Package originselector is opal's default origin selector: op-node's rule
// for the L1 origin of the next sequenced block. Stay on the current origin
// until the next L1 block's time has come (and it is confirmed deep enough),
// move when the max sequencer drift forces it, never pick an origin newer
// than the block being built.
package originselector

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	sdkos "github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/rollup"
)

// Config is the plugin's [plugins.originselector.config] table.
type Config struct {
	// L1Confs hides the newest L1 blocks: the next origin is used only once
	// L1Head.Number >= next.Number + L1Confs, unless the drift forces it.
	// The node fills it from --sequencer.l1-confs when the table omits it.
	L1Confs uint64 `json:"l1_confs"`
}

// Selector implements sdk/originselector.Selector.
type Selector struct {
	cfg    *rollup.Config
	config Config
}

var _ sdkos.Selector = (*Selector)(nil)

// New returns an unconfigured selector.
func New() *Selector { return &Selector{} }

func (s *Selector) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "default", Version: "1.0.0"}, nil
}

func (s *Selector) Configure(_ context.Context, req base.ConfigureRequest) error {
	if req.Rollup == nil {
		return fmt.Errorf("%w: rollup config required", eth.ErrInvalidArgument)
	}
	var c Config
	if len(req.Config) > 0 {
		if err := json.Unmarshal(req.Config, &c); err != nil {
			return fmt.Errorf("%w: l1_confs: %v", eth.ErrInvalidArgument, err)
		}
	}
	s.cfg, s.config = req.Rollup, c
	return nil
}

// NextL1Origin applies the rule. In recover mode the origin derivation
// would pick is wanted: the next origin is adopted as soon as its time
// allows, whatever the confirmation depth, and staying is fine at the L1 tip.
func (s *Selector) NextL1Origin(_ context.Context, req sdkos.Request) (eth.L1BlockRef, error) {
	if s.cfg == nil {
		return eth.L1BlockRef{}, fmt.Errorf("%w: not configured", eth.ErrInvalidArgument)
	}
	current := req.CurrentOrigin
	nextTime := req.UnsafeHead.Time + s.cfg.BlockTime
	pastDrift := nextTime > current.Time+s.cfg.MaxDrift(current.Time)

	next := req.NextOrigin
	if next != nil && !req.Recover && !pastDrift && next.Number+s.config.L1Confs > req.L1Head.Number {
		next = nil // not confirmed deep enough yet
	}
	if next == nil {
		if pastDrift && !req.Recover {
			return eth.L1BlockRef{}, fmt.Errorf("block at %d would exceed the max drift of origin %s: %w",
				nextTime, current, sdkos.ErrNextOriginRequired)
		}
		return current, nil
	}
	if next.ParentHash != current.Hash || next.Number != current.Number+1 {
		return eth.L1BlockRef{}, fmt.Errorf("next %s, current %s: %w", next, current, sdkos.ErrNextOriginOrphaned)
	}
	if nextTime >= next.Time {
		return *next, nil
	}
	return current, nil
}
