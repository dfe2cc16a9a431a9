package pipeline

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/sdk/eth"
)

// TestPipelineSingularBatches posts one channel of singular batches and
// derives them, before and after Holocene.
func TestPipelineSingularBatches(t *testing.T) {
	t.Parallel()
	for _, fork := range []string{"bedrock", "delta", "holocene"} {
		t.Run(fork, func(t *testing.T) {
			t.Parallel()
			chain := newL1Chain(t, 12)
			cfg := testConfig(chain.ref(0), allForks(fork))
			o0 := chain.ref(0)
			var bs []batch.Batch
			for n := uint64(1); n <= 5; n++ {
				bs = append(bs, singular(n, o0, l2Tx(t, n)))
			}
			chain.postChannel(1, 1, channel.Zlib, bs...)
			d := newDriver(t, cfg, chain)
			d.run(len(chain.blocks))
			if got := d.userBlocks(); !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
				t.Fatalf("blocks with txs %v, want 1..5", got)
			}
			// The sequencing window (6) of epoch 0 expires at L1 block 6:
			// the rest of the chain is filled with empty batches, one
			// epoch after another, keeping L2 time >= L1 time.
			if len(d.out) < 30 {
				t.Fatalf("derived %d blocks, want the window's empty batches too", len(d.out))
			}
			for i, r := range d.out {
				if r.Attributes.Timestamp != testGenesisTime+2*uint64(i+1) {
					t.Fatalf("block %d at %d", i+1, r.Attributes.Timestamp)
				}
				if o := chain.ref(int(r.L1Origin.Number)); r.Attributes.Timestamp < o.Time {
					t.Fatalf("block %d at %d before its origin %v", i+1, r.Attributes.Timestamp, o)
				}
			}
		})
	}
}

// TestPipelineReorg feeds a block that does not build on the last one.
func TestPipelineReorg(t *testing.T) {
	t.Parallel()
	chain := newL1Chain(t, 4)
	other := newL1Chain(t, 4)
	other.blocks[2].Header.Extra = []byte("fork")
	cfg := testConfig(chain.ref(0), allForks("holocene"))
	d := newDriver(t, cfg, chain)
	d.run(2)
	if err := d.p.AddL1Block(other.blocks[3]); !errors.Is(err, eth.ErrReset) {
		t.Fatalf("block on another parent: %v, want ErrReset", err)
	}
	if err := d.p.AddL1Block(chain.blocks[3]); !errors.Is(err, eth.ErrReset) {
		t.Fatalf("block skipping one: %v, want ErrReset", err)
	}
	if err := d.p.AddL1Block(chain.blocks[2]); err != nil {
		t.Fatalf("the right block: %v", err)
	}
	p, _ := New(Config{Rollup: cfg})
	if _, _, err := p.Step(context.Background(), d.parent); !errors.Is(err, eth.ErrReset) {
		t.Fatalf("step before reset: %v", err)
	}
}

// holoceneAt is Granite at genesis and Holocene from the time of L1 block n.
func holoceneAt(n uint64) forkTimes {
	f := allForks("granite")
	f.holocene = u64(testGenesisTime + n*testL1BlockTime)
	return f
}

// TestPipelineHoloceneActivation checks that the first L1 block at or after
// the Holocene time swaps the stages: a channel left open across it and a
// batch buffered for later are dropped.
func TestPipelineHoloceneActivation(t *testing.T) {
	t.Parallel()
	build := func(t *testing.T) *l1Chain {
		chain := newL1Chain(t, 14)
		o0 := chain.ref(0)
		// Channel 1: batches for blocks 1..3, its frames in L1 blocks 2
		// (before Holocene) and 3 (at Holocene).
		var raw [][]byte
		for n := uint64(1); n <= 3; n++ {
			raw = append(raw, marshal(t, singular(n, o0, l2Tx(t, n))))
		}
		frames := channelFrames(t, 1, channel.Zlib, 200, raw...)
		if len(frames) < 2 {
			t.Fatalf("channel in %d frames, want several", len(frames))
		}
		chain.post(2, frames[:len(frames)-1]...)
		chain.post(3, frames[len(frames)-1])
		// Channel 2 in L1 block 1: a batch for block 5, buffered as future
		// before Holocene.
		chain.postChannel(1, 2, channel.Zlib, singular(5, o0, l2Tx(t, 50)))
		// Channel 3 in L1 block 4: batches for blocks 1..4.
		var bs []batch.Batch
		for n := uint64(1); n <= 4; n++ {
			bs = append(bs, singular(n, o0, l2Tx(t, 10+n)))
		}
		chain.postChannel(4, 3, channel.Zlib, bs...)
		return chain
	}
	t.Run("pre-holocene", func(t *testing.T) {
		t.Parallel()
		chain := build(t)
		d := newDriver(t, testConfig(chain.ref(0), allForks("granite")), chain)
		d.run(len(chain.blocks))
		// Channel 1 completes in block 3 (blocks 1..3), channel 3 adds
		// block 4, and the buffered batch gives block 5.
		if got := d.userBlocks(); !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
			t.Fatalf("blocks with txs %v", got)
		}
		if txs := d.batchTxs(); string(txs[0][0]) != string(l2Tx(t, 1)) {
			t.Fatal("block 1 not from channel 1")
		}
	})
	t.Run("holocene at L1 block 3", func(t *testing.T) {
		t.Parallel()
		chain := build(t)
		d := newDriver(t, testConfig(chain.ref(0), holoceneAt(3)), chain)
		d.run(len(chain.blocks))
		if got := d.userBlocks(); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
			t.Fatalf("blocks with txs %v", got)
		}
		if txs := d.batchTxs(); string(txs[0][0]) != string(l2Tx(t, 11)) {
			t.Fatal("block 1 not from channel 3")
		}
	})
}

