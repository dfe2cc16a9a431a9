package pipeline

import (
	"context"
	"errors"
	"io"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/sdk/eth"
)

// batchQueue is the pre-Holocene batch stage. It buffers every batch that
// may still become valid (future or undecided), in the order they were read,
// and for each next block takes the first valid one; when the sequencing
// window passes without one, it generates empty batches. A span batch is
// valid or invalid as a whole; once accepted its blocks are handed out one
// by one.
type batchQueue struct {
	batchBase
	batches []queuedBatch
}

type queuedBatch struct {
	item      batchItem
	inclusion eth.L1BlockRef
}

func (q *batchQueue) resetTo(base eth.L1BlockRef) {
	q.reset(base)
	q.batches = nil
}

// flush does nothing: before Holocene batches are never flushed.
func (q *batchQueue) flush() {}

func (q *batchQueue) validity(ctx context.Context, b queuedBatch, parent eth.L2BlockRef) validity {
	if b.item.single != nil {
		return q.check.checkSingular(q.l1Blocks, parent, b.item.single, b.inclusion)
	}
	return q.check.checkSpan(ctx, q.l1Blocks, parent, b.item.span, b.inclusion)
}

// NextBatch returns the batch of the block after parent and whether it is
// the last block of its batch.
func (q *batchQueue) NextBatch(ctx context.Context, parent eth.L2BlockRef) (*batch.Singular, bool, error) {
	// A span in progress is consumed before the origins move: the whole
	// span may still be rejected, and its L1 blocks are needed until then.
	if b, last := q.nextFromSpan(parent); b != nil {
		return b, last, nil
	}
	q.updateOrigins(parent)
	behind := q.originBehind(parent)

	outOfData := false
	item, err := q.prev.NextBatch(ctx)
	switch {
	case errors.Is(err, io.EOF):
		outOfData = true
	case err != nil:
		return nil, false, err
	case !behind:
		q.add(ctx, item, parent)
	}
	if behind {
		if outOfData {
			return nil, false, io.EOF
		}
		return nil, false, errNotEnoughData
	}

	next, err := q.deriveNext(ctx, outOfData, parent)
	if errors.Is(err, io.EOF) {
		if outOfData {
			return nil, false, io.EOF
		}
		return nil, false, errNotEnoughData
	}
	if err != nil {
		return nil, false, err
	}
	if next.single != nil {
		return next.single, true, nil
	}
	// checkSpan has found every block's origin among l1Blocks, so failing
	// here is a bug, not bad input (op-node: a critical error too).
	singles, err := q.spanToSingulars(next.span, parent)
	if err != nil {
		return nil, false, criticalErr("accepted span batch: %v", err)
	}
	if len(singles) == 0 {
		return nil, false, criticalErr("accepted span batch has no block after the safe head")
	}
	q.nextSpan = singles
	b := q.popSpan(parent)
	return b, len(q.nextSpan) == 0, nil
}

// add buffers a batch read at the current origin unless it is already
// known to be invalid.
func (q *batchQueue) add(ctx context.Context, item batchItem, parent eth.L2BlockRef) {
	if len(q.l1Blocks) == 0 {
		return
	}
	b := queuedBatch{item: item, inclusion: q.origin}
	v := q.validity(ctx, b, parent)
	q.check.l2Err = nil
	if v == batchDrop {
		return
	}
	q.batches = append(q.batches, b)
}

// deriveNext finds the first buffered batch valid on parent, dropping the
// invalid ones; undecided stops the search until more L1 data arrives.
func (q *batchQueue) deriveNext(ctx context.Context, outOfData bool, parent eth.L2BlockRef) (batchItem, error) {
	if len(q.l1Blocks) == 0 {
		return batchItem{}, criticalErr("batch queue has no L1 origin to derive from")
	}
	epoch := q.l1Blocks[0]
	// The epoch may be one ahead of the parent's origin after the empty
	// batches of an epoch advanced it.
	if parent.L1Origin != epoch.ID() && parent.L1Origin.Number+1 != epoch.Number {
		return batchItem{}, resetErr("batch queue epoch %s does not match the safe head's L1 origin %s", epoch, parent.L1Origin)
	}
	var remaining []queuedBatch
	for i, b := range q.batches {
		switch v := q.validity(ctx, b, parent); v {
		case batchFuture:
			remaining = append(remaining, b)
		case batchDrop:
			q.log.Warn("dropping buffered batch", "batch_time", b.item.timestamp(), "parent", parent.ID())
		case batchAccept:
			q.batches = append(remaining, q.batches[i+1:]...)
			return b.item, nil
		case batchUndecided:
			q.batches = append(remaining, q.batches[i:]...)
			if err := q.check.l2Err; err != nil {
				q.check.l2Err = nil
				return batchItem{}, temporaryErr("span batch needs L2 safe chain data: %v", err)
			}
			return batchItem{}, io.EOF
		default:
			return batchItem{}, criticalErr("unexpected batch validity %v", v)
		}
	}
	q.batches = remaining
	empty, err := q.nextEmptyBatch(outOfData, parent)
	if err != nil {
		return batchItem{}, err
	}
	return batchItem{single: empty}, nil
}
