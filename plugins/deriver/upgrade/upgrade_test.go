package upgrade

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/sdk/rollup"
)

func TestEmbeddedMatchesReferenceVectors(t *testing.T) {
	var doc struct {
		UpgradeTxs map[string][]struct {
			SourceHash common.Hash     `json:"source_hash"`
			TxHash     common.Hash     `json:"tx_hash"`
			Raw        hexutil.Bytes   `json:"raw"`
			From       common.Address  `json:"from"`
			To         *common.Address `json:"to"`
			Gas        uint64          `json:"gas"`
			DataKeccak common.Hash     `json:"data_keccak"`
		} `json:"upgrade_txs"`
	}
	if err := json.Unmarshal(vectors.Read(t, "expected/reference_computed.json"), &doc); err != nil {
		t.Fatal(err)
	}
	wantCounts := map[string]int{Ecotone: 6, Fjord: 3, Isthmus: 8, Jovian: 5}
	for fork, want := range doc.UpgradeTxs {
		got, err := ForkTransactions(fork)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(got) != wantCounts[fork] {
			t.Fatalf("%s: %d txs, vectors have %d, want %d", fork, len(got), len(want), wantCounts[fork])
		}
		for i, w := range want {
			if h := crypto.Keccak256Hash(got[i]); h != w.TxHash {
				t.Errorf("%s tx %d: hash %s, want %s", fork, i, h, w.TxHash)
			}
			if !bytes.Equal(got[i], w.Raw) {
				t.Errorf("%s tx %d: raw differs", fork, i)
			}
			dep, err := deposit.Decode(got[i])
			if err != nil {
				t.Fatal(err)
			}
			if dep.SourceHash != w.SourceHash || dep.From != w.From || dep.Gas != w.Gas ||
				(dep.To == nil) != (w.To == nil) || (dep.To != nil && *dep.To != *w.To) ||
				crypto.Keccak256Hash(dep.Data) != w.DataKeccak || dep.IsSystemTx || dep.Mint != nil || dep.Value.Sign() != 0 {
				t.Errorf("%s tx %d: decoded fields differ: %+v", fork, i, dep)
			}
		}
	}
	if len(doc.UpgradeTxs) != len(wantCounts) {
		t.Errorf("vectors have %d forks", len(doc.UpgradeTxs))
	}
}

type karstVectors struct {
	BundleSHA256    string `json:"bundle_sha256"`
	ForkLockHash    string `json:"fork_lock_hash"`
	TotalUpgradeGas uint64 `json:"total_upgrade_gas"`
	TxCount         int    `json:"tx_count"`
	Transactions    []struct {
		BundleIntent string          `json:"bundle_intent"`
		DataKeccak   common.Hash     `json:"data_keccak"`
		DataLen      int             `json:"data_len"`
		From         common.Address  `json:"from"`
		Gas          uint64          `json:"gas"`
		Index        int             `json:"index"`
		Intent       string          `json:"intent"`
		IsSystemTx   bool            `json:"is_system_tx"`
		Mint         string          `json:"mint"`
		RawTx        hexutil.Bytes   `json:"raw_tx"`
		SourceHash   common.Hash     `json:"source_hash"`
		To           *common.Address `json:"to"`
		TxHash       common.Hash     `json:"tx_hash"`
		Value        string          `json:"value"`
	} `json:"transactions"`
}

func TestKarstVectors(t *testing.T) {
	var v karstVectors
	if err := json.Unmarshal(vectors.Read(t, "reference/karst_upgrade_txs.json"), &v); err != nil {
		t.Fatal(err)
	}
	if pin := strings.TrimPrefix(v.BundleSHA256, "sha256:"); pin != KarstBundleSHA256 {
		t.Fatalf("pinned sha256 %s, vectors say %s", KarstBundleSHA256, pin)
	}
	if v.ForkLockHash != v.BundleSHA256 {
		t.Fatalf("fork lock hash %s != bundle hash %s", v.ForkLockHash, v.BundleSHA256)
	}
	sum := sha256.Sum256(karstBundleJSON)
	if hex.EncodeToString(sum[:]) != KarstBundleSHA256 {
		t.Fatal("embedded bundle does not match its pin")
	}
	if ref := vectors.Read(t, "reference/karst_nut_bundle.json"); !bytes.Equal(ref, karstBundleJSON) {
		t.Fatal("embedded bundle differs from reference/karst_nut_bundle.json; run go generate")
	}
	if KarstUpgradeGas() != v.TotalUpgradeGas || v.TotalUpgradeGas != 55370657 {
		t.Fatalf("upgrade gas %d, want %d", KarstUpgradeGas(), v.TotalUpgradeGas)
	}
	txs, err := ForkTransactions(Karst)
	if err != nil {
		t.Fatal(err)
	}
	intents := KarstIntents()
	if len(txs) != 31 || len(v.Transactions) != 31 || v.TxCount != 31 || len(intents) != 31 {
		t.Fatalf("%d txs, %d vectors", len(txs), len(v.Transactions))
	}
	for i, w := range v.Transactions {
		if w.Index != i {
			t.Fatalf("vector %d has index %d", i, w.Index)
		}
		if intents[i] != w.Intent || deposit.UpgradeDepositSource(w.Intent) != w.SourceHash {
			t.Errorf("tx %d: intent %q, want %q", i, intents[i], w.Intent)
		}
		if !bytes.Equal(txs[i], w.RawTx) {
			t.Errorf("tx %d (%s): raw differs", i, w.Intent)
		}
		if h := crypto.Keccak256Hash(txs[i]); h != w.TxHash {
			t.Errorf("tx %d: hash %s, want %s", i, h, w.TxHash)
		}
		dep, err := deposit.Decode(txs[i])
		if err != nil {
			t.Fatal(err)
		}
		if dep.SourceHash != w.SourceHash || dep.From != w.From || dep.Gas != w.Gas || dep.IsSystemTx != w.IsSystemTx ||
			len(dep.Data) != w.DataLen || crypto.Keccak256Hash(dep.Data) != w.DataKeccak ||
			(dep.To == nil) != (w.To == nil) || (dep.To != nil && *dep.To != *w.To) ||
			w.Mint != "0" || w.Value != "0" || dep.Value.Sign() != 0 || dep.Mint != nil {
			t.Errorf("tx %d: fields differ", i)
		}
	}
}

