package pipeline

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/postexec"
	"github.com/opalnode/opal/plugins/deriver/upgrade"
	"github.com/opalnode/opal/sdk/rollup"
)

// referenceLagoonDeposits reads the reference's Lagoon activation deposits
// of one variant ("with_interop_wrappers" or "bundle_only").
func referenceLagoonDeposits(t *testing.T, variant string) [][]byte {
	t.Helper()
	var v struct {
		Variants map[string]struct {
			Transactions []struct {
				Raw hexutil.Bytes `json:"raw_tx"`
			} `json:"transactions"`
		} `json:"variants"`
	}
	if err := json.Unmarshal(vectors.Read(t, "reference/lagoon_upgrade_txs.json"), &v); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, tx := range v.Variants[variant].Transactions {
		out = append(out, tx.Raw)
	}
	if len(out) == 0 {
		t.Fatalf("no %s vectors", variant)
	}
	return out
}

// Derivation across the Lagoon activation, with no engine: a recorded L1
// range carries one span batch for L2 blocks 1..10 whose block 5 is the
// first at or after lagoon_time. Block 5's attributes carry the L1-info
// deposit then exactly the reference's activation deposits (with the
// interop wrappers when the dependency set has another chain), the upgrade
// gas on top of the gas limit and no tx pool; the blocks after it derive,
// with the gas limit back to the system config's and a post-exec
// transaction accepted in block 7.
func TestPipelineLagoonActivation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		variant string
		depset  *rollup.DependencySet
	}{
		{"with_interop_wrappers", rollup.NewDependencySet(901, 902)},
		{"bundle_only", rollup.NewDependencySet(901)},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			want := referenceLagoonDeposits(t, tc.variant)
			chain := newL1Chain(t, 8)
			forks := allForks("karst")
			forks.lagoon = u64(testGenesisTime + 2*5 - 1) // off-slot, as on OP Sepolia: block 5 activates
			cfg := testConfig(chain.ref(0), forks)
			cfg.DependencySet = tc.depset
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			o0 := chain.ref(0)
			var blocks []*batch.Singular
			var seqs []uint64
			for n := uint64(1); n <= 10; n++ {
				var txs [][]byte
				switch n {
				case 5: // the activation block takes no user transactions
				case 7:
					pe, err := postexec.Encode(&postexec.Payload{Version: 1, BlockNumber: 7, Entries: []postexec.Entry{{Index: 1, GasRefund: 1000}}})
					if err != nil {
						t.Fatal(err)
					}
					txs = [][]byte{l2Tx(t, n), pe}
				default:
					txs = [][]byte{l2Tx(t, n)}
				}
				blocks = append(blocks, singular(n, o0, txs...))
				seqs = append(seqs, n)
			}
			chain.postChannel(1, 1, channel.Brotli, encodeSpan(t, cfg, seqs, blocks...))
			d := newDriver(t, cfg, chain)
			d.run(2)
			if len(d.out) != 10 {
				t.Fatalf("derived %d blocks, want 10", len(d.out))
			}
			act := d.out[4].Attributes
			if !cfg.IsLagoonActivationBlock(act.Timestamp) || cfg.IsLagoonActivationBlock(d.out[3].Attributes.Timestamp) {
				t.Fatalf("block 5 (t=%d) is not the activation block", act.Timestamp)
			}
			if got := act.Transactions[1:]; len(got) != len(want) {
				t.Fatalf("activation block has %d deposits after the L1-info one, the reference %d", len(got), len(want))
			}
			for i, w := range want {
				if !bytes.Equal(act.Transactions[1+i], w) {
					t.Fatalf("activation deposit %d differs from the reference", i)
				}
			}
			gas := cfg.Genesis.SystemConfig.GasLimit
			if !act.NoTxPool || act.GasLimit == nil || *act.GasLimit != gas+upgrade.LagoonUpgradeGas() {
				t.Fatalf("activation block: no-tx-pool %v, gas limit %v, want %d", act.NoTxPool, act.GasLimit, gas+upgrade.LagoonUpgradeGas())
			}
			if d.out[4].Next.GasLimit != gas {
				t.Fatalf("system config after the activation block has gas limit %d, want %d (upgrade gas stripped)", d.out[4].Next.GasLimit, gas)
			}
			for i, r := range d.out {
				n := i + 1
				if n != 5 && (r.Attributes.GasLimit == nil || *r.Attributes.GasLimit != gas) {
					t.Errorf("block %d gas limit %v, want %d", n, r.Attributes.GasLimit, gas)
				}
			}
			txs := d.batchTxs()
			if len(txs[4]) != 0 || len(txs[5]) != 1 || len(txs[6]) != 2 || txs[6][1][0] != postexec.TxType || len(txs[9]) != 1 {
				t.Fatalf("batch txs per block: %d %d %d %d", len(txs[4]), len(txs[5]), len(txs[6]), len(txs[9]))
			}
		})
	}
}

// Before Lagoon a post-exec transaction in a span's block is decoded and
// then refused by the batch checks, as op-node does (its Lagoon action test:
// "sequencers may not embed any PostExec transactions before SDM", then the
// Holocene flush): the blocks before it derive, its block and the rest of
// the channel do not, and the chain goes on with deposit-only blocks.
func TestPipelinePostExecBeforeLagoon(t *testing.T) {
	t.Parallel()
	chain := newL1Chain(t, 10)
	cfg := testConfig(chain.ref(0), allForks("karst"))
	o0 := chain.ref(0)
	pe, err := postexec.Encode(&postexec.Payload{Version: 1, BlockNumber: 2})
	if err != nil {
		t.Fatal(err)
	}
	b1, b2, b3 := singular(1, o0, l2Tx(t, 1)), singular(2, o0, l2Tx(t, 2), pe), singular(3, o0, l2Tx(t, 3))
	chain.postChannel(1, 1, channel.Zlib, encodeSpan(t, cfg, []uint64{1, 2, 3}, b1, b2, b3))
	d := newDriver(t, cfg, chain)
	d.run(len(chain.blocks))
	if got := d.userBlocks(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("blocks with batch txs %v, want only block 1", got)
	}
	if len(d.out) < 3 {
		t.Fatal("the chain did not go on after the dropped block")
	}
}
