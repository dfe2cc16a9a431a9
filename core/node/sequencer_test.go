package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// The sequencer builds blocks on the fakes: it catches up to the wall clock,
// then stays on slot; admin stop/start work and the active state survives a
// restart.
func TestSequencerBuildsAndObeysAdmin(t *testing.T) {
	now := uint64(time.Now().Unix())
	// L1 has only its genesis: the fake deriver derives nothing, so the
	// sequencer alone moves the unsafe head.
	chain := sdktest.NewL1ChainAt(0, now-40, 0)
	dir := t.TempDir()
	n, _, _ := fakeNodeWith(t, dir, chain, func(c *config.Config) { c.Sequencer.Enabled = true })
	waitFor(t, "sequencer to catch up with the clock", func() bool {
		return n.Heads().Unsafe.Time+2 >= uint64(time.Now().Unix())
	})
	caught := n.Heads().Unsafe
	waitFor(t, "two more blocks on slot", func() bool { return n.Heads().Unsafe.Number >= caught.Number+2 })
	h := n.Heads().Unsafe
	if h.L1Origin.Number != 0 {
		t.Fatalf("origin %v beyond the L1 head", h.L1Origin)
	}
	// The head moves just before a block's timing is recorded.
	timings := n.seq.Timings()
	if len(timings) < int(h.Number)-1 {
		t.Fatalf("%d timings for %d blocks", len(timings), h.Number)
	}
	ctx := context.Background()
	last, err := (&adminAPI{run: n.runOnLoop, seq: n.seq}).StopSequencer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := n.Heads().Unsafe
	if last != stopped.Hash {
		t.Fatalf("stop returned %s, unsafe head is %s", last, stopped.Hash)
	}
	time.Sleep(2500 * time.Millisecond)
	if n.Heads().Unsafe != stopped {
		t.Fatal("a stopped sequencer built a block")
	}
	if err := (&adminAPI{run: n.runOnLoop, seq: n.seq}).StartSequencer(ctx, eth.L2BlockRef{}.Hash); err == nil {
		t.Fatal("start with a wrong unsafe head hash accepted")
	}
	n.Stop()
	// Restarted with the sequencer enabled, it stays stopped: the admin's
	// stop was persisted.
	n2, _, _ := fakeNodeWith(t, dir, chain, func(c *config.Config) { c.Sequencer.Enabled = true })
	time.Sleep(2500 * time.Millisecond)
	if n2.Heads().Unsafe.Number > stopped.Number {
		t.Fatal("sequencer restarted after an admin stop")
	}
	if err := (&adminAPI{run: n2.runOnLoop, seq: n2.seq}).StartSequencer(ctx, n2.Heads().Unsafe.Hash); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "building again", func() bool { return n2.Heads().Unsafe.Number > stopped.Number })
	if err := (&adminAPI{run: n2.runOnLoop, seq: n2.seq}).StartSequencer(ctx, n2.Heads().Unsafe.Hash); err == nil || errors.Is(err, context.Canceled) {
		t.Fatal("second start accepted")
	}
}