func u64(v uint64) *uint64 { return &v }

func TestTransactionsByActivation(t *testing.T) {
	cfg := &rollup.Config{BlockTime: 2}
	cfg.Genesis.L2Time = 1000
	cfg.RegolithTime, cfg.CanyonTime, cfg.DeltaTime = u64(0), u64(0), u64(0)
	cfg.EcotoneTime = u64(1010)
	cfg.FjordTime = u64(1012)
	cfg.GraniteTime, cfg.HoloceneTime = u64(1012), u64(1012)
	cfg.IsthmusTime = u64(1020)
	cfg.JovianTime = u64(1020) // same block as Isthmus
	cfg.KarstTime = u64(1031)  // not on a slot: activates at 1032

	count := func(t uint64) int {
		txs, err := Transactions(cfg, t)
		if err != nil {
			panic(err)
		}
		return len(txs)
	}
	for ts, want := range map[uint64]int{1000: 0, 1008: 0, 1010: 6, 1012: 3, 1014: 0, 1020: 8 + 5, 1022: 0, 1030: 0, 1032: 31, 1034: 0} {
		if got := count(ts); got != want {
			t.Errorf("t=%d: %d txs, want %d", ts, got, want)
		}
	}
	// Order: Isthmus before Jovian.
	txs, _ := Transactions(cfg, 1020)
	isth, _ := ForkTransactions(Isthmus)
	jov, _ := ForkTransactions(Jovian)
	if !bytes.Equal(txs[0], isth[0]) || !bytes.Equal(txs[8], jov[0]) {
		t.Error("wrong order")
	}
	// Copies: modifying the result does not change the package data.
	txs[0][0] = 0
	again, _ := Transactions(cfg, 1020)
	if again[0][0] != deposit.TxType {
		t.Error("Transactions shares memory with the embedded data")
	}
	if ActivationGas(cfg, 1032) != KarstUpgradeGas() || ActivationGas(cfg, 1034) != 0 || ActivationGas(nil, 1032) != 0 {
		t.Error("ActivationGas")
	}
	if _, err := Transactions(nil, 0); err == nil {
		t.Error("nil config accepted")
	}
	if _, err := ForkTransactions("granite"); err == nil {
		t.Error("granite has no upgrade txs")
	}
}

func TestBundleRules(t *testing.T) {
	if _, err := ParseBundle([]byte(`{"metadata":{"version":"2.0.0"},"transactions":[]}`)); err == nil {
		t.Error("version 2.0.0 accepted")
	}
	if _, err := ParseBundle([]byte(`{`)); err == nil {
		t.Error("bad JSON accepted")
	}
	b, err := ParseBundle([]byte(`{"metadata":{"version":"1.0.0"},"transactions":[
		{"intent":"A","data":"0x01","gasLimit":5},
		{"intent":"B","from":"0x0000000000000000000000000000000000000000","to":"0x4200000000000000000000000000000000000018","data":"0x","gasLimit":7}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if b.Gas() != 12 {
		t.Errorf("gas %d", b.Gas())
	}
	deps, err := b.Deposits("Test")
	if err != nil {
		t.Fatal(err)
	}
	if deps[0].From != Depositor || deps[0].To != nil || deps[0].SourceHash != deposit.UpgradeDepositSource("Test 0: A") {
		t.Errorf("entry 0: %+v", deps[0])
	}
	if deps[1].From != (common.Address{}) || deps[1].To == nil || deps[1].SourceHash != deposit.UpgradeDepositSource("Test 1: B") {
		t.Errorf("entry 1: %+v", deps[1])
	}
	if deps[0].Mint.Cmp(big.NewInt(0)) != 0 || deps[0].Value.Sign() != 0 {
		t.Error("mint/value not zero")
	}
	b.Transactions[0].Intent = ""
	if _, err := b.Deposits("Test"); err == nil {
		t.Error("missing intent accepted")
	}
	b.Transactions[0].GasLimit = ^uint64(0)
	if b.Gas() != ^uint64(0) {
		t.Error("gas does not saturate")
	}
}