// TestPipelineJovianActivationSpan sends a span batch whose block at the
// Jovian activation carries transactions: the blocks before it stay, it and
// the rest of its channel are dropped.
func TestPipelineJovianActivationSpan(t *testing.T) {
	t.Parallel()
	chain := newL1Chain(t, 12)
	f := allForks("isthmus")
	f.jovian = u64(testGenesisTime + 2*3) // L2 block 3
	cfg := testConfig(chain.ref(0), f)
	o0 := chain.ref(0)
	var bs []*batch.Singular
	var seqs []uint64
	for n := uint64(1); n <= 5; n++ {
		bs = append(bs, singular(n, o0, l2Tx(t, n)))
		seqs = append(seqs, n)
	}
	chain.postChannel(1, 1, channel.Brotli, encodeSpan(t, cfg, seqs, bs...))
	chain.postChannel(2, 2, channel.Zlib, singular(3, o0), singular(4, o0, l2Tx(t, 40)))
	d := newDriver(t, cfg, chain)
	d.run(len(chain.blocks))
	if got := d.userBlocks(); !slices.Equal(got, []uint64{1, 2, 4}) {
		t.Fatalf("blocks with txs %v", got)
	}
	// The activation block carries the L1-info and 5 upgrade deposits.
	if n := len(d.out[2].Attributes.Transactions); n != 1+5 {
		t.Fatalf("activation block has %d txs", n)
	}
}

// TestPipelineInvalidPayload reports a payload invalid: from Holocene the
// block becomes deposit-only and the rest of the span and channel go; before
// Holocene another batch for the block is looked for.
func TestPipelineInvalidPayload(t *testing.T) {
	t.Parallel()
	t.Run("holocene", func(t *testing.T) {
		t.Parallel()
		chain := newL1Chain(t, 12)
		cfg := testConfig(chain.ref(0), allForks("holocene"))
		o0 := chain.ref(0)
		var bs []*batch.Singular
		var seqs []uint64
		for n := uint64(1); n <= 4; n++ {
			bs = append(bs, singular(n, o0, l2Tx(t, n)))
			seqs = append(seqs, n)
		}
		chain.postChannel(1, 1, channel.Zlib, encodeSpan(t, cfg, seqs, bs...))
		chain.postChannel(2, 2, channel.Zlib, singular(3, o0, l2Tx(t, 30)), singular(4, o0, l2Tx(t, 40)))
		d := newDriver(t, cfg, chain)
		bad := string(l2Tx(t, 2))
		d.invalid = func(r *Result) bool {
			for _, tx := range r.Attributes.Transactions {
				if string(tx) == bad {
					return true
				}
			}
			return false
		}
		d.run(len(chain.blocks))
		if got := d.userBlocks(); !slices.Equal(got, []uint64{1, 3, 4}) {
			t.Fatalf("blocks with txs %v", got)
		}
		if r := d.out[1]; !r.Attributes.NoTxPool || len(r.Attributes.Transactions) != 1 {
			t.Fatalf("replacement block: %d txs", len(r.Attributes.Transactions))
		}
		if txs := d.batchTxs(); string(txs[2][0]) != string(l2Tx(t, 30)) {
			t.Fatal("block 3 not from the second channel")
		}
	})
	t.Run("pre-holocene", func(t *testing.T) {
		t.Parallel()
		chain := newL1Chain(t, 12)
		cfg := testConfig(chain.ref(0), allForks("delta"))
		o0 := chain.ref(0)
		chain.postChannel(1, 1, channel.Zlib, singular(1, o0), singular(2, o0, l2Tx(t, 2)))
		chain.postChannel(2, 2, channel.Zlib, singular(2, o0, l2Tx(t, 20)))
		d := newDriver(t, cfg, chain)
		bad := string(l2Tx(t, 2))
		d.invalid = func(r *Result) bool {
			return len(r.Attributes.Transactions) > 1 && string(r.Attributes.Transactions[1]) == bad
		}
		d.run(len(chain.blocks))
		if txs := d.batchTxs(); len(txs) < 2 || len(txs[1]) != 1 || string(txs[1][0]) != string(l2Tx(t, 20)) {
			t.Fatalf("block 2: %v", txs[1])
		}
	})
}
