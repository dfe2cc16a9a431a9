package batcher

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

// TestRun runs the batcher loop while the L2 grows and checks that every
// block gets posted and that Run returns nil when its context ends.
func TestRun(t *testing.T) {
	r := newRig(t, false)
	b, err := New(r.batcherConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()

	var last Block
	for range 3 {
		blocks := r.l2.extend(t, 2, "run")
		last = blocks[len(blocks)-1]
		time.Sleep(50 * time.Millisecond)
	}
	deadline := time.Now().Add(time.Minute)
	for b.Stats().LastL2Block != last.ID() {
		if time.Now().After(deadline) {
			t.Fatalf("last posted %v, want %v", b.Stats().LastL2Block, last.ID())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s := b.Stats(); s.L2Blocks != 6 {
		t.Fatalf("posted %d blocks, want 6 (each once): %+v", s.L2Blocks, s)
	}
}

// TestResubmit checks that blocks are posted again from the safe head when
// the safe head does not follow for ResubmitTimeout, as when the data was
// lost.
func TestResubmit(t *testing.T) {
	r := newRig(t, false)
	bc := r.batcherConfig(t)
	bc.ResubmitTimeout = 30 * time.Millisecond
	b, err := New(bc)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	r.l2.extend(t, 2, "x")
	for i, want := range []int{2, 0, 2} {
		if i == 2 {
			time.Sleep(2 * bc.ResubmitTimeout)
		}
		n, err := b.Step(ctx)
		if err != nil || n != want {
			t.Fatalf("round %d: posted %d (%v), want %d", i, n, err, want)
		}
	}
	// Once the safe head reaches the posted head, rounds continue from it.
	r.l2.setSafe(2)
	r.l2.extend(t, 1, "x")
	if n, err := b.Step(ctx); err != nil || n != 1 {
		t.Fatalf("after safe moved: posted %d (%v), want 1", n, err)
	}
}

// TestWrongL1Chain checks that Run stops on an L1 serving another chain.
func TestWrongL1Chain(t *testing.T) {
	r := newRig(t, false)
	bc := r.batcherConfig(t)
	bc.L1ChainID = big.NewInt(testL1ChainID + 1)
	b, err := New(bc)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Run(ctx); !errors.Is(err, ErrL1ChainID) {
		t.Fatalf("Run: %v, want ErrL1ChainID", err)
	}
}

// TestNewConfig checks the config validation and defaults.
func TestNewConfig(t *testing.T) {
	t.Parallel()
	good := DefaultConfig()
	good.Rollup, good.L1RPC, good.L2RPC, good.Key = testRollup(900), "http://127.0.0.1:1", "http://127.0.0.1:2", batcherKey
	b, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	c := b.cfg
	if !c.UseBlobs || !c.Span || c.frameSize(true) != MaxBlobFrameSize || c.frameSize(false) != DefaultCalldataFrameSize ||
		c.MaxBlobsPerTx != 6 || c.PollInterval != DefaultPollInterval || c.L1ChainID.Int64() != 900 {
		t.Fatalf("defaults: %+v", c)
	}
	otherKey, _ := crypto.GenerateKey()
	for name, mod := range map[string]func(*Config){
		"no rollup":       func(c *Config) { c.Rollup = nil },
		"no L1":           func(c *Config) { c.L1RPC = "" },
		"no L2":           func(c *Config) { c.L2RPC = "" },
		"no key":          func(c *Config) { c.Key = nil },
		"not the batcher": func(c *Config) { c.Key = otherKey },
		"blob frame":      func(c *Config) { c.MaxFrameSize = MaxBlobFrameSize + 1 },
		"tiny frame":      func(c *Config) { c.MaxFrameSize = 23 },
		"blobs per tx":    func(c *Config) { c.MaxBlobsPerTx = 7 },
		"compression":     func(c *Config) { c.Compression = 9 },
	} {
		c := good
		mod(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "batcher") {
			t.Errorf("%s: error %q does not say where it comes from", name, err)
		}
	}
}
