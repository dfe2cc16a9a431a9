package pipeline

import (
	"context"
	"log/slog"

	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// dataSource is what the frame queue reads: batcher data (version byte and
// frames) in L1 order.
type dataSource interface {
	Origin() eth.L1BlockRef
	NextData(ctx context.Context) ([]byte, error)
}

// frameQueue splits batcher data into frames. A batcher transaction with
// one malformed frame contributes none. From Holocene (by the L1 origin
// time) the queue keeps only frames in order: see pruneFrames.
type frameQueue struct {
	cfg    *rollup.Config
	log    *slog.Logger
	prev   dataSource
	frames []frame.Frame
}

func (q *frameQueue) Origin() eth.L1BlockRef { return q.prev.Origin() }

func (q *frameQueue) reset() { q.frames = nil }

// NextFrame returns the next frame. It loads at most one batcher data item
// per call, returning errNotEnoughData when that item gave no frame.
func (q *frameQueue) NextFrame(ctx context.Context) (frame.Frame, error) {
	if len(q.frames) == 0 {
		data, err := q.prev.NextData(ctx)
		if err != nil {
			return frame.Frame{}, err
		}
		frames, err := frame.ParseBatcherData(data)
		if err != nil {
			q.log.Warn("dropping batcher data with malformed frames", "origin", q.Origin(), "err", err)
			return frame.Frame{}, errNotEnoughData
		}
		q.frames = append(q.frames, frames...)
		if q.cfg.IsHolocene(q.Origin().Time) {
			q.frames = pruneFrames(q.frames)
		}
		if len(q.frames) == 0 {
			return frame.Frame{}, errNotEnoughData
		}
	}
	f := q.frames[0]
	q.frames[0] = frame.Frame{}
	q.frames = q.frames[1:]
	return f, nil
}

// pruneFrames applies the Holocene frame queue rules to the queued frames,
// in place: within one channel frames must be consecutive and nothing may
// follow the closing frame; a frame of another channel must be a first frame
// (number 0), and a first frame drops the queued frames of a previous
// channel that was left unclosed.
//
// Frames already handed to the next stage are not revisited; the channel
// assembler checks order again for them.
func pruneFrames(frames []frame.Frame) []frame.Frame {
	for i := 0; i+1 < len(frames); {
		cur, next := frames[i], frames[i+1]
		switch {
		case cur.ID == next.ID && (cur.IsLast || next.Number != cur.Number+1):
			frames = remove(frames, i+1)
		case cur.ID != next.ID && next.Number == 0 && !cur.IsLast:
			// The new channel invalidates the unclosed one: drop cur, then
			// step back to check the frame before it against next too.
			frames = remove(frames, i)
			if i > 0 {
				i--
			}
		case cur.ID != next.ID && next.Number != 0:
			frames = remove(frames, i+1)
		default:
			i++
		}
	}
	return frames
}

func remove(frames []frame.Frame, i int) []frame.Frame {
	copy(frames[i:], frames[i+1:])
	frames[len(frames)-1] = frame.Frame{}
	return frames[:len(frames)-1]
}
