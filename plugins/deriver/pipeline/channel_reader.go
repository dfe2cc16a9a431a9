package pipeline

import (
	"context"
	"log/slog"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// rawChannelSource is what the channel reader reads: complete channels.
type rawChannelSource interface {
	Origin() eth.L1BlockRef
	NextData(ctx context.Context) ([]byte, error)
	flush()
}

// channelReader decompresses channels and decodes their batches, one batch
// per call. The compression (zlib, or brotli from Fjord) and the clip on the
// decompressed size are those of the L1 origin when the channel is opened.
// A batch that fails to decode ends its channel; a span batch read before
// Delta (by L1 origin time) or whose blocks cannot be derived is dropped and
// the channel goes on.
type channelReader struct {
	cfg  *rollup.Config
	log  *slog.Logger
	prev rawChannelSource

	r *channel.Reader
}

func (c *channelReader) Origin() eth.L1BlockRef { return c.prev.Origin() }

func (c *channelReader) reset() { c.r = nil }

// flush drops the rest of the current channel and the channel being
// assembled before it (Holocene fast channel invalidation).
func (c *channelReader) flush() {
	c.r = nil
	c.prev.flush()
}

// NextBatch returns the next batch, io.EOF when no channel is left, or
// errNotEnoughData after opening or finishing a channel or dropping a batch.
func (c *channelReader) NextBatch(ctx context.Context) (batchItem, error) {
	origin := c.Origin()
	if c.r == nil {
		data, err := c.prev.NextData(ctx)
		if err != nil {
			return batchItem{}, err
		}
		r, err := channel.NewReader(data, c.cfg.MaxRLPBytesPerChannel(origin.Time), c.cfg.IsFjord(origin.Time))
		if err != nil {
			c.log.Warn("dropping channel", "origin", origin, "err", err)
			return batchItem{}, errNotEnoughData
		}
		c.r = r
	}
	raw, err := c.r.Next()
	if err != nil {
		// io.EOF is the clean end of the channel; anything else (a cut
		// at the size clip, corrupt compression) drops the rest of it.
		c.r = nil
		c.log.Debug("channel done", "origin", origin, "err", err)
		return batchItem{}, errNotEnoughData
	}
	b, err := batch.Decode(raw)
	if err != nil {
		c.log.Warn("dropping rest of channel: undecodable batch", "origin", origin, "err", err)
		c.r = nil
		return batchItem{}, errNotEnoughData
	}
	switch b := b.(type) {
	case *batch.Singular:
		return batchItem{single: b}, nil
	case *batch.Span:
		if !c.cfg.IsDelta(origin.Time) {
			c.log.Warn("dropping span batch read before Delta", "origin", origin)
			return batchItem{}, errNotEnoughData
		}
		blocks, err := b.Derive(c.cfg.Genesis.L2Time, c.cfg.BlockTime, c.cfg.L2ChainID)
		if err != nil || len(blocks) == 0 {
			c.log.Warn("dropping span batch", "origin", origin, "err", err)
			return batchItem{}, errNotEnoughData
		}
		return batchItem{span: newSpanBatch(b, blocks)}, nil
	default:
		return batchItem{}, errNotEnoughData
	}
}
