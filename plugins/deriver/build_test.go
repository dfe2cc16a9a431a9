package deriver_test

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/plugins/deriver"
	"github.com/opalnode/opal/sdk/base"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// TestBuildAttributesNoTxPool checks when the sequencer's attributes close
// the transaction pool: on the activation blocks of the forks that upgrade
// contracts, and past the max sequencer drift.
func TestBuildAttributesNoTxPool(t *testing.T) {
	t.Parallel()
	h := &types.Header{Number: big.NewInt(0), Time: 1_000_000, BaseFee: big.NewInt(1), Difficulty: new(big.Int)}
	origin := &eth.L1BlockData{Header: h}
	ref := eth.HeaderRef(h)
	const blockTime = 2
	at := func(n uint64) uint64 { return h.Time + blockTime*n }
	forkAt := func(name string, ts uint64) func(*sdktestConfig) {
		return func(c *sdktestConfig) { *c.fork(name) = &ts }
	}
	// Lagoon needs every fork before it scheduled.
	lagoonAt := func(ts uint64) func(*sdktestConfig) {
		return func(c *sdktestConfig) {
			for _, f := range []string{"ecotone", "fjord", "granite", "holocene", "isthmus", "jovian", "karst"} {
				zero := uint64(0)
				*c.fork(f) = &zero
			}
			c.LagoonTime = &ts
		}
	}
	cases := []struct {
		name   string
		set    func(*sdktestConfig)
		parent uint64 // parent block number; the new block is parent+1
		want   bool
	}{
		{"ordinary block", func(*sdktestConfig) {}, 1, false},
		{"ecotone activation", forkAt("ecotone", at(2)), 1, true},
		{"after ecotone activation", forkAt("ecotone", at(1)), 1, false},
		{"fjord activation", forkAt("fjord", at(2)), 1, true},
		{"granite activation", forkAt("granite", at(2)), 1, false},
		{"holocene activation", forkAt("holocene", at(2)), 1, false},
		{"isthmus activation", forkAt("isthmus", at(2)), 1, true},
		{"jovian activation", forkAt("jovian", at(2)), 1, true},
		{"karst activation", forkAt("karst", at(2)), 1, true},
		{"lagoon activation", lagoonAt(at(2)), 1, true},
		{"lagoon activation off-slot", lagoonAt(at(2) - 1), 1, true},
		{"after lagoon activation", lagoonAt(at(1)), 1, false},
		{"at the drift limit", func(*sdktestConfig) {}, 299, false},
		{"past the drift", func(*sdktestConfig) {}, 300, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newSdktestConfig(ref)
			tc.set(c)
			d := deriver.New()
			if err := d.Configure(context.Background(), base.ConfigureRequest{Rollup: c.rollupConfig, L1ChainConfig: params.AllDevChainProtocolChanges}); err != nil {
				t.Fatal(err)
			}
			parent := eth.L2BlockRef{Hash: common.Hash{1}, Number: tc.parent, Time: at(tc.parent), L1Origin: ref.ID(), SequenceNumber: tc.parent}
			res, err := d.BuildAttributes(context.Background(), sdkderiver.BuildRequest{Parent: parent, ParentSystemConfig: c.Genesis.SystemConfig, L1Origin: origin, Timestamp: at(tc.parent + 1)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Attributes.NoTxPool != tc.want {
				t.Fatalf("noTxPool %v, want %v", res.Attributes.NoTxPool, tc.want)
			}
		})
	}
	t.Run("origin off the parent's", func(t *testing.T) {
		t.Parallel()
		c := newSdktestConfig(ref)
		d := deriver.New()
		if err := d.Configure(context.Background(), base.ConfigureRequest{Rollup: c.rollupConfig}); err != nil {
			t.Fatal(err)
		}
		parent := eth.L2BlockRef{Hash: common.Hash{1}, Number: 1, Time: at(1), L1Origin: eth.BlockID{Hash: common.Hash{2}, Number: 5}}
		_, err := d.BuildAttributes(context.Background(), sdkderiver.BuildRequest{Parent: parent, L1Origin: origin, Timestamp: at(2)})
		if !errors.Is(err, eth.ErrReset) {
			t.Fatalf("error %v, want ErrReset", err)
		}
	})
}

// sdktestConfig is the sdk's test rollup config with every fork through
// Delta at genesis and later forks settable.
type sdktestConfig struct{ *rollupConfig }

func newSdktestConfig(l1 eth.L1BlockRef) *sdktestConfig {
	c := sdktest.TestRollupConfig(l1)
	zero := uint64(0)
	c.CanyonTime, c.DeltaTime = &zero, &zero
	return &sdktestConfig{c}
}

func (c *sdktestConfig) fork(name string) **uint64 {
	switch name {
	case "ecotone":
		return &c.EcotoneTime
	case "fjord":
		return &c.FjordTime
	case "granite":
		return &c.GraniteTime
	case "holocene":
		return &c.HoloceneTime
	case "isthmus":
		return &c.IsthmusTime
	case "jovian":
		return &c.JovianTime
	default:
		return &c.KarstTime
	}
}
