package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
)

// With a data dir the devnet keeps its state across restarts: the L1, the
// L2 and opal's heads continue where they stopped.
func TestDevnetRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	opts := stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}, DataDir: dir}
	s, err := stack.Start(context.Background(), withLogger(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 45*time.Second, "safe head 4", func() bool { return s.Sequencer.Heads().Safe.Number >= 4 })
	before := s.Sequencer.Heads()
	l1Before := s.L1Head()
	s.Close()

	s2, err := stack.Start(context.Background(), withLogger(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	after := s2.Sequencer.Heads()
	if after.Safe.Number < before.Safe.Number || after.Unsafe.Number < before.Safe.Number {
		t.Fatalf("heads went back: before %+v, after %+v", before.Safe, after.Safe)
	}
	if s2.L1Head() < l1Before {
		t.Fatalf("L1 head went back from %d to %d", l1Before, s2.L1Head())
	}
	got, err := s2.Sequencer.EngineBlockHash(context.Background(), before.Safe.Number)
	if err != nil || got != before.Safe.Hash {
		t.Fatalf("safe block %d after restart: %s, %v; want %s", before.Safe.Number, got, err, before.Safe.Hash)
	}
	waitUntil(t, 45*time.Second, "the safe head to move on", func() bool {
		return s2.Sequencer.Heads().Safe.Number >= before.Safe.Number+3
	})
}
