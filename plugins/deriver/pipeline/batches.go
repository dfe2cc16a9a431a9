package pipeline

import (
	"bytes"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/deriver/batch"
)

// batchItem is one batch read from a channel: exactly one of single and
// span is set.
type batchItem struct {
	single *batch.Singular
	span   *spanBatch
}

func (b batchItem) timestamp() uint64 {
	if b.single != nil {
		return b.single.Timestamp
	}
	return b.span.timestamp()
}

// spanBatch is a span batch expanded into its blocks, with the two
// truncated hashes its prefix carries for checking it against L2 and L1.
type spanBatch struct {
	parentCheck [20]byte // the first block's parent hash, truncated
	originCheck [20]byte // the last block's L1 origin hash, truncated
	blocks      []batch.SpanElement
}

func newSpanBatch(s *batch.Span, blocks []batch.SpanElement) *spanBatch {
	return &spanBatch{parentCheck: s.ParentCheck, originCheck: s.L1OriginCheck, blocks: blocks}
}

func (s *spanBatch) timestamp() uint64    { return s.blocks[0].Timestamp }
func (s *spanBatch) endTimestamp() uint64 { return s.blocks[len(s.blocks)-1].Timestamp }
func (s *spanBatch) startEpoch() uint64   { return s.blocks[0].EpochNum }
func (s *spanBatch) endEpoch() uint64     { return s.blocks[len(s.blocks)-1].EpochNum }

func (s *spanBatch) checkParent(h common.Hash) bool { return bytes.Equal(s.parentCheck[:], h[:20]) }
func (s *spanBatch) checkOrigin(h common.Hash) bool { return bytes.Equal(s.originCheck[:], h[:20]) }
