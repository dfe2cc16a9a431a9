package pipeline

import (
	"context"
	"log/slog"

	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/sysconfig"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Result is the attributes of one derived block with their context.
type Result struct {
	Attributes *eth.PayloadAttributes
	// Parent is the block the attributes build on.
	Parent eth.L2BlockRef
	// DerivedFrom is the L1 block whose data completed the batch.
	DerivedFrom eth.L1BlockRef
	// IsLastInSpan marks the last block of a batch: after it the safe head
	// may be promoted (always set from Holocene on).
	IsLastInSpan bool
	// Next is the system config in effect after the block.
	Next eth.SystemConfig
	// L1Origin and SequenceNumber are the block's, from its L1-info
	// deposit.
	L1Origin       eth.BlockID
	SequenceNumber uint64
}

// batchSourceForAttrs is what the attributes queue reads: the batch of the
// block after a parent.
type batchSourceForAttrs interface {
	Origin() eth.L1BlockRef
	NextBatch(ctx context.Context, parent eth.L2BlockRef) (*batch.Singular, bool, error)
}

// attributesQueue turns the next batch into payload attributes: the
// deposits-only attributes of BuildAttributes with the batch's transactions
// appended.
type attributesQueue struct {
	cfg    *rollup.Config
	l1     *params.ChainConfig
	log    *slog.Logger
	prev   batchSourceForAttrs
	epochs *epochStore
	chain  *chainRecord

	batch *batch.Singular
	last  bool
	// offline: parent hashes are stand-ins, not checked (see checker).
	offline bool
}

func (q *attributesQueue) reset() { q.batch, q.last = nil, false }

func (q *attributesQueue) next(ctx context.Context, parent eth.L2BlockRef) (*Result, error) {
	if q.batch == nil {
		b, last, err := q.prev.NextBatch(ctx, parent)
		if err != nil {
			return nil, err
		}
		q.batch, q.last = b, last
	}
	b := q.batch
	if b.ParentHash != parent.Hash && !q.offline {
		q.reset()
		return nil, resetErr("valid batch has parent %s, the safe head is %s", b.ParentHash, parent.ID())
	}
	if want := parent.Time + q.cfg.BlockTime; b.Timestamp != want {
		q.reset()
		return nil, resetErr("valid batch has timestamp %d, want %d", b.Timestamp, want)
	}
	origin := q.epochs.get(eth.BlockID{Hash: b.EpochHash, Number: b.EpochNum})
	if origin == nil {
		q.reset()
		return nil, resetErr("L1 origin %d (%s) of the next block was not fed: reset with an L1 start at or before the safe head's L1 origin", b.EpochNum, b.EpochHash.TerminalString())
	}
	parentCfg, err := q.parentConfig(ctx, parent)
	if err != nil {
		return nil, err
	}
	built, err := BuildAttributes(q.cfg, q.l1, AttributesInput{Parent: parent, ParentConfig: parentCfg, Origin: origin, Timestamp: b.Timestamp})
	if err != nil {
		return nil, err
	}
	attrs := built.Attributes
	attrs.Transactions = append(attrs.Transactions, b.Transactions...)
	res := &Result{Attributes: attrs, Parent: parent, DerivedFrom: q.prev.Origin(), IsLastInSpan: q.last, Next: built.Next,
		L1Origin: built.L1Origin, SequenceNumber: built.SequenceNumber}
	q.reset()
	return res, nil
}

// parentConfig is the system config in effect after parent. For a parent
// this pipeline neither derived nor reset to, and no safe chain to ask (an
// offline A/B shadow stepped on the primary's chain), it follows from the
// parent's own parent: the same config within an epoch, updated by the
// origin's receipts at an epoch's first block, as BuildAttributes does.
func (q *attributesQueue) parentConfig(ctx context.Context, parent eth.L2BlockRef) (eth.SystemConfig, error) {
	if q.chain.safe != nil || parent.Number == 0 {
		return q.chain.configOf(ctx, parent)
	}
	if sc, ok := q.chain.configs[parent.Hash]; ok {
		return sc, nil
	}
	below, ok := q.chain.refs[parent.Number-1]
	if !ok || below.Hash != parent.ParentHash || parent.L1Origin == (eth.BlockID{}) {
		return q.chain.configOf(ctx, parent)
	}
	sc, ok := q.chain.configs[below.Hash]
	if !ok {
		return q.chain.configOf(ctx, parent)
	}
	if parent.L1Origin.Number != below.L1Origin.Number {
		origin := q.epochs.get(parent.L1Origin)
		if origin == nil {
			return eth.SystemConfig{}, resetErr("system config of L2 block %s: its L1 origin %s was not fed", parent.ID(), parent.L1Origin)
		}
		// Malformed updates are skipped, as BuildAttributes skips them
		// (the traversal warned when it read this block).
		_ = sysconfig.ApplyReceipts(&sc, origin.Receipts, q.cfg.L1SystemConfigAddress, q.cfg, origin.Header.Time)
	}
	q.chain.configs[parent.Hash] = sc
	return sc, nil
}
