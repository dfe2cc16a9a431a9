package engine

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/plugins/engine/internal/gethtest"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// configJSON is the plugin's config table for a URL and a secret file.
func configJSON(t testing.TB, url, secretFile string) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(map[string]any{"url": url, "jwt_secret": secretFile, "timeout": "5s"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startEngine runs op-geth and returns it with a configured plugin.
func startEngine(t testing.TB) (*gethtest.Engine, *Engine) {
	t.Helper()
	g := gethtest.Start(t)
	e := New()
	if err := e.Configure(context.Background(), base.ConfigureRequest{Config: configJSON(t, g.HTTPURL, g.SecretFile), Rollup: g.Rollup}); err != nil {
		t.Fatalf("configure: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return g, e
}

// genesisRef is the reference of the test chain's genesis.
func genesisRef(g *gethtest.Engine) eth.L2BlockRef {
	return eth.L2BlockRef{
		Hash: g.Genesis.Hash(), Number: g.Genesis.NumberU64(), ParentHash: g.Genesis.ParentHash(),
		Time: g.Genesis.Time(), L1Origin: g.Rollup.Genesis.L1,
	}
}

// l1Header is a synthetic L1 block, the origin of test L2 blocks.
func l1Header(number uint64, parent common.Hash, time uint64) *types.Header {
	beacon := common.BigToHash(new(big.Int).SetUint64(number * 1000))
	return &types.Header{
		ParentHash:       parent,
		Number:           new(big.Int).SetUint64(number),
		Time:             time,
		BaseFee:          big.NewInt(7_000_000_000),
		MixDigest:        common.BigToHash(new(big.Int).SetUint64(number*7 + 1)),
		ParentBeaconRoot: &beacon,
		Difficulty:       new(big.Int),
		GasLimit:         30_000_000,
	}
}

var (
	userFrom = common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	userTo   = common.HexToAddress("0x0000000000000000000000000000000000000b0b")
	feeVault = common.HexToAddress("0x4200000000000000000000000000000000000011")
)

// attrsFor builds Jovian attributes on parent: the L1-info deposit for
// origin l1 with sequence number seq and the test system config, then one
// user deposit minting ETH, then nothing else (noTxPool).
func attrsFor(t testing.TB, cfg *rollup.Config, parent eth.L2BlockRef, l1 *types.Header, seq uint64) *eth.PayloadAttributes {
	t.Helper()
	sys := gethtest.SystemConfig()
	ts := parent.Time + cfg.BlockTime
	info, err := l1info.DepositBytes(cfg, nil, sys, seq, l1, ts)
	if err != nil {
		t.Fatalf("l1 info deposit: %v", err)
	}
	txs := [][]byte{info}
	if seq == 0 {
		user := &deposit.Tx{
			SourceHash: deposit.UserDepositSource(l1.Hash(), 3),
			From:       userFrom,
			To:         &userTo,
			Mint:       big.NewInt(1e18),
			Value:      big.NewInt(1e17),
			Gas:        100_000,
		}
		raw, err := user.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, raw)
	}
	gas, minBase, params := sys.GasLimit, sys.MinBaseFee, sys.EIP1559Params
	return &eth.PayloadAttributes{
		Timestamp:             ts,
		PrevRandao:            l1.MixDigest,
		SuggestedFeeRecipient: feeVault,
		Withdrawals:           []*types.Withdrawal{},
		ParentBeaconBlockRoot: l1.ParentBeaconRoot,
		Transactions:          txs,
		NoTxPool:              true,
		GasLimit:              &gas,
		EIP1559Params:         &params,
		MinBaseFee:            &minBase,
	}
}
