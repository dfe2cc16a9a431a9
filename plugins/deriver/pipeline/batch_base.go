package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// batchSource is what the batch stages read: batches in channel order.
type batchSource interface {
	Origin() eth.L1BlockRef
	NextBatch(ctx context.Context) (batchItem, error)
	flush()
}

// batchBase is the state both batch stages share: the L1 blocks from the
// safe head's epoch up to the current origin (the candidates for the next
// blocks' L1 origins), and the remaining blocks of an accepted span batch.
type batchBase struct {
	cfg   *rollup.Config
	log   *slog.Logger
	prev  batchSource
	check *checker

	origin   eth.L1BlockRef
	l1Blocks []eth.L1BlockRef
	nextSpan []*batch.Singular
}

func (b *batchBase) Origin() eth.L1BlockRef { return b.prev.Origin() }

func (b *batchBase) reset(base eth.L1BlockRef) {
	b.origin = base
	b.l1Blocks = append(b.l1Blocks[:0], base)
	b.nextSpan = nil
}

// originBehind reports whether derivation is still reading L1 blocks older
// than the parent's origin (right after a reset to an earlier L1 block):
// their batches can only be for blocks that are already safe.
func (b *batchBase) originBehind(parent eth.L2BlockRef) bool {
	return b.prev.Origin().Number < parent.L1Origin.Number
}

// updateOrigins records a new pipeline origin in l1Blocks and drops the L1
// blocks older than the parent's origin.
func (b *batchBase) updateOrigins(parent eth.L2BlockRef) {
	behind := b.originBehind(parent)
	if o := b.prev.Origin(); b.origin != o {
		b.origin = o
		if behind {
			b.l1Blocks = b.l1Blocks[:0]
		} else {
			b.l1Blocks = append(b.l1Blocks, o)
		}
	}
	if len(b.l1Blocks) > 0 && parent.L1Origin.Number > b.l1Blocks[0].Number {
		for i, l1 := range b.l1Blocks {
			if l1.Number == parent.L1Origin.Number {
				b.l1Blocks = b.l1Blocks[i:]
				break
			}
		}
	}
}

// nextFromSpan pops the next block of the current span batch if it is the
// one after parent. If it is not, an earlier block of the span did not
// become safe (its payload was invalid), so the rest of the span is dropped.
func (b *batchBase) nextFromSpan(parent eth.L2BlockRef) (*batch.Singular, bool) {
	if len(b.nextSpan) == 0 {
		return nil, false
	}
	if b.nextSpan[0].Timestamp != parent.Time+b.cfg.BlockTime {
		b.log.Warn("dropping rest of span batch: parent is not its previous block", "parent", parent.ID())
		b.nextSpan = nil
		return nil, false
	}
	next := b.popSpan(parent)
	return next, len(b.nextSpan) == 0
}

func (b *batchBase) popSpan(parent eth.L2BlockRef) *batch.Singular {
	next := b.nextSpan[0]
	b.nextSpan = b.nextSpan[1:]
	// The span's parent check covered its first block; each later one
	// builds on the block before.
	next.ParentHash = parent.Hash
	return next
}

// spanToSingulars turns the span's blocks after parent into singular
// batches, taking each one's epoch hash from l1Blocks. It fails when a
// block's epoch is not there (for instance older than parent's): what that
// means is the caller's to decide, an invalid span for the Holocene batch
// stage, a broken invariant after the pre-Holocene checks.
func (b *batchBase) spanToSingulars(s *spanBatch, parent eth.L2BlockRef) ([]*batch.Singular, error) {
	var out []*batch.Singular
	idx := 0
	for _, blk := range s.blocks {
		if blk.Timestamp <= parent.Time {
			continue
		}
		if blk.EpochNum < parent.L1Origin.Number {
			return nil, fmt.Errorf("span batch block at %d has epoch %d, before the epoch %d of its parent %s",
				blk.Timestamp, blk.EpochNum, parent.L1Origin.Number, parent.ID())
		}
		sb := &batch.Singular{EpochNum: blk.EpochNum, Timestamp: blk.Timestamp, Transactions: blk.Transactions, Fault: blk.Fault}
		found := false
		for j := idx; j < len(b.l1Blocks); j++ {
			if b.l1Blocks[j].Number == blk.EpochNum {
				sb.EpochHash, idx, found = b.l1Blocks[j].Hash, j, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("no L1 block for epoch %d of a span batch block", blk.EpochNum)
		}
		out = append(out, sb)
	}
	return out, nil
}

// nextEmptyBatch generates an empty batch once the sequencing window of the
// current epoch has passed without a valid batch: it stays on the epoch
// while the next L1 origin is still in the future (and always for the
// epoch's first block), then moves to the next epoch. io.EOF means no batch
// is due yet, or the epoch was just advanced.
func (b *batchBase) nextEmptyBatch(outOfData bool, parent eth.L2BlockRef) (*batch.Singular, error) {
	if len(b.l1Blocks) == 0 {
		return nil, io.EOF
	}
	epoch := b.l1Blocks[0]
	expiry := epoch.Number + b.cfg.SeqWindowSize
	force := (expiry == b.origin.Number && outOfData) || expiry < b.origin.Number
	if !force || len(b.l1Blocks) < 2 {
		return nil, io.EOF
	}
	next := parent.Time + b.cfg.BlockTime
	firstOfEpoch := epoch.Number == parent.L1Origin.Number+1
	if next < b.l1Blocks[1].Time || firstOfEpoch {
		b.log.Info("generating empty batch", "epoch", epoch.ID(), "timestamp", next)
		return &batch.Singular{ParentHash: parent.Hash, EpochNum: epoch.Number, EpochHash: epoch.Hash, Timestamp: next}, nil
	}
	b.l1Blocks = b.l1Blocks[1:]
	return nil, io.EOF
}
