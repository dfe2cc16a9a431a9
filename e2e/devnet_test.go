package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
)

func withLogger(t *testing.T, opts stack.Options) stack.Options {
	if opts.Logger == nil {
		opts.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}})
	}
	return opts
}

func startStack(t *testing.T, opts stack.Options) *stack.Stack {
	t.Helper()
	s, err := stack.Start(context.Background(), withLogger(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// waitUntil polls cond until it holds or d passes; on timeout it fails
// the test, with what the optional describe functions say about the state
// it was stuck in.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool, describe ...func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	var state []string
	for _, f := range describe {
		state = append(state, f())
	}
	t.Fatalf("timed out after %v waiting for %s %s", d, what, strings.Join(state, "; "))
}

// The sequencer builds, the batcher posts, and a verifier deriving from L1
// only reaches the same safe chain, block hash by block hash.
func TestDevnetVerifierFollowsSequencer(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}})
	v, err := s.StartVerifier(context.Background(), "verifier")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 45*time.Second, "verifier safe head 8", func() bool { return v.Heads().Safe.Number >= 8 })
	seqL2, err := ethclient.Dial(s.Chain.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer seqL2.Close()
	safe := v.Heads().Safe
	for num := uint64(1); num <= safe.Number; num++ {
		want, err := seqL2.HeaderByNumber(context.Background(), bigU(num))
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.EngineBlockHash(context.Background(), num)
		if err != nil {
			t.Fatal(err)
		}
		if got != want.Hash() {
			t.Fatalf("L2 block %d: verifier %s, sequencer %s", num, got, want.Hash())
		}
	}
	t.Logf("verifier safe head %d matches the sequencer's chain; sequencer heads %+v", safe.Number, s.Sequencer.Heads().Safe)
	// L1 finality (8 blocks behind its head) makes the derived blocks final.
	waitUntil(t, 45*time.Second, "finalized L2 blocks", func() bool {
		return s.Sequencer.Heads().Finalized.Number > 0 && v.Heads().Finalized.Number > 0
	})
}
