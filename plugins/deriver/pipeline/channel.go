package pipeline

import (
	"errors"
	"fmt"

	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// channelFrameOverhead is what each frame adds to a channel's size for the
// channel bank limit and the Holocene size check.
const channelFrameOverhead = rollup.ChannelBankFrameOverhead

var (
	errDuplicateFrame = errors.New("duplicate frame")
	errClosedChannel  = errors.New("channel already closed")
)

// chanState collects the frames of one channel until they form the complete
// compressed channel: closed (its last frame seen) with every frame from 0
// to the last.
type chanState struct {
	id        frame.ChannelID
	openBlock eth.L1BlockRef
	inOrder   bool // Holocene: frames must arrive as 0, 1, 2, ...

	frames  map[uint16]frame.Frame
	size    uint64
	closed  bool
	last    uint16 // number of the closing frame, when closed
	highest uint16 // highest frame number held
}

func newChannel(id frame.ChannelID, openBlock eth.L1BlockRef, inOrder bool) *chanState {
	return &chanState{id: id, openBlock: openBlock, inOrder: inOrder, frames: make(map[uint16]frame.Frame)}
}

func frameSize(f frame.Frame) uint64 { return uint64(len(f.Data)) + channelFrameOverhead }

// addFrame adds f or returns why it is dropped: a second closing frame, a
// duplicate number, a number at or past the closing frame, or (in order
// mode) any number but the next one.
func (c *chanState) addFrame(f frame.Frame) error {
	if f.ID != c.id {
		return fmt.Errorf("frame of channel %s added to channel %s", f.ID, c.id)
	}
	if f.IsLast && c.closed {
		return errClosedChannel
	}
	if _, ok := c.frames[f.Number]; ok {
		return errDuplicateFrame
	}
	if c.closed && f.Number >= c.last {
		return fmt.Errorf("frame %d at or after the closing frame %d", f.Number, c.last)
	}
	if c.inOrder && int(f.Number) != len(c.frames) {
		return fmt.Errorf("frame %d out of order, want %d", f.Number, len(c.frames))
	}
	if f.IsLast {
		c.last, c.closed = f.Number, true
		if c.last < c.highest {
			// A closing frame drops the frames numbered after it. The size
			// accounting follows op-node's exactly, which subtracts every
			// held frame here (not only the dropped ones), because the
			// channel bank's pruning depends on it.
			for n, held := range c.frames {
				if n >= c.last {
					delete(c.frames, n)
				}
				c.size -= frameSize(held)
			}
			c.highest = c.last
		}
	}
	if f.Number > c.highest {
		c.highest = f.Number
	}
	c.frames[f.Number] = f
	c.size += frameSize(f)
	return nil
}

// ready reports whether the channel is closed and holds every frame.
func (c *chanState) ready() bool {
	if !c.closed || len(c.frames) != int(c.last)+1 {
		return false
	}
	for n := 0; n <= int(c.last); n++ {
		if _, ok := c.frames[uint16(n)]; !ok {
			return false
		}
	}
	return true
}

// data concatenates the frames of a ready channel.
func (c *chanState) data() []byte {
	var n int
	for i := 0; i <= int(c.last); i++ {
		n += len(c.frames[uint16(i)].Data)
	}
	out := make([]byte, 0, n)
	for i := 0; i <= int(c.last); i++ {
		out = append(out, c.frames[uint16(i)].Data...)
	}
	return out
}

// timedOut reports whether the channel opened more than the channel timeout
// (at the time of origin) before origin.
func (c *chanState) timedOut(cfg *rollup.Config, origin eth.L1BlockRef) bool {
	return c.openBlock.Number+cfg.ChannelTimeoutAt(origin.Time) < origin.Number
}
