package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// batchStep is one L1 block in the batch stage tests: the batches read in
// it, then the stage is asked for blocks until it needs more L1 data.
type batchStep struct {
	origin eth.L1BlockRef
	items  []batchItem
}

// batchRun drives a batch stage as the attributes queue would: each
// returned batch becomes the next parent.
type batchRun struct {
	t      *testing.T
	stage  batchProvider
	src    *fakeBatches
	parent eth.L2BlockRef
	out    []*batch.Singular
	last   []bool
	errs   []error
}

func newBatchRun(t *testing.T, cfg *rollup.Config, holocene bool, l2 safeBlocks, base eth.L1BlockRef, parent eth.L2BlockRef) *batchRun {
	src := &fakeBatches{origin: base}
	if l2 == nil {
		l2 = &fakeSafe{}
	}
	b := batchBase{cfg: cfg, log: slog.New(slog.DiscardHandler), prev: src, check: newChecker(cfg, l2)}
	var stage batchProvider = &batchQueue{batchBase: b}
	if holocene {
		stage = &batchStage{batchBase: b}
	}
	stage.resetTo(base)
	return &batchRun{t: t, stage: stage, src: src, parent: parent}
}

func (r *batchRun) step(s batchStep) {
	r.t.Helper()
	r.src.origin = s.origin
	r.src.items = append(r.src.items, s.items...)
	for range 1000 {
		b, last, err := r.stage.NextBatch(context.Background(), r.parent)
		switch {
		case errors.Is(err, io.EOF):
			return
		case errors.Is(err, errNotEnoughData):
			continue
		case err != nil:
			r.errs = append(r.errs, err)
			return
		case b == nil:
			// Holocene's empty batch generation returns (nil, io.EOF)
			// wrapped as a nil batch; nothing to build.
			return
		}
		r.out = append(r.out, b)
		r.last = append(r.last, last)
		n := r.parent.Number + 1
		seq := uint64(0)
		if b.EpochNum == r.parent.L1Origin.Number {
			seq = r.parent.SequenceNumber + 1
		}
		r.parent = eth.L2BlockRef{Hash: l2Hash(n), Number: n, ParentHash: r.parent.Hash, Time: b.Timestamp,
			L1Origin: eth.BlockID{Hash: b.EpochHash, Number: b.EpochNum}, SequenceNumber: seq}
	}
	r.t.Fatal("batch stage did not settle")
}

// blocks summarizes the output as "number@epoch/txs".
func (r *batchRun) blocks() []string {
	var out []string
	for _, b := range r.out {
		out = append(out, itoa((b.Timestamp-testGenesisTime)/2)+"@"+itoa(b.EpochNum)+"/"+itoa(uint64(len(b.Transactions))))
	}
	return out
}

func single(b *batch.Singular) batchItem { return batchItem{single: b} }
func span(s *spanBatch) batchItem        { return batchItem{span: s} }

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// windowBlocks are the empty batches of the sequencing window tests.
var windowBlocks = []string{"1@0/0", "2@0/0", "3@0/0", "4@0/0", "5@0/0", "6@1/0", "7@1/0", "8@1/0", "9@1/0", "10@1/0", "11@1/0"}

