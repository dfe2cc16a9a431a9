// Package deriver is opal's default deriver plugin: the OP Stack derivation
// pipeline of op-node (package pipeline) behind the sdk's deriver contract,
// plus the sequencer's attributes builder.
//
// The same inputs always give the same results: the deriver reads nothing
// but what it is fed and, for L2 safe blocks from before its last reset,
// the core's host service.
package deriver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/plugins/deriver/pipeline"
	"github.com/opalnode/opal/sdk/base"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Version of the implementation, reported by Info.
const Version = "1.0.0"

// Deriver implements the sdk's deriver.Deriver. It is not safe for
// concurrent use; the core calls it from its single loop goroutine.
type Deriver struct {
	// variant is set for a deriver built by NewVariant.
	variant *Variant

	cfg *rollup.Config
	l1  *params.ChainConfig
	p   *pipeline.Pipeline
	// last is the result Step handed out most recently: PayloadInvalid
	// refers to it.
	last *pipeline.Result
}

var _ sdkderiver.Deriver = (*Deriver)(nil)

// New returns an unconfigured deriver.
func New() *Deriver { return &Deriver{} }

// Info names the implementation "default", or the variant's name.
func (d *Deriver) Info(context.Context) (base.Info, error) {
	if v := d.variant; v != nil {
		return base.Info{Name: v.Name, Version: v.Version}, nil
	}
	return base.Info{Name: "default", Version: Version}, nil
}

// Configure takes the rollup config (required) and the L1 chain config,
// which the L1-info deposit needs from Ecotone on for the blob base fee.
// Without one in the request, the L1 chain id picks Ethereum mainnet's or
// Sepolia's; any other L1 needs rollup.l1_chain_config once Ecotone is
// scheduled. The plugin's own config table takes no keys.
func (d *Deriver) Configure(ctx context.Context, req base.ConfigureRequest) error {
	if req.Rollup == nil {
		return fmt.Errorf("%w: rollup config required", eth.ErrInvalidArgument)
	}
	rc, rules, err := d.rules(req)
	if err != nil {
		return err
	}
	l1 := req.L1ChainConfig
	if l1 == nil {
		l1 = knownL1Config(req.Rollup.L1ChainID)
	}
	if l1 == nil && req.Rollup.EcotoneTime != nil {
		return fmt.Errorf("%w: rollup.l1_chain_config: L1 chain %v is not a known network; its chain config is needed for the blob base fee from Ecotone on",
			eth.ErrInvalidArgument, req.Rollup.L1ChainID)
	}
	pc := pipeline.Config{Rollup: rc, L1: l1, ExtraBatchers: rules.ExtraBatchers}
	if req.Host != nil {
		pc.SafeChain = req.Host
	}
	p, err := pipeline.New(pc)
	if err != nil {
		return fmt.Errorf("%w: %v", eth.ErrInvalidArgument, err)
	}
	d.cfg, d.l1, d.p, d.last = rc, l1, p, nil
	return nil
}

// knownL1Config returns the chain config of a public L1 by chain id.
func knownL1Config(id *big.Int) *params.ChainConfig {
	switch {
	case id == nil:
		return nil
	case id.Cmp(params.MainnetChainConfig.ChainID) == 0:
		return params.MainnetChainConfig
	case id.Cmp(params.SepoliaChainConfig.ChainID) == 0:
		return params.SepoliaChainConfig
	}
	return nil
}

// checkPluginConfig accepts an empty table: the default deriver has no
// settings, so any key is a mistake worth reporting.
func checkPluginConfig(raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	var table map[string]json.RawMessage
	if err := json.Unmarshal(raw, &table); err != nil {
		return fmt.Errorf("%w: deriver config: %v", eth.ErrInvalidArgument, err)
	}
	for k := range table {
		return fmt.Errorf("%w: deriver config: unknown key %q (the default deriver takes no settings)", eth.ErrInvalidArgument, k)
	}
	return nil
}

func (d *Deriver) configured() error {
	if d.p == nil {
		return fmt.Errorf("%w: deriver not configured", eth.ErrInvalidArgument)
	}
	return nil
}
