package pipeline

import (
	"bytes"
	"context"

	"github.com/opalnode/opal/sdk/eth"
)

// checkSpanPrefix applies the span batch rules that do not look at its
// blocks one by one: fork, timestamps against the safe head, parent, window
// and L1 origin checks. It also returns the L2 block the span builds on,
// which is below the safe head when the span overlaps the safe chain.
func (c *checker) checkSpanPrefix(ctx context.Context, l1Blocks []eth.L1BlockRef, safe eth.L2BlockRef, s *spanBatch, inclusion eth.L1BlockRef) (validity, eth.L2BlockRef) {
	log := c.log.With("span_time", s.timestamp(), "blocks", len(s.blocks), "start_epoch", s.startEpoch())
	if len(l1Blocks) == 0 {
		return batchUndecided, eth.L2BlockRef{}
	}
	epoch := l1Blocks[0]
	start := s.startEpoch()
	origin := epoch
	if start == epoch.Number+1 {
		if len(l1Blocks) < 2 {
			return batchUndecided, eth.L2BlockRef{}
		}
		origin = l1Blocks[1]
	}
	if !c.cfg.IsDelta(origin.Time) {
		log.Warn("dropping span batch: L1 origin before Delta", "origin", origin.ID())
		return batchDrop, eth.L2BlockRef{}
	}
	holocene := c.cfg.IsHolocene(inclusion.Time)
	next := safe.Time + c.cfg.BlockTime
	if s.timestamp() > next {
		if holocene {
			log.Warn("dropping future span batch", "next", next)
			return batchDrop, eth.L2BlockRef{}
		}
		return batchFuture, eth.L2BlockRef{}
	}
	if s.endTimestamp() < next {
		if holocene {
			return batchPast, eth.L2BlockRef{}
		}
		log.Warn("dropping span batch: no block after the safe head")
		return batchDrop, eth.L2BlockRef{}
	}
	parent := safe
	if s.timestamp() < next {
		if s.timestamp() > safe.Time {
			log.Warn("dropping span batch: misaligned timestamp")
			return batchDrop, eth.L2BlockRef{}
		}
		if (safe.Time-s.timestamp())%c.cfg.BlockTime != 0 {
			log.Warn("dropping span batch: timestamp not on a block")
			return batchDrop, eth.L2BlockRef{}
		}
		back := (safe.Time - s.timestamp()) / c.cfg.BlockTime
		if back+1 > safe.Number {
			log.Warn("dropping span batch: starts before L2 genesis")
			return batchDrop, eth.L2BlockRef{}
		}
		ref, err := c.l2.safeRef(ctx, safe.Number-back-1)
		if err != nil {
			c.l2Err = err
			log.Warn("span batch undecided: cannot read its L2 parent", "number", safe.Number-back-1, "err", err)
			return batchUndecided, eth.L2BlockRef{}
		}
		parent = ref
	}
	if !c.offline && !s.checkParent(parent.Hash) {
		log.Warn("dropping span batch: parent check mismatch", "parent", parent.ID())
		return batchDrop, parent
	}
	if start+c.cfg.SeqWindowSize < inclusion.Number {
		log.Warn("dropping span batch: sequencing window expired", "inclusion", inclusion.ID())
		return batchDrop, parent
	}
	if start > parent.L1Origin.Number+1 {
		log.Warn("dropping span batch: start epoch too far ahead", "parent_origin", parent.L1Origin)
		return batchDrop, parent
	}
	end := s.endEpoch()
	checked := false
	for _, b := range l1Blocks {
		if b.Number == end {
			if !s.checkOrigin(b.Hash) {
				log.Warn("dropping span batch: L1 origin check mismatch", "origin", b.ID())
				return batchDrop, parent
			}
			checked = true
			break
		}
	}
	if !checked {
		return batchUndecided, parent
	}
	if start < parent.L1Origin.Number {
		log.Warn("dropping span batch: start epoch too old", "parent_origin", parent.L1Origin)
		return batchDrop, parent
	}
	return batchAccept, parent
}

// checkSpanHolocene applies the span batch rules of the Holocene batch
// stage: the prefix, then the blocks that overlap the safe chain, which must
// match it. The blocks past the safe head are checked later, one at a time,
// as singular batches.
//
// The Holocene spec lists only the prefix checks here and merely allows the
// overlap; op-node (v1.19, batches.go and batch_stage.go) also compares the
// overlapped blocks with the safe chain and drops the span, flushing its
// channel, when they differ. opal follows op-node.
func (c *checker) checkSpanHolocene(ctx context.Context, l1Blocks []eth.L1BlockRef, safe eth.L2BlockRef, s *spanBatch, inclusion eth.L1BlockRef) validity {
	v, parent := c.checkSpanPrefix(ctx, l1Blocks, safe, s, inclusion)
	if v != batchAccept {
		return v
	}
	if s.timestamp() < safe.Time+c.cfg.BlockTime {
		return c.checkOverlap(ctx, safe, parent, s)
	}
	return batchAccept
}

