package e2e

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
	"github.com/opalnode/opal/sdk"
)

// A verifier whose deriver runs as a process survives the process being
// killed: the host restarts it, the core resets it to the safe head, and
// derivation goes on to the sequencer's chain.
func TestVerifierSurvivesDeriverCrash(t *testing.T) {
	bin := buildOpal(t)
	s := startStack(t, stack.Options{
		Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1},
		SelfCommand: func(kind sdk.Kind, name string) (*exec.Cmd, error) {
			return exec.Command(bin, "plugin", "serve", string(kind), "--name", name), nil
		},
	})
	v, err := s.StartVerifier(context.Background(), "verifier", func(c *config.Config) {
		p := c.Plugins["deriver"]
		p.Mode = "process"
		c.Plugins["deriver"] = p
	})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 45*time.Second, "verifier safe head 4", func() bool { return v.Heads().Safe.Number >= 4 })
	inst := v.Plugins()[sdk.Deriver]
	if !inst.Kill() {
		t.Fatal("the deriver is not a process")
	}
	killedAt := v.Heads().Safe.Number
	waitUntil(t, 30*time.Second, "the deriver restarted", func() bool { return inst.Status().Restarts == 1 && inst.Status().Up })
	waitUntil(t, 60*time.Second, "derivation to go on", func() bool { return v.Heads().Safe.Number >= killedAt+5 })
	sameChain(t, s, v, v.Heads().Safe.Number)
}
