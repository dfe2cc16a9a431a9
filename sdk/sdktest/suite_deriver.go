package sdktest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
)

// RunDeriverSuite checks the deriver contract on an L1 chain without batcher
// data: reset, starving, continuity, determinism, and the shape of any
// attributes produced (a conformant OP deriver produces deposit-only blocks
// once the sequencing window has passed). newDeriver must return a fresh,
// unconfigured instance each call.
func RunDeriverSuite(t *testing.T, newDeriver func(t *testing.T) deriver.Deriver) {
	t.Helper()
	ctx := context.Background()
	chain := NewL1Chain(24)
	cfg := TestRollupConfig(eth.HeaderRef(chain.Blocks[0].Header()))
	genesis := eth.L2BlockRef{Hash: cfg.Genesis.L2.Hash, Number: 0, Time: cfg.Genesis.L2Time, L1Origin: cfg.Genesis.L1}
	data := func(n int) *eth.L1BlockData {
		d, err := FilterBlockData(chain.Blocks[n], chain.Receipts[n], l1source.BlockDataRequest{
			BatchInbox: cfg.BatchInboxAddress, LogAddresses: []common.Address{cfg.DepositContractAddress, cfg.L1SystemConfigAddress},
		})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	fresh := func(t *testing.T) deriver.Deriver {
		d := newDeriver(t)
		if info, err := d.Info(ctx); err != nil || info.Name == "" {
			t.Fatalf("info: %+v, %v", info, err)
		}
		if err := d.Configure(ctx, base.ConfigureRequest{Rollup: cfg}); err != nil {
			t.Fatalf("configure: %v", err)
		}
		if err := d.Reset(ctx, deriver.ResetRequest{
			SafeHead: genesis, SystemConfig: cfg.Genesis.SystemConfig,
			L1Start: eth.HeaderRef(chain.Blocks[0].Header()), L1SystemConfig: cfg.Genesis.SystemConfig,
		}); err != nil {
			t.Fatalf("reset: %v", err)
		}
		return d
	}
	// run steps a fresh deriver over the whole chain and records every result.
	run := func(t *testing.T) []deriver.StepResult {
		d := fresh(t)
		var out []deriver.StepResult
		parent := genesis
		fed := 0
		for steps := 0; steps < 10_000; steps++ {
			res, err := d.Step(ctx, parent)
			if err != nil {
				t.Fatalf("step %d: %v", steps, err)
			}
			out = append(out, res)
			switch res.Outcome {
			case deriver.NeedL1:
				if fed == len(chain.Blocks) {
					return out
				}
				if err := d.AddL1Block(ctx, data(fed)); err != nil {
					t.Fatalf("add L1 block %d: %v", fed, err)
				}
				fed++
			case deriver.Attributes:
				a := res.Attributes
				if a == nil || a.Attributes == nil {
					t.Fatal("attributes outcome without attributes")
				}
				if a.Parent != parent {
					t.Fatalf("attributes on parent %v, asked for %v", a.Parent, parent)
				}
				if a.Attributes.Timestamp != parent.Time+cfg.BlockTime {
					t.Fatalf("timestamp %d, want %d", a.Attributes.Timestamp, parent.Time+cfg.BlockTime)
				}
				if len(a.Attributes.Transactions) == 0 || !eth.IsDepositTx(a.Attributes.Transactions[0]) {
					t.Fatal("first transaction is not a deposit")
				}
				if a.Attributes.GasLimit == nil {
					t.Fatal("attributes without gas limit")
				}
				// Pretend the engine built it: the next parent. The suite
				// does not decode the L1-info deposit, so the reference
				// names no L1 origin: the deriver knows its own block's.
				parent = eth.L2BlockRef{
					Hash: common.BigToHash(bigInt(int64(parent.Number + 0x7000))), Number: parent.Number + 1,
					ParentHash: parent.Hash, Time: a.Attributes.Timestamp,
				}
			case deriver.More:
			default:
				t.Fatalf("unknown outcome %v", res.Outcome)
			}
		}
		t.Fatal("deriver did not settle within 10000 steps")
		return nil
	}

	t.Run("starved", func(t *testing.T) {
		d := fresh(t)
		res, err := d.Step(ctx, genesis)
		if err != nil || res.Outcome != deriver.NeedL1 {
			t.Fatalf("step without L1 data: %+v, %v; want NeedL1", res, err)
		}
	})
	t.Run("gap-is-reset", func(t *testing.T) {
		d := fresh(t)
		if err := d.AddL1Block(ctx, data(0)); err != nil {
			t.Fatalf("add genesis L1 block: %v", err)
		}
		if err := d.AddL1Block(ctx, data(2)); !errors.Is(err, eth.ErrReset) {
			t.Fatalf("add a block that skips one: want eth.ErrReset, got %v", err)
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		a, b := run(t), run(t)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("two derivers fed the same inputs gave different results")
		}
	})
}
