package pipeline

import (
	"context"
	"errors"
	"io"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/sdk/eth"
)

// batchStage is the Holocene batch stage. Batches must arrive in order:
// nothing is buffered for later. A batch for a block already safe is
// skipped (past); any other invalid batch is dropped together with the rest
// of its channel. A span batch is checked by its prefix and its blocks that
// overlap the safe chain (checkSpanHolocene), then its blocks after the
// safe head are checked one at a time as singular batches, so the blocks
// before the first invalid one stay valid.
type batchStage struct {
	batchBase
	// pending is a span batch left undecided because the L2 safe chain
	// could not be read; it is retried before anything else is read.
	pending *queuedBatch
}

func (s *batchStage) resetTo(base eth.L1BlockRef) {
	s.reset(base)
	s.pending = nil
}

// flush drops the rest of the current span batch and of its channel.
func (s *batchStage) flush() {
	s.nextSpan = nil
	s.pending = nil
	s.prev.flush()
}

func (s *batchStage) NextBatch(ctx context.Context, parent eth.L2BlockRef) (*batch.Singular, bool, error) {
	// Batches are never invalidated backwards, so the origins can always
	// move forward first.
	s.updateOrigins(parent)
	// Batches read in the parent's own origin block, or earlier, are all
	// for blocks that are already safe: drain them.
	if s.originBehind(parent) || parent.L1Origin.Number == s.origin.Number {
		if _, err := s.prev.NextBatch(ctx); err != nil {
			return nil, false, err
		}
		return nil, false, errNotEnoughData
	}
	if len(s.l1Blocks) < 2 {
		return nil, false, criticalErr("batch stage holds %d L1 blocks at origin %s for parent %s", len(s.l1Blocks), s.origin, parent.ID())
	}
	if epoch := s.l1Blocks[0]; parent.L1Origin != epoch.ID() && parent.L1Origin.Number+1 != epoch.Number {
		return nil, false, resetErr("batch stage epoch %s does not match the safe head's L1 origin %s", epoch, parent.L1Origin)
	}

	b, err := s.candidate(ctx, parent)
	if errors.Is(err, io.EOF) {
		// Only once every read batch is used up may empty batches fill
		// an expired sequencing window. They advance the safe head.
		empty, err := s.nextEmptyBatch(true, parent)
		return empty, true, err
	}
	if err != nil {
		return nil, false, err
	}
	switch v := s.check.checkSingular(s.l1Blocks, parent, b, s.origin); v {
	case batchAccept:
		// With Holocene every accepted block is final: nothing later can
		// invalidate it, so each one counts as the end of its span.
		return b, true, nil
	case batchPast:
		return nil, false, errNotEnoughData
	case batchDrop:
		s.log.Warn("dropping batch and the rest of its channel", "batch_time", b.Timestamp)
		s.flush()
		return nil, false, errNotEnoughData
	case batchUndecided:
		// Cannot happen with two L1 blocks known; nothing to retry.
		s.log.Warn("dropping undecided batch", "batch_time", b.Timestamp)
		return nil, false, errNotEnoughData
	default:
		return nil, false, criticalErr("unexpected batch validity %v in the Holocene batch stage", v)
	}
}

// candidate returns the next singular batch to check: the next block of
// the current span, or the next batch read (for a span batch, after its
// prefix checks, its first block after parent).
func (s *batchStage) candidate(ctx context.Context, parent eth.L2BlockRef) (*batch.Singular, error) {
	if b, _ := s.nextFromSpan(parent); b != nil {
		return b, nil
	}
	var qb queuedBatch
	if s.pending != nil {
		qb, s.pending = *s.pending, nil
	} else {
		item, err := s.prev.NextBatch(ctx)
		if err != nil {
			return nil, err
		}
		qb = queuedBatch{item: item, inclusion: s.origin}
	}
	if qb.item.single != nil {
		return qb.item.single, nil
	}
	span := qb.item.span
	switch v := s.check.checkSpanHolocene(ctx, s.l1Blocks, parent, span, qb.inclusion); v {
	case batchAccept:
	case batchPast:
		return nil, errNotEnoughData
	case batchDrop:
		s.log.Warn("dropping span batch and the rest of its channel", "span_time", span.timestamp())
		s.flush()
		return nil, errNotEnoughData
	case batchUndecided:
		if err := s.check.l2Err; err != nil {
			s.check.l2Err = nil
			s.pending = &qb
			return nil, temporaryErr("span batch needs L2 safe chain data: %v", err)
		}
		s.log.Warn("dropping undecided span batch", "span_time", span.timestamp())
		return nil, errNotEnoughData
	default:
		return nil, criticalErr("unexpected span validity %v in the Holocene batch stage", v)
	}
	// The Holocene checks so far do not look at every block's epoch, so a
	// block whose L1 origin is not held makes the span invalid: drop it and
	// its channel, as op-node does, instead of failing derivation.
	singles, err := s.spanToSingulars(span, parent)
	if err != nil {
		s.log.Warn("dropping span batch and the rest of its channel", "span_time", span.timestamp(), "err", err)
		s.flush()
		return nil, errNotEnoughData
	}
	if len(singles) == 0 {
		return nil, errNotEnoughData
	}
	s.nextSpan = singles
	return s.popSpan(parent), nil
}
