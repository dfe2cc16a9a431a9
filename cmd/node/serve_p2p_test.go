package main

import (
	"context"
	"encoding/json"
	"math/big"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/p2p"
	"github.com/opalnode/opal/sdk/rollup"
	"github.com/opalnode/opal/sdk/sdktest"
)

// The p2p built-in passes its conformance suite as two `opal plugin serve
// p2p` processes, peered on loopback by a static address.
func TestOpalPluginServeP2P(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the opal binary")
	}
	bin := filepath.Join(t.TempDir(), "opal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build opal: %v\n%s", err, out)
	}
	cfg := sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x10"), Time: uint64(time.Now().Unix()) - 100})
	key, _ := crypto.GenerateKey()
	load := func(name string, table map[string]any) p2p.Gossip {
		table["listen_ip"], table["listen_tcp"], table["no_discovery"] = "127.0.0.1", 0, true
		table["peerstore_path"], table["discovery_path"] = "memory", "memory"
		table["priv_path"] = filepath.Join(t.TempDir(), name+"_p2p_priv.txt")
		raw, _ := json.Marshal(table)
		h := pluginhost.New(pluginhost.Options{
			Catalog: builtins(), Rollup: cfg,
			SelfCommand: func(kind sdk.Kind, n string) (*exec.Cmd, error) {
				return exec.Command(bin, "plugin", "serve", string(kind), "--name", n), nil
			},
		})
		t.Cleanup(h.Close)
		insts, err := h.Load(context.Background(), []pluginhost.Spec{{
			Kind: sdk.P2P, Key: "plugins.p2p", Builtin: "default", Mode: pluginhost.Process, OnFailure: pluginhost.Stop, Config: raw,
		}})
		if err != nil {
			t.Fatal(err)
		}
		if st := insts[sdk.P2P].Status(); st.Mode != "process" || st.ProtocolVersion != sdk.P2P.ProtocolVersion() {
			t.Fatalf("status %+v", st)
		}
		g := insts[sdk.P2P].Components().P2P
		if err := g.SetUnsafeBlockSigner(context.Background(), crypto.PubkeyToAddress(key.PublicKey)); err != nil {
			t.Fatal(err)
		}
		return g
	}
	seq := load("seq", map[string]any{"sequencer_key": common.Bytes2Hex(crypto.FromECDSA(key))})
	st, err := seq.Status(context.Background())
	if err != nil || len(st.ListenAddrs) == 0 {
		t.Fatalf("status %+v, %v", st, err)
	}
	ver := load("ver", map[string]any{"static": st.ListenAddrs[0]})
	var blocks []*eth.ExecutionPayloadEnvelope
	for i := 0; i < 64; i++ {
		blocks = append(blocks, v1Block(t, cfg, uint64(40+i)))
	}
	sdktest.RunP2PSuite(t, seq, ver, blocks[0], blocks[1:]...)
}

// v1Block is a valid pre-Canyon block at number, stamped now.
func v1Block(t *testing.T, cfg *rollup.Config, number uint64) *eth.ExecutionPayloadEnvelope {
	t.Helper()
	p := &eth.ExecutionPayload{
		ParentHash: common.BigToHash(new(big.Int).SetUint64(number)), StateRoot: common.HexToHash("0x5157"),
		ReceiptsRoot: types.EmptyReceiptsHash, BlockNumber: number, GasLimit: 30_000_000,
		Timestamp: uint64(time.Now().Unix()), BaseFeePerGas: big.NewInt(7), Transactions: [][]byte{{0x7e, 1}},
	}
	env := &eth.ExecutionPayloadEnvelope{ExecutionPayload: p}
	h, _ := blockmsg.BlockHash(env, cfg)
	p.BlockHash = h
	return env
}
