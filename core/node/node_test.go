package node

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/core/rpc"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// fakeNode runs the whole core on sdktest fakes: an L1 chain, a deriver
// that derives one block per L1 block, an in-memory engine.
func fakeNode(t *testing.T, dataDir string, chain *sdktest.L1Chain) *Node {
	t.Helper()
	n, _, _ := fakeNodeWith(t, dataDir, chain, nil)
	return n
}

// fakeNodeWith also returns the fake L1 and engine, and lets the caller
// adjust the config before start.
func fakeNodeWith(t *testing.T, dataDir string, chain *sdktest.L1Chain, adjust func(*config.Config)) (*Node, *sdktest.FakeL1Source, *sdktest.FakeEngine) {
	t.Helper()
	rc := sdktest.TestRollupConfig(eth.HeaderRef(chain.Blocks[0].Header()))
	genesis := eth.L2BlockRef{Hash: rc.Genesis.L2.Hash, Number: 0, Time: rc.Genesis.L2Time, L1Origin: rc.Genesis.L1}
	cat := pluginhost.NewCatalog()
	eng := sdktest.NewFakeEngine(genesis)
	eng.Origin = sdktest.FakeOrigin
	src := sdktest.NewFakeL1Source(chain)
	cat.Register(sdk.L1Source, "default", func() sdk.Components { return sdk.Components{L1Source: src} })
	cat.Register(sdk.OriginSelector, "default", func() sdk.Components { return sdk.Components{OriginSelector: &sdktest.LazySelector{}} })
	cat.Register(sdk.Deriver, "default", func() sdk.Components { return sdk.Components{Deriver: &sdktest.FakeDeriver{}} })
	var engImpl engineIface = eng
	if wrapEngine != nil {
		engImpl = wrapEngine(eng)
	}
	cat.Register(sdk.Engine, "default", func() sdk.Components { return sdk.Components{Engine: engImpl} })
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.RPC.Port = 0
	cfg.RPC.EnableAdmin = true
	if adjust != nil {
		adjust(cfg)
	}
	n, err := New(Options{Config: cfg, Rollup: rc, Catalog: cat, Version: "test",
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}})})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n, src, eng
}

// wrapEngine, when set by a test, wraps the fake engine of fakeNodeWith.
var wrapEngine func(engineIface) engineIface

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func rpcCall(t *testing.T, addr, method string, params ...any) json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	res, msg := rpcRaw(t, addr, string(body))
	if msg != "" {
		t.Fatalf("%s: %s", method, msg)
	}
	return res
}

// Derivation runs end to end through the loop: every L1 block becomes a
// safe L2 block, finality follows L1 finality, and the RPC reports it in
// op-node's JSON shape.
func TestDerivesFinalizesAndReports(t *testing.T) {
	chain := sdktest.NewL1Chain(10)
	n := fakeNode(t, t.TempDir(), chain)
	waitFor(t, "safe head 10", func() bool { return n.Heads().Safe.Number == 10 })
	// The fake L1 finalizes head-4 = block 6; the fake deriver derives L2
	// block n from L1 block n, so L2 block 6 is final.
	waitFor(t, "finalized head 6", func() bool { return n.Heads().Finalized.Number == 6 })

	var st map[string]json.RawMessage
	if err := json.Unmarshal(rpcCall(t, n.RPCAddr(), "optimism_syncStatus"), &st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"current_l1", "current_l1_finalized", "head_l1", "safe_l1", "finalized_l1", "unsafe_l2",
		"safe_l2", "finalized_l2", "pending_safe_l2", "cross_unsafe_l2", "local_safe_l2"} {
		if _, ok := st[k]; !ok {
			t.Errorf("syncStatus lacks %q", k)
		}
	}
	var safe struct {
		Number   uint64      `json:"number"`
		Hash     common.Hash `json:"hash"`
		L1Origin struct {
			Number uint64 `json:"number"`
		} `json:"l1origin"`
	}
	if err := json.Unmarshal(st["safe_l2"], &safe); err != nil || safe.Number != 10 {
		t.Fatalf("safe_l2 %s: %v", st["safe_l2"], err)
	}
	var head struct {
		Number uint64 `json:"number"`
	}
	_ = json.Unmarshal(st["head_l1"], &head)
	if head.Number != 10 {
		t.Fatalf("head_l1 %s", st["head_l1"])
	}
	var sh rpc.SafeHeadResponse
	if err := json.Unmarshal(rpcCall(t, n.RPCAddr(), "optimism_safeHeadAtL1Block", "0x5"), &sh); err != nil || sh.SafeHead.Number != 5 {
		t.Fatalf("safeHeadAtL1Block(5): %+v %v", sh, err)
	}
	var plugins []pluginhost.Status
	if err := json.Unmarshal(rpcCall(t, n.RPCAddr(), "opal_pluginStatus"), &plugins); err != nil || len(plugins) != 3 {
		t.Fatalf("opal_pluginStatus: %+v %v", plugins, err)
	}
	// In-process plugin calls are timed per kind and method.
	families, err := n.metrics.Reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var steps uint64
	for _, f := range families {
		if f.GetName() != "opal_plugin_call_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == "deriver" && labels["method"] == "Step" {
				steps = m.GetHistogram().GetSampleCount()
			}
		}
	}
	if steps == 0 {
		t.Fatal("no timed deriver Step calls in the metrics")
	}
	if v := rpcCall(t, n.RPCAddr(), "optimism_version"); string(v) != `"test"` {
		t.Fatalf("version %s", v)
	}
}

