package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
)

// The example origin selector (its own module, built like an outside
// author's plugin) is swapped in by config: the sequencer's origins change
// (they stay the configured lag behind L1) and the chain still derives to
// the same blocks on a verifier.
func TestExampleOriginSelectorSwappedIn(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "lagselector")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "examples", "lagselector")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build example: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	const lag = 4
	s := startStack(t, stack.Options{
		Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1},
		Plugins: map[string]config.Plugin{"originselector": {
			Path: bin, SHA256: hex.EncodeToString(sum[:]), Mode: "process", OnFailure: "stop",
			Config: map[string]any{"lag": lag},
		}},
	})
	v, err := s.StartVerifier(context.Background(), "verifier")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, "verifier safe head 12", func() bool { return v.Heads().Safe.Number >= 12 })
	g := s.Chain.Rollup.Genesis.L2Time
	lagging := 0
	for num := uint64(8); num <= 12; num++ {
		ref, err := s.Sequencer.EngineBlockRef(context.Background(), num)
		if err != nil {
			t.Fatal(err)
		}
		l1AtTime := (ref.Time - g) / 1 // L1 makes a block every second from the same genesis time
		if ref.L1Origin.Number+lag <= l1AtTime {
			lagging++
		}
	}
	if lagging == 0 {
		t.Fatal("the example selector's lag is not visible in the chosen origins")
	}
	sameChain(t, s, v, v.Heads().Safe.Number)
}
