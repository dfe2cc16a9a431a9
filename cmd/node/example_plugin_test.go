package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/sdktest"
)

// buildExample builds examples/lagselector the way an outside author
// would: in its own module, outside the workspace (so no op-geth replace
// leaks in), and returns the binary's path and sha256.
func buildExample(t *testing.T) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lagselector")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join("..", "..", "examples", "lagselector")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build example: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return out, hex.EncodeToString(sum[:])
}

// The example selector, loaded by path and sha256 as an external plugin,
// passes the conformance suite and picks different origins than the
// built-in default for the same L1 views.
func TestExamplePluginSwapsOriginChoice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example plugin")
	}
	path, sum := buildExample(t)
	cur := eth.L1BlockRef{Hash: common.HexToHash("0x10"), Number: 10, ParentHash: common.HexToHash("0x9"), Time: 1_000_000}
	load := func(s pluginhost.Spec) originselector.Selector {
		h := pluginhost.New(pluginhost.Options{Catalog: builtins(), Rollup: sdktest.TestRollupConfig(cur)})
		t.Cleanup(h.Close)
		insts, err := h.Load(context.Background(), []pluginhost.Spec{s})
		if err != nil {
			t.Fatal(err)
		}
		return insts[sdk.OriginSelector].Components().OriginSelector
	}
	def := load(pluginhost.Spec{Kind: sdk.OriginSelector, Key: "plugins.originselector", Builtin: "default", Mode: pluginhost.InProcess})
	lag := load(pluginhost.Spec{Kind: sdk.OriginSelector, Key: "plugins.originselector", Path: path, SHA256: sum,
		Mode: pluginhost.Process, OnFailure: pluginhost.Stop, Config: []byte(`{"lag":3}`)})

	next := eth.L1BlockRef{Hash: common.HexToHash("0x11"), Number: 11, ParentHash: cur.Hash, Time: cur.Time + 12}
	differ := 0
	for headNum := uint64(11); headNum <= 16; headNum++ {
		req := originselector.Request{
			UnsafeHead:    eth.L2BlockRef{Number: 5, Time: next.Time, L1Origin: cur.ID()},
			CurrentOrigin: cur, NextOrigin: &next, L1Head: eth.L1BlockRef{Number: headNum},
		}
		a, errA := def.NextL1Origin(context.Background(), req)
		b, errB := lag.NextL1Origin(context.Background(), req)
		if errA != nil || errB != nil {
			t.Fatalf("L1 head %d: default %v, lag %v", headNum, errA, errB)
		}
		if a != b {
			differ++
		}
		if headNum >= next.Number+3 && b != next {
			t.Fatalf("lag selector stayed on %v at L1 head %d", b, headNum)
		}
	}
	if differ == 0 {
		t.Fatal("the example selector chose exactly like the default")
	}
	// Last: the suite configures the plugin its own way.
	sdktest.RunOriginSelectorSuite(t, lag)
}
