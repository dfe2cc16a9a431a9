package pipeline

import (
	"context"
	"log/slog"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

func newChecker(cfg *rollup.Config, l2 safeBlocks) *checker {
	return &checker{cfg: cfg, log: slog.New(slog.DiscardHandler), l2: l2}
}

// singularCase describes one check of a singular batch on top of safe.
type singularCase struct {
	name      string
	forks     forkTimes
	l1Blocks  []eth.L1BlockRef
	safe      eth.L2BlockRef
	batch     *batch.Singular
	inclusion eth.L1BlockRef
	want      validity
}

func TestCheckSingular(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(10)
	pre, holo := allForks("delta"), allForks("holocene")
	safe := l2Ref(3, l1[0], 3) // next block: 4, at genesis+8
	withTime := func(b *batch.Singular, ts uint64) *batch.Singular { b.Timestamp = ts; return b }
	withParent := func(b *batch.Singular, h common.Hash) *batch.Singular { b.ParentHash = h; return b }
	withEpochHash := func(b *batch.Singular, h common.Hash) *batch.Singular { b.EpochHash = h; return b }
	// A late L1 block, so that an empty batch past the drift may still
	// stay on its epoch.
	late := eth.L1BlockRef{Hash: l1[1].Hash, Number: 1, ParentHash: l1[0].Hash, Time: testGenesisTime + 1000}
	driftSafe := l2Ref(300, l1[0], 300) // next block at genesis+602: past the 600 s drift of origin 0
	setCode := []byte{0x04, 0xc0}
	jovianAt := func(ts uint64) forkTimes { f := allForks("isthmus"); f.jovian = u64(ts); return f }
	karstAt := func(ts uint64) forkTimes { f := allForks("jovian"); f.karst = u64(ts); return f }
	isthmusAt := func(ts uint64) forkTimes { f := allForks("holocene"); f.isthmus = u64(ts); return f }

	cases := []singularCase{
		{"accept same epoch", pre, l1[:2], safe, singular(4, l1[0], []byte{0x02}), l1[2], batchAccept},
		{"accept next epoch", pre, l1[:2], l2Ref(5, l1[0], 5), singular(6, l1[1]), l1[2], batchAccept},
		{"future pre-holocene", pre, l1[:2], safe, singular(5, l1[0]), l1[2], batchFuture},
		{"future holocene is drop", holo, l1[:2], safe, singular(5, l1[0]), l1[2], batchDrop},
		{"old pre-holocene is drop", pre, l1[:2], safe, singular(3, l1[0]), l1[2], batchDrop},
		{"old holocene is past", holo, l1[:2], safe, singular(3, l1[0]), l1[2], batchPast},
		{"holocene by inclusion time", func() forkTimes { f := allForks("granite"); f.holocene = u64(l1[3].Time); return f }(),
			l1[:2], safe, singular(3, l1[0]), l1[3], batchPast},
		{"before holocene inclusion", func() forkTimes { f := allForks("granite"); f.holocene = u64(l1[3].Time); return f }(),
			l1[:2], safe, singular(3, l1[0]), l1[2], batchDrop},
		{"parent mismatch", pre, l1[:2], safe, withParent(singular(4, l1[0]), common.Hash{1}), l1[2], batchDrop},
		{"sequencing window expired", pre, l1[:2], safe, singular(4, l1[0]), l1[7], batchDrop},
		{"sequencing window last block", pre, l1[:2], safe, singular(4, l1[0]), l1[6], batchAccept},
		{"epoch too old", pre, l1[1:3], l2Ref(6, l1[1], 0), singular(7, l1[0]), l1[3], batchDrop},
		{"next epoch undecided", pre, l1[:1], l2Ref(5, l1[0], 5), singular(6, l1[1]), l1[2], batchUndecided},
		{"epoch too far ahead", pre, l1[:3], l2Ref(11, l1[0], 11), singular(12, l1[2]), l1[3], batchDrop},
		{"epoch hash mismatch", pre, l1[:2], safe, withEpochHash(singular(4, l1[0]), common.Hash{2}), l1[2], batchDrop},
		{"before its L1 origin", pre, l1[:2], safe, withTime(singular(4, l1[1]), safe.Time+2), l1[2], batchDrop},
		{"past drift with txs", pre, l1[:2], driftSafe, singular(301, l1[0], []byte{0x02}), l1[2], batchDrop},
		{"past drift empty, next origin adoptable", pre, l1[:2], driftSafe, singular(301, l1[0]), l1[2], batchDrop},
		{"past drift empty, next origin later", pre, []eth.L1BlockRef{l1[0], late}, driftSafe, singular(301, l1[0]), l1[2], batchAccept},
		{"past drift empty, next origin unknown", pre, l1[:1], driftSafe, singular(301, l1[0]), l1[2], batchUndecided},
		{"past drift empty, advancing", pre, l1[:2], l2Ref(305, l1[0], 305), singular(306, l1[1]), l1[2], batchAccept},
		{"fjord drift is 1800", allForks("fjord"), l1[:2], driftSafe, singular(301, l1[0], []byte{0x02}), l1[2], batchAccept},
		{"empty tx", pre, l1[:2], safe, singular(4, l1[0], []byte{}), l1[2], batchDrop},
		{"deposit tx", pre, l1[:2], safe, singular(4, l1[0], []byte{0x7e, 0xc0}), l1[2], batchDrop},
		{"set code before isthmus", isthmusAt(safe.Time + 4), l1[:2], safe, singular(4, l1[0], setCode), l1[2], batchDrop},
		{"set code at isthmus", isthmusAt(safe.Time + 2), l1[:2], safe, singular(4, l1[0], setCode), l1[2], batchAccept},
		{"post-exec tx", allForks("jovian"), l1[:2], safe, singular(4, l1[0], []byte{0x7d, 0xc0}), l1[2], batchDrop},
		{"blob tx left to the engine", pre, l1[:2], safe, singular(4, l1[0], []byte{0x03, 0xc0}), l1[2], batchAccept},
		{"jovian activation with txs", jovianAt(safe.Time + 2), l1[:2], safe, singular(4, l1[0], []byte{0x02}), l1[2], batchDrop},
		{"jovian activation empty", jovianAt(safe.Time + 2), l1[:2], safe, singular(4, l1[0]), l1[2], batchAccept},
		{"after jovian activation", jovianAt(safe.Time), l1[:2], safe, singular(4, l1[0], []byte{0x02}), l1[2], batchAccept},
		{"karst activation with txs", karstAt(safe.Time + 2), l1[:2], safe, singular(4, l1[0], []byte{0x02}), l1[2], batchDrop},
		{"karst activation empty", karstAt(safe.Time + 2), l1[:2], safe, singular(4, l1[0]), l1[2], batchAccept},
		{"no L1 blocks", pre, nil, safe, singular(4, l1[0]), l1[2], batchUndecided},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newChecker(testConfig(l1[0], tc.forks), nil)
			if got := c.checkSingular(tc.l1Blocks, tc.safe, tc.batch, tc.inclusion); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// spanCase describes one check of a span batch on top of safe.
type spanCase struct {
	name      string
	forks     forkTimes
	l1Blocks  []eth.L1BlockRef
	safe      eth.L2BlockRef
	span      func(tb testing.TB, cfg *rollup.Config) *spanBatch
	inclusion eth.L1BlockRef
	l2        *fakeSafe
	full      bool // checkSpan (pre-Holocene) rather than the prefix only
	want      validity
}

func TestCheckSpan(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(12)
	pre, holo := allForks("delta"), allForks("holocene")
	// The safe chain: blocks 0..5 on epoch 0, 6.. on epoch 1.
	ref := func(n uint64) eth.L2BlockRef {
		if n < 6 {
			return l2Ref(n, l1[0], n)
		}
		return l2Ref(n, l1[1], n-6)
	}
	tx1, tx2 := l2Tx(t, 1), l2Tx(t, 2)
	// The txs of safe blocks 4 and 5 as derived: an L1-info deposit then
	// the batch's transactions.
	safeChain := &fakeSafe{
		refs: map[uint64]eth.L2BlockRef{3: ref(3), 4: ref(4), 5: ref(5)},
		txs:  map[uint64][][]byte{4: {{0x7e}, tx1}, 5: {{0x7e}}},
	}
	epochOf := func(n uint64) eth.L1BlockRef {
		if n < 6 {
			return l1[0]
		}
		return l1[1]
	}
	// span builds the span batch of blocks from..to, with txs[n] as block
	// n's transactions.
	span := func(from, to uint64, txs map[uint64][][]byte) func(tb testing.TB, cfg *rollup.Config) *spanBatch {
		return func(tb testing.TB, cfg *rollup.Config) *spanBatch {
			var bs []*batch.Singular
			var seqs []uint64
			for n := from; n <= to; n++ {
				bs = append(bs, singular(n, epochOf(n), txs[n]...))
				seqs = append(seqs, ref(n).SequenceNumber)
			}
			return spanOf(tb, cfg, seqs, bs...)
		}
	}
	signedTx := l2Tx(t, 0)
	tamper := func(f func(*spanBatch)) func(func(testing.TB, *rollup.Config) *spanBatch) func(testing.TB, *rollup.Config) *spanBatch {
		return func(g func(testing.TB, *rollup.Config) *spanBatch) func(testing.TB, *rollup.Config) *spanBatch {
			return func(tb testing.TB, cfg *rollup.Config) *spanBatch { s := g(tb, cfg); f(s); return s }
		}
	}
	badParent := tamper(func(s *spanBatch) { s.parentCheck[0] ^= 1 })
	badOrigin := tamper(func(s *spanBatch) { s.originCheck[0] ^= 1 })
	withTxs := func(n int, txs ...[]byte) func(func(testing.TB, *rollup.Config) *spanBatch) func(testing.TB, *rollup.Config) *spanBatch {
		return tamper(func(s *spanBatch) { s.blocks[n].Transactions = txs })
	}
	deltaLater := allForks("canyon")
	deltaLater.delta = u64(l1[1].Time)
	safe5 := ref(5)

	cases := []spanCase{
		{"accept", pre, l1[:3], safe5, span(6, 8, nil), l1[3], nil, true, batchAccept},
		{"accept prefix holocene", holo, l1[:3], safe5, span(6, 8, nil), l1[3], nil, false, batchAccept},
		{"origin before delta", deltaLater, l1[:3], ref(4), span(5, 5, nil), l1[3], nil, true, batchDrop},
		{"origin at delta", deltaLater, l1[:3], safe5, span(6, 7, nil), l1[3], nil, true, batchAccept},
		{"future pre-holocene", pre, l1[:3], safe5, span(7, 8, nil), l1[3], nil, true, batchFuture},
		{"future holocene is drop", holo, l1[:3], safe5, span(7, 8, nil), l1[3], nil, false, batchDrop},
		{"all old pre-holocene is drop", pre, l1[:3], safe5, span(3, 5, nil), l1[3], safeChain, true, batchDrop},
		{"all old holocene is past", holo, l1[:3], safe5, span(3, 5, nil), l1[3], safeChain, false, batchPast},
		{"parent check mismatch", pre, l1[:3], safe5, badParent(span(6, 7, nil)), l1[3], nil, true, batchDrop},
		{"sequencing window expired", pre, l1[:3], safe5, span(6, 7, nil), l1[8], nil, true, batchDrop},
		{"start epoch too far", pre, l1[:3], ref(4), func(tb testing.TB, cfg *rollup.Config) *spanBatch {
			b := singular(5, l1[2])
			return spanOf(tb, cfg, []uint64{0}, b)
		}, l1[3], nil, true, batchDrop},
		{"origin check mismatch", pre, l1[:3], safe5, badOrigin(span(6, 7, nil)), l1[3], nil, true, batchDrop},
		{"end origin unknown", pre, l1[:1], ref(4), span(5, 6, nil), l1[3], nil, true, batchUndecided},
		{"start epoch too old", pre, l1[1:3], ref(7), func(tb testing.TB, cfg *rollup.Config) *spanBatch {
			return spanOf(tb, cfg, []uint64{8, 0}, singular(8, l1[0]), singular(9, l1[1]))
		}, l1[3], nil, true, batchDrop},
		{"end origin not yet known is undecided", pre, l1[1:3], ref(7), func(tb testing.TB, cfg *rollup.Config) *spanBatch {
			return spanOf(tb, cfg, []uint64{8}, singular(8, l1[0]))
		}, l1[3], nil, true, batchUndecided},
		{"block with deposit", pre, l1[:3], safe5, withTxs(1, []byte{0x7e})(span(6, 7, nil)), l1[3], nil, true, batchDrop},
		{"block with empty tx", pre, l1[:3], safe5, withTxs(0, []byte{})(span(6, 7, nil)), l1[3], nil, true, batchDrop},
		{"set code before isthmus", pre, l1[:3], safe5, withTxs(0, []byte{0x04, 0xc0})(span(6, 7, nil)), l1[3], nil, true, batchDrop},
		{"set code after isthmus", allForks("isthmus"), l1[:3], safe5, withTxs(0, []byte{0x04, 0xc0})(span(6, 7, nil)), l1[3], nil, true, batchAccept},
		{"overlap matches", pre, l1[:3], safe5, span(4, 7, map[uint64][][]byte{4: {tx1}}), l1[3], safeChain, true, batchAccept},
		{"overlap tx count differs", pre, l1[:3], safe5, span(4, 7, nil), l1[3], safeChain, true, batchDrop},
		{"overlap tx differs", pre, l1[:3], safe5, span(4, 7, map[uint64][][]byte{4: {tx2}}), l1[3], safeChain, true, batchDrop},
		{"overlap parent unknown", pre, l1[:3], safe5, span(4, 7, map[uint64][][]byte{4: {tx1}}), l1[3], &fakeSafe{}, true, batchUndecided},
		{"overlap block unknown", pre, l1[:3], safe5, span(4, 7, map[uint64][][]byte{4: {tx1}}), l1[3],
			&fakeSafe{refs: safeChain.refs}, true, batchUndecided},
		{"overlap holocene prefix", holo, l1[:3], safe5, span(4, 7, map[uint64][][]byte{4: {tx2}}), l1[3], safeChain, false, batchAccept},
		{"misaligned overlap", pre, l1[:3], safe5, tamper(func(s *spanBatch) {
			for i := range s.blocks {
				s.blocks[i].Timestamp--
			}
		})(span(4, 7, nil)), l1[3], safeChain, true, batchDrop},
		{"with signed tx", pre, l1[:3], safe5, withTxs(0, signedTx)(span(6, 7, nil)), l1[3], nil, true, batchAccept},
		// The L1 blocks have moved past the safe head's epoch (empty
		// batches did): block 6 stays on epoch 0, which is no longer held.
		{"block epoch not among the L1 blocks", pre, l1[1:3], safe5, func(tb testing.TB, cfg *rollup.Config) *spanBatch {
			return spanOf(tb, cfg, []uint64{6, 0}, singular(6, l1[0]), singular(7, l1[1]))
		}, l1[3], nil, true, batchDrop},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(l1[0], tc.forks)
			var l2 safeBlocks = &fakeSafe{}
			if tc.l2 != nil {
				l2 = tc.l2
			}
			c := newChecker(cfg, l2)
			s := tc.span(t, cfg)
			var got validity
			if tc.full {
				got = c.checkSpan(context.Background(), tc.l1Blocks, tc.safe, s, tc.inclusion)
			} else {
				got, _ = c.checkSpanPrefix(context.Background(), tc.l1Blocks, tc.safe, s, tc.inclusion)
			}
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if tc.want == batchUndecided && tc.l2 != nil && c.l2Err == nil {
				t.Fatal("undecided for lack of L2 data without recording the L2 error")
			}
		})
	}
}

// TestCheckSpanDrift covers the drift rules per block of a span batch.
func TestCheckSpanDrift(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(4)
	late := eth.L1BlockRef{Hash: l1[1].Hash, Number: 1, ParentHash: l1[0].Hash, Time: testGenesisTime + 1000}
	safe := l2Ref(299, l1[0], 299) // blocks 300, 301: at genesis+600, +602
	// Fjord's drift (1800 s) applies by the L1 origin's time.
	fjordLater := allForks("ecotone")
	fjordLater.fjord = u64(l1[1].Time)
	cases := []struct {
		name     string
		forks    forkTimes
		l1Blocks []eth.L1BlockRef
		txs      [][]byte
		want     validity
	}{
		{"past drift with txs", allForks("delta"), []eth.L1BlockRef{l1[0], l1[1]}, [][]byte{l2Tx(t, 0)}, batchDrop},
		{"past drift empty, next origin adoptable", allForks("delta"), []eth.L1BlockRef{l1[0], l1[1]}, nil, batchDrop},
		{"past drift empty, next origin later", allForks("delta"), []eth.L1BlockRef{l1[0], late}, nil, batchAccept},
		{"past drift empty, next origin unknown", allForks("delta"), []eth.L1BlockRef{l1[0]}, nil, batchUndecided},
		{"fjord drift", allForks("fjord"), []eth.L1BlockRef{l1[0], l1[1]}, [][]byte{l2Tx(t, 0)}, batchAccept},
		{"fjord after the origin keeps the old drift", fjordLater, []eth.L1BlockRef{l1[0], l1[1]}, [][]byte{l2Tx(t, 0)}, batchDrop},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(l1[0], tc.forks)
			s := spanOf(t, cfg, []uint64{300, 301}, singular(300, l1[0]), singular(301, l1[0], tc.txs...))
			// The origin check is against the last block's origin, l1[0].
			got := newChecker(cfg, &fakeSafe{}).checkSpan(context.Background(), tc.l1Blocks, safe, s, l1[2])
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCheckSpanHolocene: the Holocene span checks are the prefix plus the
// overlap with the safe chain (op-node v1.19), not the prefix alone.
func TestCheckSpanHolocene(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(4)
	cfg := testConfig(l1[0], allForks("holocene"))
	tx1, tx2 := l2Tx(t, 1), l2Tx(t, 2)
	// Safe blocks 3 and 4 on epoch 0; block 4 has tx1 after its deposit.
	safeChain := &fakeSafe{
		refs: map[uint64]eth.L2BlockRef{3: l2Ref(3, l1[0], 3), 4: l2Ref(4, l1[0], 4), 5: l2Ref(5, l1[0], 5)},
		txs:  map[uint64][][]byte{4: {{0x7e}, tx1}, 5: {{0x7e}}},
	}
	safe5 := l2Ref(5, l1[0], 5)
	// spanFrom4 is the span of blocks 4..6 with block 4's transactions and
	// (set after encoding, as a batcher on another chain would have it)
	// epoch.
	spanFrom4 := func(txs4 []byte, epoch4 uint64) *spanBatch {
		b4 := singular(4, l1[0])
		if txs4 != nil {
			b4.Transactions = [][]byte{txs4}
		}
		s := spanOf(t, cfg, []uint64{4, 5, 6}, b4, singular(5, l1[0]), singular(6, l1[0]))
		s.blocks[0].EpochNum = epoch4
		return s
	}
	cases := []struct {
		name string
		s    *spanBatch
		l2   *fakeSafe
		want validity
	}{
		{"no overlap", spanOf(t, cfg, []uint64{6}, singular(6, l1[0])), &fakeSafe{}, batchAccept},
		{"overlap matches", spanFrom4(tx1, 0), safeChain, batchAccept},
		{"overlapped tx count differs", spanFrom4(nil, 0), safeChain, batchDrop},
		{"overlapped tx differs", spanFrom4(tx2, 0), safeChain, batchDrop},
		{"overlapped L1 origin differs", spanFrom4(tx1, 1), safeChain, batchDrop},
		{"overlapped block unknown", spanFrom4(tx1, 0), &fakeSafe{refs: safeChain.refs}, batchUndecided},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newChecker(cfg, tc.l2)
			got := c.checkSpanHolocene(context.Background(), l1[:2], safe5, tc.s, l1[2])
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if got == batchUndecided && c.l2Err == nil {
				t.Fatal("undecided for lack of L2 data without recording the L2 error")
			}
		})
	}
}
