package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/core/ab"
	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/node"
	"github.com/opalnode/opal/core/rpc"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
	"github.com/opalnode/opal/sdk"
)

func abStatus(t *testing.T, v *node.Node) ab.Status {
	t.Helper()
	st, ok := v.ABStatus()
	if !ok {
		t.Fatal("A/B is off")
	}
	return st
}

// A verifier with a shadow deriver (the default deriver again, as a plugin
// process) compares every block it derives and finds no divergence. The
// shadow is killed: the verifier's heads keep moving, the shadow restarts,
// is resynced at the safe head and compares again.
func TestShadowDeriverOnDevnet(t *testing.T) {
	bin := buildOpal(t)
	s := startStack(t, stack.Options{
		Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1},
		SelfCommand: func(kind sdk.Kind, name string) (*exec.Cmd, error) {
			return exec.Command(bin, "plugin", "serve", string(kind), "--name", name), nil
		},
	})
	dir := t.TempDir()
	v, err := s.StartVerifier(context.Background(), "verifier", func(c *config.Config) {
		c.DataDir = dir
		c.AB.Deriver = config.Plugin{Builtin: "default", Mode: "process"}
	})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 90*time.Second, "12 blocks compared", func() bool { return abStatus(t, v).Compared >= 12 })

	cl, err := gethrpc.Dial("http://" + v.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var st rpc.ABStatus
	if err := cl.Call(&st, "opal_abStatus"); err != nil {
		t.Fatal(err)
	}
	if !st.Enabled || st.Diverged != 0 || st.Compared < 12 || st.State != "following" || st.Shadow == "" || st.Primary != st.Shadow {
		t.Fatalf("opal_abStatus: %+v", st)
	}

	inst := v.ShadowPlugin()
	if !inst.Kill() {
		t.Fatal("the shadow deriver is not a process")
	}
	killedAt, compared := v.Heads().Safe.Number, abStatus(t, v).Compared
	waitUntil(t, 30*time.Second, "the shadow restarted", func() bool { return inst.Status().Restarts == 1 && inst.Status().Up })
	waitUntil(t, 60*time.Second, "the primary to go on", func() bool { return v.Heads().Safe.Number >= killedAt+5 })
	waitUntil(t, 60*time.Second, "the shadow to compare again", func() bool {
		st := abStatus(t, v)
		return st.Resyncs >= 1 && st.State == "following" && st.Compared >= compared+5
	})
	final := abStatus(t, v)
	if final.Diverged != 0 {
		t.Fatalf("the default deriver diverged from itself: %+v", final)
	}
	var divs []ab.Divergence
	if err := cl.Call(&divs, "opal_abDivergences", "0x0"); err != nil || len(divs) != 0 {
		t.Fatalf("opal_abDivergences: %v %+v", err, divs)
	}
	sameChain(t, s, v, v.Heads().Safe.Number)

	// The report names the run; the store is in the data dir.
	b, err := os.ReadFile(filepath.Join(dir, "ab-report.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ab.ReadReport(bytes.NewReader(b))
	if err != nil || len(r.Runs) == 0 || r.Runs[0].Shadow != final.Shadow {
		t.Fatalf("report %q: %v", b, err)
	}
}
