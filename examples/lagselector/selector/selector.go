// Package selector is an example origin selector written against opal's
// sdk only: it keeps the sequencer a fixed number of L1 blocks behind the
// L1 head ("lag"), on top of the protocol's drift rules. A chain builder
// might want this to stay clear of shallow L1 reorgs without touching the
// node.
package selector

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/rollup"
)

// Config is the plugin's config table.
type Config struct {
	// Lag is how many L1 blocks an origin must be behind the L1 head.
	Lag uint64 `json:"lag"`
}

// Lag is the selector.
type Lag struct {
	rollup *rollup.Config
	cfg    Config
}

// New returns an unconfigured selector with a lag of 8 blocks.
func New() *Lag { return &Lag{cfg: Config{Lag: 8}} }

func (s *Lag) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "lag", Version: "0.1.0"}, nil
}

func (s *Lag) Configure(_ context.Context, req base.ConfigureRequest) error {
	if req.Rollup == nil {
		return fmt.Errorf("%w: rollup config required", eth.ErrInvalidArgument)
	}
	cfg := Config{Lag: 8}
	if len(req.Config) > 0 {
		if err := json.Unmarshal(req.Config, &cfg); err != nil {
			return fmt.Errorf("%w: lag: %v", eth.ErrInvalidArgument, err)
		}
	}
	s.rollup, s.cfg = req.Rollup, cfg
	return nil
}

func (s *Lag) NextL1Origin(_ context.Context, req originselector.Request) (eth.L1BlockRef, error) {
	if s.rollup == nil {
		return eth.L1BlockRef{}, fmt.Errorf("%w: not configured", eth.ErrInvalidArgument)
	}
	cur, next := req.CurrentOrigin, req.NextOrigin
	nextTime := req.UnsafeHead.Time + s.rollup.BlockTime
	forced := nextTime > cur.Time+s.rollup.MaxDrift(cur.Time)
	if next == nil {
		if forced {
			return eth.L1BlockRef{}, originselector.ErrNextOriginRequired
		}
		return cur, nil
	}
	if next.ParentHash != cur.Hash {
		return eth.L1BlockRef{}, originselector.ErrNextOriginOrphaned
	}
	lagging := next.Number+s.cfg.Lag <= req.L1Head.Number
	if forced || (lagging && nextTime >= next.Time) {
		return *next, nil
	}
	return cur, nil
}
