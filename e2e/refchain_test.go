package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/builtin"
	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/node"
	"github.com/opalnode/opal/internal/vectors"
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

// opal, as a verifier with its default plugins, follows the chain the
// reference op-node and op-batcher made, and reproduces every L2 block hash.
func TestRefchainVerifier(t *testing.T) {
	dir := filepath.Join(vectors.Dir(t), "refchain")
	want := expectedBlocks(t, dir)

	l1 := startGeth(t, readGenesis(t, filepath.Join(dir, "l1-genesis.json")), false)
	l1.importChain(t, filepath.Join(dir, "l1-chain.rlp.gz"))
	l2 := startGeth(t, readGenesis(t, filepath.Join(dir, "l2-genesis.json")), true)

	rc, err := rollup.Load(filepath.Join(dir, "rollup.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.L1.RPC = l1.http
	// Every Engine API call goes through a counting proxy.
	counter := newEngineCounter(t, l2.auth)
	cfg.L2.Engine = counter.URL
	cfg.L2.JWTSecret = l2.jwtFile
	cfg.Rollup.L1ChainConfig = filepath.Join(dir, "l1-genesis.json")
	cfg.RPC.Port = 0
	cfg.DataDir = t.TempDir()
	cfg.P2P.Disable = true // the refchain is old: its blocks are past gossip's time window
	l1cc := readGenesis(t, filepath.Join(dir, "l1-genesis.json")).Config
	n, err := node.New(node.Options{Config: cfg, Rollup: rc, L1ChainConfig: l1cc, Catalog: builtin.Catalog(), Version: "e2e",
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: testWriter{t}})})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	deadline := time.Now().Add(3 * time.Minute)
	for n.Heads().Safe.Number < 600 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	safe := n.Heads().Safe
	t.Logf("safe head %d after %v", safe.Number, time.Since(start).Round(time.Millisecond))
	mismatch := 0
	for num := uint64(1); num <= safe.Number && num <= 600; num++ {
		got, err := l2.eth.BlockChain().GetHeaderByNumber(num), error(nil)
		if got == nil || err != nil {
			t.Fatalf("L2 block %d missing", num)
		}
		if got.Hash() != want[num].Hash {
			mismatch++
			if mismatch <= 5 {
				t.Errorf("L2 block %d: hash %s, reference %s", num, got.Hash(), want[num].Hash)
			}
		}
	}
	if safe.Number < 600 {
		t.Fatalf("safe head reached %d of 600", safe.Number)
	}
	if mismatch > 0 {
		t.Fatalf("%d of 600 block hashes differ from the reference", mismatch)
	}
	// A derived block costs three Engine API calls: forkchoiceUpdated
	// with its attributes (which also makes the block before it the
	// head), getPayload and newPayload. A forkchoiceUpdated of its own
	// comes only where derivation stops: once at the start (a fresh
	// engine has no safe or finalized label yet) and once caught up.
	calls, total := counter.engineCalls()
	perBlock := float64(total) / float64(safe.Number)
	t.Logf("%d Engine API calls for %d derived blocks: %.3f per block %v; %d forkchoiceUpdated without attributes",
		total, safe.Number, perBlock, calls, counter.calls[fcuWithoutAttributes])
	if total > 3*int(safe.Number)+2 {
		t.Fatalf("%d Engine API calls for %d derived blocks (%.3f per block), want at most 3 per block and 2 more: %v", total, safe.Number, perBlock, calls)
	}
}
