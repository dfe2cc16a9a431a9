package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/builtin"
	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/node"
	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/rollup"
)

type refBlock struct {
	Number     uint64      `json:"number"`
	Hash       common.Hash `json:"hash"`
	ParentHash common.Hash `json:"parentHash"`
}

func expectedBlocks(t *testing.T, dir string) map[uint64]refBlock {
	t.Helper()
	var exp struct {
		Blocks []refBlock `json:"l2Blocks"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	out := map[uint64]refBlock{}
	for _, b := range exp.Blocks {
		out[b.Number] = b
	}
	if len(out) < 600 {
		t.Fatalf("expected.json has %d blocks", len(out))
	}
	return out
}

// refchainRun is a verifier on the shared refchain: its L1 imported into a
// geth, a fresh op-geth as its engine behind a call-counting proxy.
type refchainRun struct {
	node    *node.Node
	l2      *gethNode
	want    map[uint64]refBlock
	counter *engineCounter
	started time.Time
}

func startRefchain(t *testing.T, adjust func(*config.Config), self func(sdk.Kind, string) (*exec.Cmd, error)) *refchainRun {
	t.Helper()
	dir := filepath.Join(vectors.Dir(t), "refchain")
	r := &refchainRun{want: expectedBlocks(t, dir)}
	l1 := startGeth(t, readGenesis(t, filepath.Join(dir, "l1-genesis.json")), false)
	l1.importChain(t, filepath.Join(dir, "l1-chain.rlp.gz"))
	r.l2 = startGeth(t, readGenesis(t, filepath.Join(dir, "l2-genesis.json")), true)

	rc, err := rollup.Load(filepath.Join(dir, "rollup.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.L1.RPC = l1.http
	// Every Engine API call goes through a counting proxy.
	r.counter = newEngineCounter(t, r.l2.auth)
	cfg.L2.Engine = r.counter.URL
	cfg.L2.JWTSecret = r.l2.jwtFile
	cfg.Rollup.L1ChainConfig = filepath.Join(dir, "l1-genesis.json")
	cfg.RPC.Port = 0
	cfg.DataDir = t.TempDir()
	cfg.P2P.Disable = true // the refchain is old: its blocks are past gossip's time window
	if adjust != nil {
		adjust(cfg)
	}
	l1cc := readGenesis(t, filepath.Join(dir, "l1-genesis.json")).Config
	r.node, err = node.New(node.Options{Config: cfg, Rollup: rc, L1ChainConfig: l1cc, Catalog: builtin.Catalog(), Version: "e2e",
		SelfCommand: self, Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: testWriter{t}})})
	if err != nil {
		t.Fatal(err)
	}
	r.started = time.Now()
	if err := r.node.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.node.Stop)
	return r
}

// checkHashes compares the engine's blocks 1..600 with the reference.
func (r *refchainRun) checkHashes(t *testing.T) {
	t.Helper()
	// The node's safe head can be a moment ahead of the engine's
	// canonical head (see enginectl.Settle).
	waitUntil(t, 10*time.Second, "the engine's head at block 600", func() bool {
		return r.l2.eth.BlockChain().CurrentBlock().Number.Uint64() >= 600
	})
	mismatch := 0
	for num := uint64(1); num <= 600; num++ {
		got := r.l2.eth.BlockChain().GetHeaderByNumber(num)
		if got == nil {
			t.Fatalf("L2 block %d missing", num)
		}
		if got.Hash() != r.want[num].Hash {
			mismatch++
			if mismatch <= 5 {
				t.Errorf("L2 block %d: hash %s, reference %s", num, got.Hash(), r.want[num].Hash)
			}
		}
	}
	if mismatch > 0 {
		t.Fatalf("%d of 600 block hashes differ from the reference", mismatch)
	}
}

// opal, as a verifier with its default plugins, follows the chain the
// reference op-node and op-batcher made, and reproduces every L2 block hash.
func TestRefchainVerifier(t *testing.T) {
	r := startRefchain(t, nil, nil)
	n := r.node
	deadline := time.Now().Add(3 * time.Minute)
	for n.Heads().Safe.Number < 600 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	safe := n.Heads().Safe
	t.Logf("safe head %d after %v", safe.Number, time.Since(r.started).Round(time.Millisecond))
	if safe.Number < 600 {
		t.Fatalf("safe head reached %d of 600", safe.Number)
	}
	r.checkHashes(t)
	// A derived block costs three Engine API calls: forkchoiceUpdated
	// with its attributes (which also makes the block before it the
	// head), getPayload and newPayload. A forkchoiceUpdated of its own
	// comes only where derivation stops: once at the start (a fresh
	// engine has no safe or finalized label yet) and once caught up.
	calls, total := r.counter.engineCalls()
	perBlock := float64(total) / float64(safe.Number)
	t.Logf("%d Engine API calls for %d derived blocks: %.3f per block %v; %d forkchoiceUpdated without attributes",
		total, safe.Number, perBlock, calls, r.counter.calls[fcuWithoutAttributes])
	if total > 3*int(safe.Number)+2 {
		t.Fatalf("%d Engine API calls for %d derived blocks (%.3f per block), want at most 3 per block and 2 more: %v", total, safe.Number, perBlock, calls)
	}
}

// The refchain verifier with its L1 source, deriver and engine client as
// plugin processes, one of which is killed with SIGKILL 20 times during
// the sync, at seeded random heights: every time the host restarts it and
// derivation goes on. Safe never goes back, the heads keep their order,
// and the chain ends on the reference's 600 hashes.
func TestRefchainSurvivesPluginKills(t *testing.T) {
	bin := buildOpal(t)
	kinds := []sdk.Kind{sdk.Deriver, sdk.L1Source, sdk.Engine}
	r := startRefchain(t, func(c *config.Config) {
		for _, k := range kinds {
			p := c.Plugins[string(k)]
			p.Mode = "process"
			c.Plugins[string(k)] = p
		}
	}, func(kind sdk.Kind, name string) (*exec.Cmd, error) {
		return exec.Command(bin, "plugin", "serve", string(kind), "--name", name), nil
	})
	n := r.node
	rng := rand.New(rand.NewPCG(17, 4))
	var lastSafe uint64
	check := func() {
		h := n.Heads()
		if h.Safe.Number < lastSafe || h.Unsafe.Number < h.Safe.Number || h.Finalized.Number > h.Safe.Number {
			t.Fatalf("heads out of order or safe went back (was %d): %+v", lastSafe, h)
		}
		lastSafe = h.Safe.Number
	}
	kills := map[sdk.Kind]int64{}
	deadline := time.Now().Add(4 * time.Minute)
	for i := 0; i < 20; i++ {
		at := uint64(20 + i*28 + rng.IntN(20)) // spread over blocks 20..600
		kind := kinds[rng.IntN(len(kinds))]
		inst := n.Plugins()[kind]
		for (n.Heads().Safe.Number < at || !inst.Status().Up) && time.Now().Before(deadline) {
			check()
			time.Sleep(10 * time.Millisecond)
		}
		if !inst.Kill() {
			t.Fatalf("kill %d: the %s plugin is not a running process", i+1, kind)
		}
		kills[kind]++
	}
	for n.Heads().Safe.Number < 600 && time.Now().Before(deadline) {
		check()
		time.Sleep(20 * time.Millisecond)
	}
	check()
	restarts := map[sdk.Kind]int64{}
	for _, k := range kinds {
		restarts[k] = n.Plugins()[k].Status().Restarts
	}
	t.Logf("safe head %d after %v; kills %v, restarts %v", n.Heads().Safe.Number, time.Since(r.started).Round(time.Millisecond), kills, restarts)
	if n.Heads().Safe.Number < 600 {
		t.Fatalf("safe head reached %d of 600 with kills %v and restarts %v", n.Heads().Safe.Number, kills, restarts)
	}
	for _, k := range kinds {
		if restarts[k] < kills[k] {
			t.Fatalf("%s killed %d times, restarted %d", k, kills[k], restarts[k])
		}
	}
	r.checkHashes(t)
}

// `opal run` on the refchain, SIGKILLed 10 times during the sync at seeded
// random heights and restarted on the same data dir and engine: every
// restart resumes near where the killed process was (never from genesis),
// and the last one ends on the reference's 600 hashes.
func TestRefchainOpalSurvivesKills(t *testing.T) {
	bin := buildOpal(t)
	dir := filepath.Join(vectors.Dir(t), "refchain")
	want := expectedBlocks(t, dir)
	l1 := startGeth(t, readGenesis(t, filepath.Join(dir, "l1-genesis.json")), false)
	l1.importChain(t, filepath.Join(dir, "l1-chain.rlp.gz"))
	l2 := startGeth(t, readGenesis(t, filepath.Join(dir, "l2-genesis.json")), true)
	dataDir := t.TempDir()
	port := freePort(t)
	args := []string{"run", "--l1", l1.http, "--l2", l2.auth, "--l2.jwt-secret", l2.jwtFile,
		"--rollup.config", filepath.Join(dir, "rollup.json"), "--rollup.l1-chain-config", filepath.Join(dir, "l1-genesis.json"),
		"--p2p.disable", "--rpc.port", fmt.Sprint(port), "--data-dir", dataDir, "--log.level", "warn"}
	safeOf := func() (uint64, bool) {
		var st struct {
			Safe struct {
				Number uint64 `json:"number"`
			} `json:"safe_l2"`
		}
		cl, err := gethrpc.Dial(fmt.Sprintf("http://127.0.0.1:%d", port))
		if err != nil {
			return 0, false
		}
		defer cl.Close()
		if err := cl.Call(&st, "optimism_syncStatus"); err != nil {
			return 0, false
		}
		return st.Safe.Number, true
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = testWriter{t}, testWriter{t}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	rng := rand.New(rand.NewPCG(5, 11))
	var killedAt, resumedAt []uint64
	cmd := start()
	for i := 0; i < 10; i++ {
		at := uint64(30 + i*55 + rng.IntN(25))
		var safe uint64
		waitUntil(t, 60*time.Second, fmt.Sprintf("safe head %d before kill %d", at, i+1), func() bool {
			s, ok := safeOf()
			safe = s
			return ok && s >= at
		})
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		killedAt = append(killedAt, safe)
		cmd = start()
		var first uint64
		waitUntil(t, 30*time.Second, fmt.Sprintf("restart %d serving", i+1), func() bool {
			s, ok := safeOf()
			first = s
			return ok
		})
		resumedAt = append(resumedAt, first)
		if first == 0 || first+64 < safe {
			t.Fatalf("restart %d resumed at safe %d, killed at %d: not from its store", i+1, first, safe)
		}
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitUntil(t, 90*time.Second, "safe head 600 after the kills", func() bool { s, ok := safeOf(); return ok && s >= 600 })
	waitUntil(t, 10*time.Second, "the engine's head at block 600", func() bool {
		return l2.eth.BlockChain().CurrentBlock().Number.Uint64() >= 600
	})
	for num := uint64(1); num <= 600; num++ {
		if got := l2.eth.BlockChain().GetHeaderByNumber(num); got == nil || got.Hash() != want[num].Hash {
			t.Fatalf("L2 block %d differs from the reference after the kills", num)
		}
	}
	t.Logf("10 kills at safe heads %v; the restarts resumed at %v", killedAt, resumedAt)
}

// The engine unreachable for 30 s in the middle of the sync, then back:
// opal waits and retries (its heads stay where they were, nothing goes
// back), says so in its plugin status, and goes on by itself to the
// reference's 600 hashes.
func TestRefchainEngineUnreachable(t *testing.T) {
	r := startRefchain(t, nil, nil)
	n := r.node
	waitUntil(t, 60*time.Second, "safe head 200", func() bool { return n.Heads().Safe.Number >= 200 })
	r.counter.down.Store(true)
	downAt := n.Heads()
	t.Logf("engine unreachable from safe head %d", downAt.Safe.Number)
	outage := time.Now().Add(30 * time.Second)
	var lastErr string
	for time.Now().Before(outage) {
		h := n.Heads()
		if h.Safe.Number < downAt.Safe.Number || h.Unsafe.Number < h.Safe.Number {
			t.Fatalf("heads moved back while the engine was unreachable: %+v, were %+v", h, downAt)
		}
		if err := n.DerivationHalted(); err != nil {
			t.Fatalf("derivation halted on an unreachable engine: %v", err)
		}
		if e := n.Plugins()[sdk.Engine].Status().LastError; e != "" {
			lastErr = e
		}
		time.Sleep(50 * time.Millisecond)
	}
	during := n.Heads().Safe.Number
	r.counter.down.Store(false)
	t.Logf("engine back at safe head %d (moved %d while down); the engine plugin's last error: %q", during, during-downAt.Safe.Number, lastErr)
	waitUntil(t, 60*time.Second, "safe head 600 after the outage", func() bool { return n.Heads().Safe.Number >= 600 })
	t.Logf("safe head 600 %v after the engine came back", time.Since(outage).Round(time.Millisecond))
	r.checkHashes(t)
}
