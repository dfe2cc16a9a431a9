package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/builtin"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// The default L1 source and engine, run as real plugin processes of the
// opal binary, pass their conformance suites against the devnet's real L1
// and op-geth.
func TestDefaultPluginsPassSuitesAsProcesses(t *testing.T) {
	bin := buildOpal(t)
	c, err := chain.New(context.Background(), chain.Config{L1OnDemand: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		if _, err := c.L1.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ep := c.Endpoints()
	jsonCfg := func(m map[string]any) []byte { b, _ := json.Marshal(m); return b }
	h := pluginhost.New(pluginhost.Options{
		Catalog: builtin.Catalog(), Rollup: c.Rollup, L1ChainConfig: c.L1.ChainConfig(),
		SelfCommand: func(kind sdk.Kind, name string) (*exec.Cmd, error) {
			return exec.Command(bin, "plugin", "serve", string(kind), "--name", name), nil
		},
	})
	t.Cleanup(h.Close)
	insts, err := h.Load(ctx, []pluginhost.Spec{
		{Kind: sdk.L1Source, Key: "plugins.l1source", Builtin: "default", Mode: pluginhost.Process, OnFailure: pluginhost.Stop,
			Config: jsonCfg(map[string]any{"rpc": ep.L1HTTP, "beacon": ep.L1Beacon})},
		{Kind: sdk.Engine, Key: "plugins.engine", Builtin: "default", Mode: pluginhost.Process, OnFailure: pluginhost.Stop,
			Config: jsonCfg(map[string]any{"url": ep.L2Engine, "jwt_secret": ep.L2JWTSecret})},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("l1source", func(t *testing.T) {
		// What the suite expects: the devnet L1's blocks and receipts.
		bc := c.L1.Eth().BlockChain()
		want := &sdktest.L1Chain{ChainID: c.L1.ChainConfig().ChainID, Inbox: c.Rollup.BatchInboxAddress, Watched: chain.PortalAddress}
		for n := uint64(0); n <= bc.CurrentBlock().Number.Uint64(); n++ {
			b := bc.GetBlockByNumber(n)
			want.Blocks = append(want.Blocks, b)
			want.Receipts = append(want.Receipts, []*types.Receipt(bc.GetReceiptsByHash(b.Hash())))
		}
		sdktest.RunL1SourceSuite(t, insts[sdk.L1Source].Components().L1Source, want)
	})
	t.Run("engine", func(t *testing.T) {
		g := c.L2.GenesisBlock()
		genesis := eth.L2BlockRef{Hash: g.Hash(), Number: 0, Time: g.Time(), L1Origin: c.Rollup.Genesis.L1}
		l1Head := c.L1.Eth().BlockChain().GetHeaderByNumber(1)
		sdktest.RunEngineSuite(t, insts[sdk.Engine].Components().Engine, genesis, func(parent eth.L2BlockRef) *eth.PayloadAttributes {
			ts := parent.Time + c.Rollup.BlockTime
			info, err := l1info.DepositBytes(c.Rollup, c.L1.ChainConfig(), c.Rollup.Genesis.SystemConfig, 0, l1Head, ts)
			if err != nil {
				t.Fatal(err)
			}
			gas := c.Rollup.Genesis.SystemConfig.GasLimit
			var mb uint64
			root := l1Head.ParentBeaconRoot
			if root == nil {
				root = &common.Hash{}
			}
			return &eth.PayloadAttributes{
				Timestamp: ts, PrevRandao: l1Head.MixDigest, SuggestedFeeRecipient: common.HexToAddress("0x4200000000000000000000000000000000000011"),
				Withdrawals: []*types.Withdrawal{}, ParentBeaconBlockRoot: root, Transactions: [][]byte{info}, NoTxPool: true,
				GasLimit: &gas, EIP1559Params: &eth.Bytes8{}, MinBaseFee: &mb,
			}
		})
	})
}
