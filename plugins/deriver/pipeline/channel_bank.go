package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// frameSource is what the channel stages read: frames in L1 order.
type frameSource interface {
	Origin() eth.L1BlockRef
	NextFrame(ctx context.Context) (frame.Frame, error)
}

// channelBank is the pre-Holocene channel stage. It holds any number of
// channels in the order they were opened, accepts their frames in any order,
// drops channels that time out, and prunes the oldest channels while the
// bank is over its size limit.
//
// Before Canyon only the oldest channel may be read, so one stuck channel
// holds back every later one until it times out. From Canyon (by the L1
// origin time) the first ready channel in opening order is read.
type channelBank struct {
	cfg  *rollup.Config
	log  *slog.Logger
	prev frameSource

	channels map[frame.ChannelID]*chanState
	queue    []frame.ChannelID // opening order
}

func (b *channelBank) Origin() eth.L1BlockRef { return b.prev.Origin() }

func (b *channelBank) reset() {
	b.channels = make(map[frame.ChannelID]*chanState)
	b.queue = nil
}

// flush is a no-op: only the Holocene batch stage flushes channels.
func (b *channelBank) flush() {}

// NextData returns the data of the next ready channel. It reads before it
// ingests, so pruning happens at the same points as in op-node; each call
// either returns a channel, drops a timed-out one, or ingests one frame.
func (b *channelBank) NextData(ctx context.Context) ([]byte, error) {
	data, err := b.read()
	if err == nil {
		return data, nil
	}
	if !errors.Is(err, io.EOF) {
		return nil, err
	}
	f, err := b.prev.NextFrame(ctx)
	if err != nil {
		return nil, err
	}
	b.ingest(f)
	return nil, errNotEnoughData
}

func (b *channelBank) ingest(f frame.Frame) {
	origin := b.Origin()
	ch, ok := b.channels[f.ID]
	if !ok {
		ch = newChannel(f.ID, origin, false)
		b.channels[f.ID] = ch
		b.queue = append(b.queue, f.ID)
	}
	if ch.timedOut(b.cfg, origin) {
		b.log.Warn("dropping frame of timed-out channel", "channel", f.ID, "frame", f.Number, "origin", origin)
		return
	}
	if err := ch.addFrame(f); err != nil {
		b.log.Warn("dropping frame", "channel", f.ID, "frame", f.Number, "err", err)
		return
	}
	b.prune(origin)
}

// prune drops the oldest channels while the bank is over its size limit.
func (b *channelBank) prune(origin eth.L1BlockRef) {
	var total uint64
	for _, ch := range b.channels {
		total += ch.size
	}
	limit := b.cfg.MaxChannelBankSize(origin.Time)
	for total > limit && len(b.queue) > 0 {
		id := b.queue[0]
		b.queue = b.queue[1:]
		total -= b.channels[id].size
		delete(b.channels, id)
		b.log.Warn("pruned channel: channel bank over size", "channel", id)
	}
}

// read returns the next readable channel's data, or io.EOF. A timed-out
// oldest channel is dropped first (one per call, reported as
// errNotEnoughData), whatever the fork.
func (b *channelBank) read() ([]byte, error) {
	if len(b.queue) == 0 {
		return nil, io.EOF
	}
	origin := b.Origin()
	if first := b.channels[b.queue[0]]; first.timedOut(b.cfg, origin) {
		b.log.Warn("dropping timed-out channel", "channel", first.id, "origin", origin)
		delete(b.channels, first.id)
		b.queue = b.queue[1:]
		return nil, errNotEnoughData
	}
	n := 1
	if b.cfg.IsCanyon(origin.Time) {
		n = len(b.queue)
	}
	for i := 0; i < n; i++ {
		ch := b.channels[b.queue[i]]
		if ch.timedOut(b.cfg, origin) || !ch.ready() {
			continue
		}
		delete(b.channels, ch.id)
		b.queue = append(b.queue[:i], b.queue[i+1:]...)
		return ch.data(), nil
	}
	return nil, io.EOF
}