func TestBatchQueue(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(20)
	genesis := l2Ref(0, l1[0], 0)
	cfg := testConfig(l1[0], allForks("delta"))
	tx := l2Tx(t, 7)
	spanItem := func(from, to uint64, txs map[uint64][][]byte) batchItem {
		var bs []*batch.Singular
		var seqs []uint64
		for n := from; n <= to; n++ {
			bs = append(bs, singular(n, l1[0], txs[n]...))
			seqs = append(seqs, n)
		}
		return span(spanOf(t, cfg, seqs, bs...))
	}
	badParent := singular(1, l1[0], tx)
	badParent.ParentHash = common.Hash{9}
	cases := []struct {
		name  string
		steps []batchStep
		want  []string
	}{
		{"in order", []batchStep{{l1[1], []batchItem{single(singular(1, l1[0], tx)), single(singular(2, l1[0]))}}},
			[]string{"1@0/1", "2@0/0"}},
		{"future batch waits for its turn", []batchStep{{l1[1], []batchItem{single(singular(2, l1[0])), single(singular(1, l1[0], tx))}}},
			[]string{"1@0/1", "2@0/0"}},
		{"first valid batch wins", []batchStep{{l1[1], []batchItem{single(singular(1, l1[0], tx)), single(singular(1, l1[0]))}}},
			[]string{"1@0/1"}},
		{"invalid batch skipped for a later valid one", []batchStep{{l1[1], []batchItem{single(badParent), single(singular(1, l1[0]))}}},
			[]string{"1@0/0"}},
		{"next epoch waits for its L1 block", []batchStep{
			{l1[1], []batchItem{single(singular(1, l1[0])), single(singular(2, l1[0])), single(singular(3, l1[0])),
				single(singular(4, l1[0])), single(singular(5, l1[0])), single(singular(6, l1[1]))}},
		}, []string{"1@0/0", "2@0/0", "3@0/0", "4@0/0", "5@0/0", "6@1/0"}},
		{"span batch", []batchStep{{l1[1], []batchItem{spanItem(1, 3, map[uint64][][]byte{2: {tx}})}}},
			[]string{"1@0/0", "2@0/1", "3@0/0"}},
		// Epoch 0's window (6) ends at L1 block 6: empty batches until
		// the next origin's time; epoch 1's ends at 7.
		{"sequencing window expiry fills empty batches", []batchStep{
			{l1[1], nil}, {l1[2], nil}, {l1[3], nil}, {l1[4], nil}, {l1[5], nil}, {l1[6], nil}, {l1[7], nil},
		}, windowBlocks},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newBatchRun(t, cfg, false, nil, l1[0], genesis)
			for _, s := range tc.steps {
				r.step(s)
			}
			if len(r.errs) > 0 {
				t.Fatal(r.errs)
			}
			if got := r.blocks(); !equalStrings(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("span rest dropped after an invalid payload", func(t *testing.T) {
		t.Parallel()
		r := newBatchRun(t, cfg, false, nil, l1[0], genesis)
		r.src.origin = l1[1]
		r.src.items = []batchItem{spanItem(1, 3, nil), single(singular(1, l1[0], tx))}
		ctx := context.Background()
		b, last, err := r.stage.NextBatch(ctx, genesis)
		if err != nil || b.Timestamp != genesis.Time+2 || last {
			t.Fatalf("first span block: %v, last %v, %v", b, last, err)
		}
		// Block 1 was refused: the core asks again on genesis. The span's
		// block 2 no longer fits; the queue looks for another batch.
		r.parent = genesis
		r.step(batchStep{origin: l1[1]})
		if got := r.blocks(); len(got) == 0 || got[0] != "1@0/1" {
			t.Fatalf("after the invalid block: %v", got)
		}
	})
	t.Run("batches read before the safe head's origin are ignored", func(t *testing.T) {
		t.Parallel()
		parent := l2Ref(6, l1[1], 0)
		r := newBatchRun(t, cfg, false, nil, l1[0], parent)
		r.step(batchStep{l1[0], []batchItem{single(singular(7, l1[1]))}})
		r.step(batchStep{l1[1], nil})
		r.step(batchStep{l1[2], []batchItem{single(singular(7, l1[1], tx))}})
		if got := r.blocks(); !equalStrings(got, []string{"7@1/1"}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("parent off the buffered epoch is a reset", func(t *testing.T) {
		t.Parallel()
		parent := genesis
		parent.L1Origin.Hash = common.Hash{7}
		r := newBatchRun(t, cfg, false, nil, l1[0], parent)
		r.step(batchStep{l1[1], []batchItem{single(singular(1, l1[0]))}})
		if len(r.errs) != 1 || !errors.Is(r.errs[0], eth.ErrReset) {
			t.Fatalf("errors %v, want a reset", r.errs)
		}
	})
}

func TestBatchStage(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(20)
	genesis := l2Ref(0, l1[0], 0)
	cfg := testConfig(l1[0], allForks("holocene"))
	tx := l2Tx(t, 7)
	spanItem := func(from, to uint64, txs map[uint64][][]byte) batchItem {
		var bs []*batch.Singular
		var seqs []uint64
		for n := from; n <= to; n++ {
			bs = append(bs, singular(n, l1[0], txs[n]...))
			seqs = append(seqs, n)
		}
		return span(spanOf(t, cfg, seqs, bs...))
	}
	// Block 3 of this span carries a deposit: blocks 1 and 2 stay valid.
	depositAt3 := spanItem(1, 4, nil)
	depositAt3.span.blocks[2].Transactions = [][]byte{{0x7e, 0xc0}}
	badParentSpan := spanItem(1, 2, nil)
	badParentSpan.span.parentCheck[0] ^= 1
	cases := []struct {
		name    string
		steps   []batchStep
		want    []string
		flushes int
	}{
		{"in order", []batchStep{{l1[1], []batchItem{single(singular(1, l1[0], tx)), single(singular(2, l1[0]))}}},
			[]string{"1@0/1", "2@0/0"}, 0},
		{"future batch dropped with its channel", []batchStep{{l1[1], []batchItem{single(singular(2, l1[0])), single(singular(1, l1[0], tx))}}},
			[]string{"1@0/1"}, 1},
		{"past batch skipped", []batchStep{{l1[1], []batchItem{single(singular(1, l1[0], tx)), single(singular(1, l1[0])), single(singular(2, l1[0]))}}},
			[]string{"1@0/1", "2@0/0"}, 0},
		{"partial span validity", []batchStep{{l1[1], []batchItem{depositAt3, single(singular(3, l1[0]))}}},
			[]string{"1@0/0", "2@0/0", "3@0/0"}, 1},
		{"span prefix mismatch flushes", []batchStep{{l1[1], []batchItem{badParentSpan, single(singular(1, l1[0]))}}},
			[]string{"1@0/0"}, 1},
		{"past span skipped", []batchStep{{l1[1], []batchItem{single(singular(1, l1[0])), single(singular(2, l1[0])), spanItem(1, 2, nil), single(singular(3, l1[0]))}}},
			[]string{"1@0/0", "2@0/0", "3@0/0"}, 0},
		{"overlapping span continues after the safe head", []batchStep{{l1[1], []batchItem{single(singular(1, l1[0])), spanItem(1, 3, nil)}}},
			[]string{"1@0/0", "2@0/0", "3@0/0"}, 0},
		// Epoch 0's window (6) ends at L1 block 6: empty batches until
		// the next origin's time; epoch 1's ends at 7.
		{"sequencing window expiry fills empty batches", []batchStep{
			{l1[1], nil}, {l1[2], nil}, {l1[3], nil}, {l1[4], nil}, {l1[5], nil}, {l1[6], nil}, {l1[7], nil},
		}, windowBlocks, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The overlap case reads the span's parent and the overlapped
			// block 1 (no user transactions) from the chain.
			l2 := &fakeSafe{refs: map[uint64]eth.L2BlockRef{0: genesis, 1: l2Ref(1, l1[0], 1)}, txs: map[uint64][][]byte{1: {{0x7e, 0xc0}}}}
			r := newBatchRun(t, cfg, true, l2, l1[0], genesis)
			for _, s := range tc.steps {
				r.step(s)
			}
			if len(r.errs) > 0 {
				t.Fatal(r.errs)
			}
			if got := r.blocks(); !equalStrings(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if r.src.flushed != tc.flushes {
				t.Fatalf("%d flushes, want %d", r.src.flushed, tc.flushes)
			}
			for i, last := range r.last {
				if !last {
					t.Fatalf("block %d not final: every Holocene block is", i+1)
				}
			}
		})
	}

	t.Run("span undecided for lack of L2 data is kept", func(t *testing.T) {
		t.Parallel()
		l2 := &fakeSafe{}
		r := newBatchRun(t, cfg, true, l2, l1[0], genesis)
		r.step(batchStep{l1[1], []batchItem{single(singular(1, l1[0])), spanItem(1, 3, nil)}})
		if len(r.errs) != 1 || !errors.Is(r.errs[0], eth.ErrTemporary) {
			t.Fatalf("errors %v, want a temporary error", r.errs)
		}
		l2.refs = map[uint64]eth.L2BlockRef{0: genesis, 1: l2Ref(1, l1[0], 1)}
		l2.txs = map[uint64][][]byte{1: {{0x7e, 0xc0}}}
		r.errs = nil
		r.step(batchStep{origin: l1[1]})
		if got := r.blocks(); !equalStrings(got, []string{"1@0/0", "2@0/0", "3@0/0"}) || len(r.errs) > 0 {
			t.Fatalf("got %v, %v", got, r.errs)
		}
	})
	t.Run("span undecided for lack of an overlapped block is kept", func(t *testing.T) {
		t.Parallel()
		l2 := &fakeSafe{refs: map[uint64]eth.L2BlockRef{0: genesis, 1: l2Ref(1, l1[0], 1)}}
		r := newBatchRun(t, cfg, true, l2, l1[0], genesis)
		r.step(batchStep{l1[1], []batchItem{single(singular(1, l1[0])), spanItem(1, 3, nil)}})
		if len(r.errs) != 1 || !errors.Is(r.errs[0], eth.ErrTemporary) {
			t.Fatalf("errors %v, want a temporary error", r.errs)
		}
		l2.txs = map[uint64][][]byte{1: {{0x7e, 0xc0}}}
		r.errs = nil
		r.step(batchStep{origin: l1[1]})
		if got := r.blocks(); !equalStrings(got, []string{"1@0/0", "2@0/0", "3@0/0"}) || len(r.errs) > 0 {
			t.Fatalf("got %v, %v", got, r.errs)
		}
	})
	t.Run("batches in the parent's origin block are drained", func(t *testing.T) {
		t.Parallel()
		parent := l2Ref(6, l1[1], 0)
		r := newBatchRun(t, cfg, true, nil, l1[1], parent)
		r.step(batchStep{l1[1], []batchItem{single(singular(7, l1[1], tx))}})
		r.step(batchStep{l1[2], []batchItem{single(singular(7, l1[1]))}})
		if got := r.blocks(); !equalStrings(got, []string{"7@1/0"}) {
			t.Fatalf("got %v", got)
		}
	})
}

// TestBatchMux checks the switch at Holocene: the L1 blocks survive, the
// buffered batches do not.
func TestBatchMux(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(4)
	f := allForks("granite")
	f.holocene = u64(l1[2].Time)
	cfg := testConfig(l1[0], f)
	src := &fakeBatches{origin: l1[1]}
	m := &batchMux{base: batchBase{cfg: cfg, log: slog.New(slog.DiscardHandler), prev: src, check: newChecker(cfg, &fakeSafe{})}}
	m.resetTo(l1[0])
	q, ok := m.batchProvider.(*batchQueue)
	if !ok {
		t.Fatalf("before holocene: %T", m.batchProvider)
	}
	src.items = []batchItem{single(singular(3, l1[0]))} // a future batch
	if _, _, err := m.NextBatch(context.Background(), l2Ref(0, l1[0], 0)); !errors.Is(err, errNotEnoughData) {
		t.Fatal(err)
	}
	if len(q.batches) != 1 || len(q.l1Blocks) != 2 {
		t.Fatalf("queue holds %d batches, %d L1 blocks", len(q.batches), len(q.l1Blocks))
	}
	m.activateHolocene()
	s, ok := m.batchProvider.(*batchStage)
	if !ok {
		t.Fatalf("after holocene: %T", m.batchProvider)
	}
	if len(s.l1Blocks) != 2 || s.origin != l1[1] {
		t.Fatalf("stage holds %d L1 blocks at %v", len(s.l1Blocks), s.origin)
	}
	m.resetTo(l1[3])
	if _, ok := m.batchProvider.(*batchStage); !ok {
		t.Fatalf("reset after holocene: %T", m.batchProvider)
	}
}

// TestSpanOverlapMustMatchSafeChain: the blocks of a span batch at or below
// the safe head must carry the safe block's L1 origin number and its
// non-deposit transactions, or the whole span is dropped (and, with
// Holocene, its channel flushed). op-node checks this before Holocene
// (checkSpanBatch) and, since v1.19, in its Holocene batch stage too.
func TestSpanOverlapMustMatchSafeChain(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(8)
	txA, txB := l2Tx(t, 1), l2Tx(t, 2)
	deposit := []byte{0x7e, 0xc0}
	// The safe head is block 6, the first block of epoch 1; the spans
	// start at block 6, so block 5 is their parent and block 6 overlaps.
	safe5, safe6 := l2Ref(5, l1[0], 5), l2Ref(6, l1[1], 0)
	chain := func(txs6 ...[]byte) *fakeSafe {
		return &fakeSafe{
			refs: map[uint64]eth.L2BlockRef{5: safe5, 6: safe6},
			txs:  map[uint64][][]byte{6: append([][]byte{deposit}, txs6...)},
		}
	}
	// A later batch for block 7: derived only if the span is dropped.
	next := single(singular(7, l1[1], txB))
	cases := []struct {
		name     string
		safe     *fakeSafe
		block6   *batch.Singular
		want     []string
		holoSkip bool // the span is dropped, not applied
	}{
		{"matching overlap continues the span", chain(), singular(6, l1[1]), []string{"7@1/0"}, false},
		{"matching overlap with transactions", chain(txA), singular(6, l1[1], txA), []string{"7@1/0"}, false},
		{"overlapped L1 origin differs drops the span", chain(), singular(6, l1[0]), []string{"7@1/1"}, true},
		{"overlapped tx count differs drops the span", chain(), singular(6, l1[1], txA), []string{"7@1/1"}, true},
		{"overlapped tx differs drops the span", chain(txA), singular(6, l1[1], txB), []string{"7@1/1"}, true},
	}
	for _, holocene := range []bool{false, true} {
		forks := allForks("delta")
		if holocene {
			forks = allForks("holocene")
		}
		cfg := testConfig(l1[0], forks)
		for _, tc := range cases {
			t.Run(fmt.Sprintf("holocene=%v/%s", holocene, tc.name), func(t *testing.T) {
				t.Parallel()
				seq6 := uint64(0)
				if tc.block6.EpochNum == 0 {
					seq6 = 6
				}
				s := span(spanOf(t, cfg, []uint64{seq6, 1}, tc.block6, singular(7, l1[1])))
				r := newBatchRun(t, cfg, holocene, tc.safe, l1[1], safe6)
				r.step(batchStep{origin: l1[1]})
				r.step(batchStep{l1[2], []batchItem{s, next}})
				if len(r.errs) > 0 {
					t.Fatal(r.errs)
				}
				if got := r.blocks(); !equalStrings(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				wantFlushes := 0
				if holocene && tc.holoSkip {
					wantFlushes = 1
				}
				if r.src.flushed != wantFlushes {
					t.Fatalf("%d flushes, want %d", r.src.flushed, wantFlushes)
				}
			})
		}
	}
}

// TestSpanBlockEpochNotInL1Blocks: a span block after the safe head whose
// epoch is not among the batch stage's L1 blocks (here the parent's epoch,
// after empty batches moved the stage to the next one) makes the span
// invalid: it is dropped (with Holocene, with its channel), never a
// critical error. op-node: checkSpanBatch drops it before Holocene; the
// Holocene batch stage drops and flushes when GetSingularBatches fails.
func TestSpanBlockEpochNotInL1Blocks(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(10)
	genesis := l2Ref(0, l1[0], 0)
	for _, holocene := range []bool{false, true} {
		t.Run(fmt.Sprintf("holocene=%v", holocene), func(t *testing.T) {
			t.Parallel()
			forks := allForks("delta")
			if holocene {
				forks = allForks("holocene")
			}
			cfg := testConfig(l1[0], forks)
			r := newBatchRun(t, cfg, holocene, nil, l1[0], genesis)
			// Epoch 0's window ends at L1 block 6: empty blocks 1..5, then
			// the stage moves on to epoch 1 while block 5 is on epoch 0.
			for n := 1; n <= 6; n++ {
				r.step(batchStep{origin: l1[n]})
			}
			if len(r.errs) > 0 || r.parent.Number != 5 {
				t.Fatalf("setup: parent %v, errors %v", r.parent.ID(), r.errs)
			}
			// Block 6 stays on epoch 0, which the stage no longer holds;
			// block 7 moves to epoch 1, so the span's prefix checks pass.
			s := span(spanOf(t, cfg, []uint64{6, 0}, singular(6, l1[0]), singular(7, l1[1])))
			r.step(batchStep{l1[6], []batchItem{s}})
			r.step(batchStep{origin: l1[7]})
			if len(r.errs) > 0 {
				t.Fatalf("errors %v, want the span dropped", r.errs)
			}
			if got := r.blocks(); !equalStrings(got, windowBlocks) {
				t.Fatalf("got %v, want %v", got, windowBlocks)
			}
			wantFlushes := 0
			if holocene {
				wantFlushes = 1
			}
			if r.src.flushed != wantFlushes {
				t.Fatalf("%d flushes, want %d", r.src.flushed, wantFlushes)
			}
		})
	}
}

// A post-exec transaction whose span columns are wrong (a signature, a
// nonce, ...) decodes, and its block is then dropped by the batch checks:
// from Holocene the span's earlier blocks stay and the rest of the channel
// is flushed, as for any invalid transaction of a span block. The same
// transaction with the fixed columns is accepted.
func TestSpanPostExecFault(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(20)
	genesis := l2Ref(0, l1[0], 0)
	cfg := testConfig(l1[0], allForks("lagoon"))
	build := func(fault *batch.TxFault) batchItem {
		var bs []*batch.Singular
		for n := uint64(1); n <= 4; n++ {
			bs = append(bs, singular(n, l1[0]))
		}
		it := span(spanOf(t, cfg, []uint64{1, 2, 3, 4}, bs...))
		it.span.blocks[2].Transactions = [][]byte{postExecTx(t, 3)}
		it.span.blocks[2].Fault = fault
		return it
	}
	cases := []struct {
		name    string
		fault   *batch.TxFault
		want    []string
		flushes int
	}{
		{"fixed columns", nil, []string{"1@0/0", "2@0/0", "3@0/1", "4@0/0"}, 0},
		{"bad columns", &batch.TxFault{Index: 0, Reason: "post-exec transaction with nonce 1, gas 0"}, []string{"1@0/0", "2@0/0", "3@0/0"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newBatchRun(t, cfg, true, nil, l1[0], genesis)
			r.step(batchStep{l1[1], []batchItem{build(tc.fault), single(singular(3, l1[0]))}})
			if len(r.errs) > 0 {
				t.Fatal(r.errs)
			}
			if got := r.blocks(); !equalStrings(got, tc.want) || r.src.flushed != tc.flushes {
				t.Fatalf("got %v with %d flushes, want %v with %d", got, r.src.flushed, tc.want, tc.flushes)
			}
		})
	}
}