// A node restarted on the same data dir resumes from its stored heads.
func TestRestartResumes(t *testing.T) {
	dir := t.TempDir()
	chain := sdktest.NewL1Chain(6)
	n := fakeNode(t, dir, chain)
	waitFor(t, "safe head 6", func() bool { return n.Heads().Safe.Number == 6 })
	n.Stop()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, ok, err := st.LoadHeads()
	st.Close()
	if err != nil || !ok || h.Safe.Number != 6 {
		t.Fatalf("stored heads after stop: %+v %v %v", h, ok, err)
	}
}

// optimism_syncStatus is served from the snapshot the loop published, so a
// loop busy with a long dispatch neither delays it nor empties its L1 fields.
func TestSyncStatusWhileTheLoopIsBusy(t *testing.T) {
	chain := sdktest.NewL1Chain(4)
	n := fakeNode(t, t.TempDir(), chain)
	waitFor(t, "safe head 4", func() bool { return n.Heads().Safe.Number == 4 })
	release := make(chan struct{})
	busy := make(chan struct{})
	go func() {
		_ = n.runOnLoop(context.Background(), "busy", func(context.Context) error {
			close(busy)
			<-release
			return nil
		})
	}()
	<-busy
	defer close(release)
	var st struct {
		HeadL1 struct {
			Number uint64 `json:"number"`
		} `json:"head_l1"`
		SafeL2 struct {
			Number uint64 `json:"number"`
		} `json:"safe_l2"`
	}
	done := make(chan error, 1)
	go func() { done <- json.Unmarshal(rpcCall(t, n.RPCAddr(), "optimism_syncStatus"), &st) }()
	select {
	case err := <-done:
		if err != nil || st.HeadL1.Number != 4 || st.SafeL2.Number != 4 {
			t.Fatalf("status while the loop is busy: %+v %v", st, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("optimism_syncStatus waited for the busy loop")
	}
}

// A rollup config scheduling a fork opal does not implement, already
// active, refuses the node's start, naming the fork.
func TestUnknownForkRefusesStart(t *testing.T) {
	t.Parallel()
	chain := sdktest.NewL1Chain(2)
	rc := sdktest.TestRollupConfig(eth.HeaderRef(chain.Blocks[0].Header()))
	past := uint64(1_700_000_000)
	rc.UnknownForks = map[string]*uint64{"zircon": &past}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	_, err := New(Options{Config: cfg, Rollup: rc, Catalog: pluginhost.NewCatalog(), Version: "test"})
	if err == nil || !strings.Contains(err.Error(), "zircon_time") {
		t.Fatalf("start with an unknown active fork: %v", err)
	}
}

// rpcRaw posts one JSON-RPC request as op-node's clients write it and
// returns the raw result and error message.
func rpcRaw(t *testing.T, addr, body string) (json.RawMessage, string) {
	t.Helper()
	resp, err := http.Post("http://"+addr, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Error != nil {
		return nil, out.Error.Message
	}
	return out.Result, ""
}

// The op-node RPC methods answer op-node-shaped requests with op-node's
// field names and encodings: block refs with decimal numbers, 0x-hex
// roots, snake_case sync status and rollup config.
func TestOpNodeShapedRPC(t *testing.T) {
	chain := sdktest.NewL1Chain(6)
	n := fakeNode(t, t.TempDir(), chain)
	waitFor(t, "safe head 6", func() bool { return n.Heads().Safe.Number == 6 })
	addr := n.RPCAddr()
	keys := func(raw json.RawMessage, want ...string) map[string]json.RawMessage {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		for _, k := range want {
			if _, ok := m[k]; !ok {
				t.Errorf("answer %s lacks %q", raw, k)
			}
		}
		return m
	}
	refKeys := []string{"hash", "number", "parentHash", "timestamp", "l1origin", "sequenceNumber"}

	res, msg := rpcRaw(t, addr, `{"jsonrpc":"2.0","id":1,"method":"optimism_outputAtBlock","params":["0x3"]}`)
	if msg != "" {
		t.Fatalf("optimism_outputAtBlock: %s", msg)
	}
	out := keys(res, "version", "outputRoot", "blockRef", "withdrawalStorageRoot", "stateRoot", "syncStatus")
	ref := keys(out["blockRef"], refKeys...)
	if string(ref["number"]) != "3" || !strings.HasPrefix(string(out["outputRoot"]), `"0x`) || len(out["version"]) != 68 {
		t.Fatalf("outputAtBlock: %s", res)
	}
	keys(out["syncStatus"], "current_l1", "head_l1", "safe_l1", "finalized_l1", "unsafe_l2", "safe_l2", "finalized_l2")

	res, msg = rpcRaw(t, addr, `{"jsonrpc":"2.0","id":2,"method":"optimism_rollupConfig","params":[]}`)
	if msg != "" {
		t.Fatalf("optimism_rollupConfig: %s", msg)
	}
	rc := keys(res, "genesis", "block_time", "max_sequencer_drift", "seq_window_size", "channel_timeout", "l1_chain_id", "l2_chain_id",
		"batch_inbox_address", "deposit_contract_address", "l1_system_config_address")
	keys(rc["genesis"], "l1", "l2", "l2_time", "system_config")

	res, msg = rpcRaw(t, addr, `{"jsonrpc":"2.0","id":3,"method":"optimism_safeHeadAtL1Block","params":["0x4"]}`)
	if msg != "" {
		t.Fatalf("optimism_safeHeadAtL1Block: %s", msg)
	}
	sh := keys(res, "l1Block", "safeHead")
	keys(sh["safeHead"], "hash", "number")

	if res, msg = rpcRaw(t, addr, `{"jsonrpc":"2.0","id":4,"method":"optimism_version","params":[]}`); msg != "" || string(res) != `"test"` {
		t.Fatalf("optimism_version: %s %s", res, msg)
	}
	if res, msg = rpcRaw(t, addr, `{"jsonrpc":"2.0","id":5,"method":"admin_sequencerActive","params":[]}`); msg != "" || string(res) != "false" {
		t.Fatalf("admin_sequencerActive on a verifier: %s %s", res, msg)
	}
	if res, msg = rpcRaw(t, addr, `{"jsonrpc":"2.0","id":6,"method":"admin_resetDerivationPipeline","params":[]}`); msg != "" || string(res) != "null" {
		t.Fatalf("admin_resetDerivationPipeline: %s %s", res, msg)
	}
	waitFor(t, "safe head 6 again after the reset", func() bool { return n.Heads().Safe.Number == 6 })
	// A verifier has no sequencer to start or stop: an error, as op-node.
	if _, msg = rpcRaw(t, addr, `{"jsonrpc":"2.0","id":7,"method":"admin_startSequencer","params":["0x`+strings.Repeat("00", 32)+`"]}`); msg == "" {
		t.Fatal("admin_startSequencer on a verifier succeeded")
	}
	if _, msg = rpcRaw(t, addr, `{"jsonrpc":"2.0","id":8,"method":"admin_stopSequencer","params":[]}`); msg == "" {
		t.Fatal("admin_stopSequencer on a verifier succeeded")
	}
}
