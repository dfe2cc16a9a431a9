package e2e

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/node"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
	"github.com/opalnode/opal/sdk"
)

// seqHash reads the sequencer's block hash at a height.
type seqHash func(n uint64) common.Hash

func sequencerHashes(t *testing.T, s *stack.Stack) seqHash {
	t.Helper()
	c, err := ethclient.Dial(s.Chain.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return func(n uint64) common.Hash {
		h, err := c.HeaderByNumber(context.Background(), bigU(n))
		if err != nil {
			t.Fatalf("sequencer block %d: %v", n, err)
		}
		return h.Hash()
	}
}

// followsClosely watches v for blocks new sequencer blocks: its unsafe head
// never falls more than 2 behind the sequencer's, with the sequencer's hash.
func followsClosely(t *testing.T, s *stack.Stack, v *node.Node, blocks uint64, hashOf seqHash) {
	t.Helper()
	start := s.Sequencer.Heads().Unsafe.Number
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Duration(blocks+30) * time.Second)
	for {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the sequencer did not build %d blocks in time", blocks)
		}
		seq, got := s.Sequencer.Heads().Unsafe, v.Heads().Unsafe
		if seq.Number > got.Number+2 {
			t.Fatalf("verifier unsafe head %d is %d behind the sequencer's %d", got.Number, seq.Number-got.Number, seq.Number)
		}
		if got.Number > 0 && got.Hash != hashOf(got.Number) {
			t.Fatalf("verifier block %d is %s, the sequencer's %s", got.Number, got.Hash, hashOf(got.Number))
		}
		if seq.Number >= start+blocks {
			return
		}
	}
}

func gossipAddr(t *testing.T, n *node.Node) string {
	t.Helper()
	addr := stack.NodeP2PAddr(context.Background(), n)
	if addr == "" {
		t.Fatal("node has no p2p address")
	}
	return addr
}

// With the batcher off, only gossip can move a verifier: peered to the
// sequencer by a static address, its unsafe head stays within 2 blocks of
// the sequencer's for 60 blocks with the same hashes, and its safe head
// stays at genesis until the batcher posts.
func TestGossipVerifierFollowsSequencer(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}, NoBatcher: true})
	hashOf := sequencerHashes(t, s)
	v, err := s.StartVerifier(context.Background(), "gossip-verifier", stack.FollowGossip(gossipAddr(t, s.Sequencer)))
	if err != nil {
		t.Fatal(err)
	}
	// The first blocks may go out before the mesh forms; req/resp fills
	// them, then gossip carries the chain.
	waitUntil(t, 30*time.Second, "the verifier to catch up by gossip", func() bool {
		return v.Heads().Unsafe.Number+1 >= s.Sequencer.Heads().Unsafe.Number && v.Heads().Unsafe.Number > 2
	})
	followsClosely(t, s, v, 60, hashOf)
	if safe := v.Heads().Safe.Number; safe != 0 {
		t.Fatalf("safe head %d without any batch on L1", safe)
	}
	if err := s.StartBatcher(s.Chain.Keys.Batcher); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, "the safe head to move once batches are posted", func() bool { return v.Heads().Safe.Number >= 4 })
	sameChain(t, s, v, v.Heads().Safe.Number)
}

// A line of three, sequencer ↔ relay ↔ verifier, with no direct link: the
// relay passes on what it accepts, and the verifier gets every block.
func TestGossipThroughARelay(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}, NoBatcher: true})
	hashOf := sequencerHashes(t, s)
	relay, err := s.StartVerifier(context.Background(), "relay", stack.FollowGossip(gossipAddr(t, s.Sequencer)))
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.StartVerifier(context.Background(), "far-verifier", stack.FollowGossip(gossipAddr(t, relay)))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 40*time.Second, "the far verifier to catch up", func() bool {
		return v.Heads().Unsafe.Number+1 >= s.Sequencer.Heads().Unsafe.Number && v.Heads().Unsafe.Number > 2
	})
	followsClosely(t, s, v, 20, hashOf)
	st, err := v.P2PStatus(context.Background())
	if err != nil || st.ConnectedPeers != 1 {
		t.Fatalf("the far verifier has %d peers (%v), want only the relay", st.ConnectedPeers, err)
	}
}

// A verifier started late gets the newest block by gossip, fills the gap
// below it by req/resp from the sequencer, then follows by gossip.
func TestLateVerifierFillsGapByReqResp(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}, NoBatcher: true})
	hashOf := sequencerHashes(t, s)
	waitUntil(t, 40*time.Second, "the sequencer to build 20 blocks", func() bool { return s.Sequencer.Heads().Unsafe.Number >= 20 })
	v, err := s.StartVerifier(context.Background(), "late-verifier", stack.FollowGossip(gossipAddr(t, s.Sequencer)))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 40*time.Second, "the late verifier to fill its gap", func() bool {
		return v.Heads().Unsafe.Number+1 >= s.Sequencer.Heads().Unsafe.Number && v.Heads().Unsafe.Number > 20
	})
	followsClosely(t, s, v, 10, hashOf)
	for n := uint64(1); n <= v.Heads().Unsafe.Number; n++ {
		got, err := v.EngineBlockHash(context.Background(), n)
		if err != nil || got != hashOf(n) {
			t.Fatalf("block %d: %s (%v), the sequencer's %s", n, got, err, hashOf(n))
		}
	}
}

// A verifier whose p2p plugin runs as a process keeps following when the
// process is killed: the host restarts it, it reconnects to its static
// peer, gets the signer again, and req/resp fills what it missed.
func TestVerifierSurvivesP2PCrash(t *testing.T) {
	bin := buildOpal(t)
	s := startStack(t, stack.Options{
		Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}, NoBatcher: true,
		SelfCommand: func(kind sdk.Kind, name string) (*exec.Cmd, error) {
			return exec.Command(bin, "plugin", "serve", string(kind), "--name", name), nil
		},
	})
	hashOf := sequencerHashes(t, s)
	v, err := s.StartVerifier(context.Background(), "p2p-process", stack.FollowGossip(gossipAddr(t, s.Sequencer)), func(c *config.Config) {
		p := c.Plugins[string(sdk.P2P)]
		p.Mode = "process"
		c.Plugins[string(sdk.P2P)] = p
	})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 40*time.Second, "the verifier to follow", func() bool {
		return v.Heads().Unsafe.Number+1 >= s.Sequencer.Heads().Unsafe.Number && v.Heads().Unsafe.Number > 2
	})
	inst := v.Plugins()[sdk.P2P]
	if !inst.Kill() {
		t.Fatal("the p2p plugin is not a process")
	}
	killedAt := v.Heads().Unsafe.Number
	waitUntil(t, 30*time.Second, "the p2p plugin restarted", func() bool { return inst.Status().Restarts == 1 && inst.Status().Up })
	waitUntil(t, 60*time.Second, "the verifier to follow again", func() bool {
		return v.Heads().Unsafe.Number >= killedAt+5 && v.Heads().Unsafe.Number+1 >= s.Sequencer.Heads().Unsafe.Number
	})
	for n := uint64(1); n <= v.Heads().Unsafe.Number; n++ {
		if got, err := v.EngineBlockHash(context.Background(), n); err != nil || got != hashOf(n) {
			t.Fatalf("block %d: %s (%v), the sequencer's %s", n, got, err, hashOf(n))
		}
	}
}
