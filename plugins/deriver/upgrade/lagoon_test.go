package upgrade

import (
	"bytes"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/sdk/rollup"
)

type lagoonVariant struct {
	InteropWrappers bool   `json:"activate_interop_contracts"`
	SumOfTxGas      uint64 `json:"sum_of_tx_gas"`
	TxCount         int    `json:"tx_count"`
	UpgradeGas      uint64 `json:"upgrade_gas"`
	Transactions    []struct {
		Index      int             `json:"index"`
		SourceHash common.Hash     `json:"source_hash"`
		To         *common.Address `json:"to"`
		Mint       string          `json:"mint"`
		Value      string          `json:"value"`
		Gas        uint64          `json:"gas"`
		DataKeccak common.Hash     `json:"data_keccak"`
		Raw        hexutil.Bytes   `json:"raw_tx"`
		TxHash     common.Hash     `json:"tx_hash"`
	} `json:"transactions"`
}

// Both variants of the Lagoon activation deposits equal the reference's
// byte for byte: with the interop wrappers (dependency set of more than one
// chain: OP Mainnet, OP Sepolia, Unichain) and bundle only (Ink, Soneium).
func TestLagoonVectors(t *testing.T) {
	var v struct {
		BundleSHA256 string                   `json:"bundle_sha256"`
		ForkLockHash string                   `json:"fork_lock_hash"`
		Variants     map[string]lagoonVariant `json:"variants"`
	}
	if err := json.Unmarshal(vectors.Read(t, "reference/lagoon_upgrade_txs.json"), &v); err != nil {
		t.Fatal(err)
	}
	if v.BundleSHA256 != "sha256:"+LagoonBundleSHA256 || v.ForkLockHash != v.BundleSHA256 {
		t.Fatalf("pinned sha256 %s, vectors say %s (lock %s)", LagoonBundleSHA256, v.BundleSHA256, v.ForkLockHash)
	}
	if ref := vectors.Read(t, "reference/lagoon_nut_bundle.json"); !bytes.Equal(ref, lagoonBundleJSON) {
		t.Fatal("embedded lagoon_nut_bundle.json differs from the reference copy")
	}
	if len(v.Variants) != 2 {
		t.Fatalf("%d variants, want 2", len(v.Variants))
	}
	for name, want := range v.Variants {
		t.Run(name, func(t *testing.T) {
			got := LagoonTransactions(want.InteropWrappers)
			if len(got) != want.TxCount || len(want.Transactions) != want.TxCount {
				t.Fatalf("%d txs, vectors have %d (tx_count %d)", len(got), len(want.Transactions), want.TxCount)
			}
			wantCount := 28
			if want.InteropWrappers {
				wantCount = 30
			}
			if len(got) != wantCount {
				t.Fatalf("%d txs, want %d", len(got), wantCount)
			}
			var gas uint64
			for i, w := range want.Transactions {
				if w.Index != i {
					t.Fatalf("vector %d has index %d", i, w.Index)
				}
				if !bytes.Equal(got[i], w.Raw) {
					t.Errorf("tx %d: raw bytes differ", i)
				}
				if h := crypto.Keccak256Hash(got[i]); h != w.TxHash {
					t.Errorf("tx %d: hash %s, want %s", i, h, w.TxHash)
				}
				dep, err := deposit.Decode(got[i])
				if err != nil {
					t.Fatal(err)
				}
				mint, value := "0", "0"
				if dep.Mint != nil {
					mint = dep.Mint.String()
				}
				if dep.Value != nil {
					value = dep.Value.String()
				}
				if dep.SourceHash != w.SourceHash || dep.From != Depositor || dep.Gas != w.Gas || dep.To == nil || w.To == nil ||
					*dep.To != *w.To || crypto.Keccak256Hash(dep.Data) != w.DataKeccak || dep.IsSystemTx || mint != w.Mint || value != w.Value {
					t.Errorf("tx %d: decoded fields differ: %+v", i, dep)
				}
				gas += dep.Gas
			}
			if gas != want.SumOfTxGas {
				t.Errorf("sum of gas %d, want %d", gas, want.SumOfTxGas)
			}
			if LagoonUpgradeGas() != want.UpgradeGas {
				t.Errorf("upgrade gas %d, want %d", LagoonUpgradeGas(), want.UpgradeGas)
			}
		})
	}
	if intents := LagoonIntents(); len(intents) != 28 || intents[0] != "Interop 0: Deploy StorageSetter Implementation" ||
		intents[27] != "Interop 27: L2ProxyAdmin Upgrade Predeploys" {
		t.Errorf("intents: %d, first %q, last %q", len(intents), intents[0], intents[len(intents)-1])
	}
}

// The Lagoon activation block gets the deposits of the chain's dependency
// set; the gas is added on the activation block and stripped from it, and
// Karst's keep flag does not apply to Lagoon.
func TestLagoonActivation(t *testing.T) {
	base := func(depset *rollup.DependencySet) *rollup.Config {
		cfg := &rollup.Config{BlockTime: 2, L2ChainID: big.NewInt(10), DependencySet: depset}
		cfg.Genesis.L2Time = 1000
		for _, f := range []**uint64{&cfg.RegolithTime, &cfg.CanyonTime, &cfg.DeltaTime, &cfg.EcotoneTime, &cfg.FjordTime,
			&cfg.GraniteTime, &cfg.HoloceneTime, &cfg.IsthmusTime, &cfg.JovianTime} {
			*f = u64(0)
		}
		cfg.KarstTime = u64(1010)
		cfg.KeepKarstUpgradeGas = true
		cfg.LagoonTime = u64(1021) // not on a slot: the activation block is at 1022
		return cfg
	}
	for _, tc := range []struct {
		name   string
		depset *rollup.DependencySet
		want   int
	}{
		{"no dependency set", nil, 28},
		{"only itself", rollup.NewDependencySet(10), 28},
		{"with unichain", rollup.NewDependencySet(10, 130), 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base(tc.depset)
			for ts, want := range map[uint64]int{1020: 0, 1022: tc.want, 1024: 0} {
				txs, err := Transactions(cfg, ts)
				if err != nil {
					t.Fatal(err)
				}
				if len(txs) != want {
					t.Errorf("t=%d: %d txs, want %d", ts, len(txs), want)
				}
			}
			if got := ActivationGas(cfg, 1022); got != LagoonUpgradeGas() {
				t.Errorf("activation gas %d, want %d", got, LagoonUpgradeGas())
			}
			if got := GasToStrip(cfg, 1022); got != LagoonUpgradeGas() {
				t.Errorf("gas to strip %d, want %d", got, LagoonUpgradeGas())
			}
			if ActivationGas(cfg, 1024) != 0 || GasToStrip(cfg, 1024) != 0 || GasToStrip(cfg, 1010) != 0 {
				t.Error("gas outside the activation block")
			}
			if ActivationGas(cfg, 1010) != KarstUpgradeGas() {
				t.Error("karst gas")
			}
		})
	}
	// Without keep_karst_upgrade_gas, Karst's gas is stripped on its block.
	cfg := base(nil)
	cfg.KeepKarstUpgradeGas = false
	if GasToStrip(cfg, 1010) != KarstUpgradeGas() {
		t.Error("karst gas not stripped")
	}
}