// checkSpan applies all span batch rules, as the pre-Holocene batch queue
// does: the prefix, then every block past the safe head (origin, drift and
// transaction rules), then the blocks that overlap the safe chain, which
// must match it.
func (c *checker) checkSpan(ctx context.Context, l1Blocks []eth.L1BlockRef, safe eth.L2BlockRef, s *spanBatch, inclusion eth.L1BlockRef) validity {
	v, parent := c.checkSpanPrefix(ctx, l1Blocks, safe, s, inclusion)
	if v != batchAccept {
		return v
	}
	log := c.log.With("span_time", s.timestamp(), "blocks", len(s.blocks))
	originIdx := 0
	advanced := s.startEpoch() == parent.L1Origin.Number+1
	for i, blk := range s.blocks {
		if blk.Timestamp <= safe.Time {
			continue
		}
		// Every block past the safe head needs its L1 origin among
		// l1Blocks, which start at the safe head's epoch or the one after;
		// otherwise the span is invalid (op-node drops it too, rather
		// than checking the block against a zero origin as it once did).
		if blk.EpochNum < safe.L1Origin.Number {
			log.Warn("dropping span batch: block epoch before the safe head's", "block", i, "epoch", blk.EpochNum)
			return batchDrop
		}
		var origin eth.L1BlockRef
		found := false
		for j := originIdx; j < len(l1Blocks); j++ {
			if l1Blocks[j].Number == blk.EpochNum {
				origin, originIdx, found = l1Blocks[j], j, true
				break
			}
		}
		if !found {
			log.Warn("dropping span batch: no known L1 block for a block's epoch", "block", i, "epoch", blk.EpochNum)
			return batchDrop
		}
		if i > 0 {
			advanced = blk.EpochNum > s.blocks[i-1].EpochNum
		}
		if blk.Timestamp < origin.Time {
			log.Warn("dropping span batch: block before its L1 origin", "block", i)
			return batchDrop
		}
		if blk.Timestamp > origin.Time+c.cfg.MaxDrift(origin.Time) {
			if len(blk.Transactions) > 0 {
				log.Warn("dropping span batch: block past the drift with transactions", "block", i)
				return batchDrop
			}
			if !advanced {
				if originIdx+1 >= len(l1Blocks) {
					return batchUndecided
				}
				if blk.Timestamp >= l1Blocks[originIdx+1].Time {
					log.Warn("dropping span batch: block past the drift while the next origin was available", "block", i)
					return batchDrop
				}
			}
		}
		if c.forkActivationWithTxs(blk.Timestamp, len(blk.Transactions)) {
			log.Warn("dropping span batch: fork activation block must be empty", "block", i)
			return batchDrop
		}
		if j, reason := c.badTx(blk.Timestamp, blk.Transactions, blk.Fault); reason != "" {
			log.Warn("dropping span batch: "+reason, "block", i, "tx", j)
			return batchDrop
		}
	}
	if s.timestamp() < safe.Time+c.cfg.BlockTime {
		return c.checkOverlap(ctx, safe, parent, s)
	}
	return batchAccept
}

// checkOverlap compares the span's blocks up to the safe head with the safe
// chain: same non-deposit transactions, same L1 origin.
func (c *checker) checkOverlap(ctx context.Context, safe, parent eth.L2BlockRef, s *spanBatch) validity {
	for i := uint64(0); i < safe.Number-parent.Number; i++ {
		if i >= uint64(len(s.blocks)) {
			break
		}
		ref, txs, err := c.l2.safeBlock(ctx, parent.Number+i+1)
		if err != nil {
			c.l2Err = err
			c.log.Warn("span batch undecided: cannot read an overlapped L2 block", "number", parent.Number+i+1, "err", err)
			return batchUndecided
		}
		deposits := 0
		for _, tx := range txs {
			if len(tx) > 0 && tx[0] == eth.DepositTxType {
				deposits++
			}
		}
		want := s.blocks[i].Transactions
		if len(txs)-deposits != len(want) {
			c.log.Warn("dropping span batch: overlapped block's tx count differs", "number", ref.Number)
			return batchDrop
		}
		for j := range want {
			if !bytes.Equal(txs[deposits+j], want[j]) {
				c.log.Warn("dropping span batch: overlapped block's tx differs", "number", ref.Number, "tx", j)
				return batchDrop
			}
		}
		if ref.L1Origin.Number != s.blocks[i].EpochNum {
			c.log.Warn("dropping span batch: overlapped block's L1 origin differs", "number", ref.Number)
			return batchDrop
		}
	}
	return batchAccept
}
