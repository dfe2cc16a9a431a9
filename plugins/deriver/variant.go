package deriver

import (
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Rules are the derivation rules a variant may change, for A/B derivation:
// a researcher runs the default pipeline with one of them changed next to
// the spec and looks at the blocks where the two part. The zero value is
// the spec. Everything else is the default pipeline, stage for stage.
type Rules struct {
	// SeqWindowSize, when non-zero, replaces the rollup config's
	// sequencing window (in L1 blocks): how late a batch may be included
	// after its epoch, and when an epoch without batches gets deposit-only
	// blocks.
	SeqWindowSize uint64
	// ExtraBatchers are accepted as batch senders next to the system
	// config's batcher.
	ExtraBatchers []common.Address
}

// Variant describes a deriver with changed rules.
type Variant struct {
	// Name and Version are what Info reports; the name must not be
	// "default".
	Name, Version string
	// Rules reads the variant's config table (the plugin's section of the
	// node config, as JSON; empty when there is none) and returns the rules
	// to apply. An error must wrap eth.ErrInvalidArgument and name the key.
	Rules func(config json.RawMessage) (Rules, error)
}

// NewVariant returns the default deriver with the rules v's config picks.
func NewVariant(v Variant) *Deriver { return &Deriver{variant: &v} }

// rules returns the rollup config and the rules to derive with: the
// request's for the default deriver (whose config table must be empty),
// the variant's otherwise.
func (d *Deriver) rules(req base.ConfigureRequest) (*rollup.Config, Rules, error) {
	v := d.variant
	if v == nil {
		return req.Rollup, Rules{}, checkPluginConfig(req.Config)
	}
	if v.Name == "" || v.Name == "default" || v.Rules == nil {
		return nil, Rules{}, fmt.Errorf("%w: a variant needs its own name and a Rules function", eth.ErrInvalidArgument)
	}
	r, err := v.Rules(req.Config)
	if err != nil {
		return nil, Rules{}, err
	}
	rc := req.Rollup
	if r.SeqWindowSize != 0 {
		cp := *rc
		cp.SeqWindowSize = r.SeqWindowSize
		rc = &cp
	}
	return rc, r, nil
}
