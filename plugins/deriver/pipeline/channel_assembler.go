package pipeline

import (
	"context"
	"log/slog"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// channelAssembler is the Holocene channel stage: one channel at a time,
// frames strictly in order. A first frame (number 0) starts a new channel
// and discards the one being assembled; a channel that times out is
// dropped (and so is its next frame, which then has no channel); a channel
// whose compressed size passes the channel's RLP byte limit is dropped.
type channelAssembler struct {
	cfg  *rollup.Config
	log  *slog.Logger
	prev frameSource

	ch *chanState
}

func (a *channelAssembler) Origin() eth.L1BlockRef { return a.prev.Origin() }

func (a *channelAssembler) reset() { a.ch = nil }

// flush drops the channel being assembled (fast channel invalidation).
func (a *channelAssembler) flush() { a.ch = nil }

// NextData ingests frames until a channel is complete or the frame source
// runs out. The work per call is bounded by the frames of one batcher
// transaction, which the frame queue loads one at a time.
func (a *channelAssembler) NextData(ctx context.Context) ([]byte, error) {
	origin := a.Origin()
	if a.ch != nil && a.ch.timedOut(a.cfg, origin) {
		a.log.Warn("dropping timed-out channel", "channel", a.ch.id, "origin", origin)
		a.ch = nil
	}
	for {
		f, err := a.prev.NextFrame(ctx)
		if err != nil {
			return nil, err
		}
		if f.Number == 0 {
			if a.ch != nil {
				a.log.Warn("dropping unfinished channel for a new one", "channel", a.ch.id, "new", f.ID)
			}
			a.ch = newChannel(f.ID, origin, true)
		}
		if a.ch == nil {
			a.log.Warn("dropping frame without a channel", "channel", f.ID, "frame", f.Number)
			continue
		}
		if err := a.ch.addFrame(f); err != nil {
			a.log.Warn("dropping frame", "channel", f.ID, "frame", f.Number, "err", err)
			continue
		}
		if a.ch.size > a.cfg.MaxRLPBytesPerChannel(origin.Time) {
			a.log.Warn("dropping oversized channel", "channel", a.ch.id, "frame", f.Number)
			a.ch = nil
			continue
		}
		if f.IsLast {
			ch := a.ch
			a.ch = nil
			return ch.data(), nil
		}
	}
}
