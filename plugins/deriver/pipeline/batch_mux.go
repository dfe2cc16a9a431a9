package pipeline

import (
	"context"
	"slices"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/sdk/eth"
)

// batchProvider hands out the batch of the block after a parent.
type batchProvider interface {
	Origin() eth.L1BlockRef
	NextBatch(ctx context.Context, parent eth.L2BlockRef) (*batch.Singular, bool, error)
	resetTo(base eth.L1BlockRef)
	flush()
}

// batchMux picks the batch stage of the fork: the batch queue before
// Holocene, the batch stage from it (by L1 origin time).
type batchMux struct {
	base batchBase // configuration shared by both variants
	batchProvider
}

func (m *batchMux) resetTo(base eth.L1BlockRef) {
	if m.base.cfg.IsHolocene(base.Time) {
		m.batchProvider = &batchStage{batchBase: m.fresh()}
	} else {
		m.batchProvider = &batchQueue{batchBase: m.fresh()}
	}
	m.batchProvider.resetTo(base)
}

func (m *batchMux) fresh() batchBase {
	return batchBase{cfg: m.base.cfg, log: m.base.log, prev: m.base.prev, check: m.base.check}
}

// activateHolocene replaces the batch queue with the batch stage. Buffered
// batches and a span in progress are dropped, but the L1 blocks are kept:
// the first Holocene channel may hold batches for blocks whose origins were
// read before Holocene.
func (m *batchMux) activateHolocene() {
	q, ok := m.batchProvider.(*batchQueue)
	if !ok {
		return
	}
	s := &batchStage{batchBase: m.fresh()}
	s.origin = q.origin
	s.l1Blocks = slices.Clone(q.l1Blocks)
	m.batchProvider = s
}
