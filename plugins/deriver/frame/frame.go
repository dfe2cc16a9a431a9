// Package frame encodes and decodes channel frames, the unit in which batcher
// transactions carry channel data to L1.
//
// A frame is laid out big-endian as
//
//	channel_id (16) ++ frame_number (u16) ++ frame_data_length (u32) ++ frame_data ++ is_last (1)
//
// and batcher calldata (or a decoded blob) is a derivation version byte (0)
// followed by one or more frames. Both the derivation pipeline and the batcher
// use this package, so encoding is the exact inverse of decoding.
package frame

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

const (
	// FrameOverhead is the number of bytes a frame adds around its data:
	// 16 (channel id) + 2 (number) + 4 (length) + 1 (is_last).
	FrameOverhead = 23

	// MaxFrameDataLength bounds frame_data_length. Frames declaring more are
	// invalid, which keeps a single bad length from making a decoder allocate
	// or wait for gigabytes.
	MaxFrameDataLength = 1_000_000

	// DerivationVersion0 is the only derivation version byte defined for
	// calldata and blob payloads that hold frames.
	DerivationVersion0 = 0
)

var (
	// ErrNoFrames is returned for an empty frame stream: a batcher
	// transaction must carry at least one frame.
	ErrNoFrames = errors.New("no frames")
	// ErrTruncated is returned when the input ends inside a frame.
	ErrTruncated = errors.New("truncated frame")
	// ErrDataTooLarge is returned when frame_data_length exceeds MaxFrameDataLength.
	ErrDataTooLarge = errors.New("frame data length exceeds maximum")
	// ErrInvalidIsLast is returned when the is_last byte is neither 0 nor 1.
	ErrInvalidIsLast = errors.New("invalid is_last byte")
	// ErrEmptyBatcherData is returned for batcher data without a version byte.
	ErrEmptyBatcherData = errors.New("empty batcher data")
	// ErrUnknownVersion is returned for a derivation version other than 0.
	ErrUnknownVersion = errors.New("unknown derivation version")
)

// ChannelID identifies a channel; the batcher picks it at random.
type ChannelID [16]byte

// String returns the id as 0x-prefixed hex, the form logs and JSON use.
func (id ChannelID) String() string {
	return "0x" + hex.EncodeToString(id[:])
}

// Frame is one piece of a channel.
type Frame struct {
	ID     ChannelID
	Number uint16
	// Data is a chunk of the compressed channel. Frames produced by
	// ParseFrames alias the parsed input rather than copying it.
	Data   []byte
	IsLast bool
}

// Size is the number of bytes the frame occupies when encoded.
func (f Frame) Size() int {
	return FrameOverhead + len(f.Data)
}

// AppendTo appends the encoded frame to dst and returns the extended slice.
// It does not validate the data length; MarshalBinary does, for callers that
// do not control their input.
func (f Frame) AppendTo(dst []byte) []byte {
	dst = append(dst, f.ID[:]...)
	dst = binary.BigEndian.AppendUint16(dst, f.Number)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(f.Data)))
	dst = append(dst, f.Data...)
	if f.IsLast {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// MarshalBinary encodes the frame. It refuses frames that no decoder would
// accept, so a batcher cannot post data that derivation would drop.
func (f Frame) MarshalBinary() ([]byte, error) {
	if len(f.Data) > MaxFrameDataLength {
		return nil, fmt.Errorf("frame %s/%d: %w: %d > %d", f.ID, f.Number, ErrDataTooLarge, len(f.Data), MaxFrameDataLength)
	}
	return f.AppendTo(make([]byte, 0, f.Size())), nil
}

// UnmarshalBinary decodes exactly one frame; trailing bytes are an error.
func (f *Frame) UnmarshalBinary(data []byte) error {
	fr, n, err := ParseFrame(data)
	if err != nil {
		return err
	}
	if n != len(data) {
		return fmt.Errorf("%d trailing bytes after frame", len(data)-n)
	}
	*f = fr
	return nil
}

// ParseFrame decodes the frame at the start of data and returns it with the
// number of bytes it used. The frame's Data aliases data.
func ParseFrame(data []byte) (Frame, int, error) {
	const header = 16 + 2 + 4
	if len(data) < header {
		return Frame{}, 0, fmt.Errorf("%w: %d bytes left, header needs %d", ErrTruncated, len(data), header)
	}
	var f Frame
	copy(f.ID[:], data[:16])
	f.Number = binary.BigEndian.Uint16(data[16:18])
	length := binary.BigEndian.Uint32(data[18:22])
	if length > MaxFrameDataLength {
		return Frame{}, 0, fmt.Errorf("channel %s frame %d: %w: %d > %d", f.ID, f.Number, ErrDataTooLarge, length, MaxFrameDataLength)
	}
	end := header + int(length)
	if len(data) < end+1 {
		return Frame{}, 0, fmt.Errorf("channel %s frame %d: %w: declares %d data bytes, %d bytes left", f.ID, f.Number, ErrTruncated, length, len(data)-header)
	}
	// Full slice expression: appending to a frame's data must never
	// overwrite the is_last byte or the next frame in the caller's buffer.
	f.Data = data[header:end:end]
	switch data[end] {
	case 0:
	case 1:
		f.IsLast = true
	default:
		return Frame{}, 0, fmt.Errorf("channel %s frame %d: %w: %d", f.ID, f.Number, ErrInvalidIsLast, data[end])
	}
	return f, end + 1, nil
}

// ParseFrames decodes a stream of frames that must fill data exactly. Any
// error invalidates all frames in data, matching the rule that a batcher
// transaction with one bad frame is ignored as a whole.
func ParseFrames(data []byte) ([]Frame, error) {
	if len(data) == 0 {
		return nil, ErrNoFrames
	}
	var frames []Frame
	for off := 0; off < len(data); {
		f, n, err := ParseFrame(data[off:])
		if err != nil {
			return nil, fmt.Errorf("parsing frame %d at offset %d: %w", len(frames), off, err)
		}
		frames = append(frames, f)
		off += n
	}
	return frames, nil
}

// ParseBatcherData decodes the payload of a batcher transaction (calldata, or
// the bytes decoded from a blob): a derivation version byte then frames.
func ParseBatcherData(calldata []byte) ([]Frame, error) {
	if len(calldata) == 0 {
		return nil, ErrEmptyBatcherData
	}
	if v := calldata[0]; v != DerivationVersion0 {
		return nil, fmt.Errorf("%w: %d", ErrUnknownVersion, v)
	}
	frames, err := ParseFrames(calldata[1:])
	if err != nil {
		return nil, fmt.Errorf("batcher data: %w", err)
	}
	return frames, nil
}

// MarshalBatcherData encodes frames as batcher transaction payload: the
// derivation version byte followed by each frame.
func MarshalBatcherData(frames ...Frame) []byte {
	size := 1
	for _, f := range frames {
		size += f.Size()
	}
	out := make([]byte, 1, size)
	out[0] = DerivationVersion0
	for _, f := range frames {
		out = f.AppendTo(out)
	}
	return out
}
