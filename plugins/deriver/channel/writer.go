package channel

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"

	"github.com/andybalholm/brotli"

	"github.com/opalnode/opal/plugins/deriver/frame"
)

const (
	// DefaultZlibLevel matches op-batcher's zlib channels (best compression).
	DefaultZlibLevel = zlib.BestCompression
	// DefaultBrotliQuality matches op-batcher's "brotli-10" setting, its
	// default brotli algorithm.
	DefaultBrotliQuality = 10
)

// ErrWriterClosed is returned when writing to a closed Writer.
var ErrWriterClosed = errors.New("channel writer closed")

// compressor is what zlib.Writer and brotli.Writer have in common.
type compressor interface {
	Write(p []byte) (int, error)
	Flush() error
	Close() error
}

// Writer builds a compressed channel for the batcher: each batch (already
// typed, i.e. batch type byte ++ content) is written as an RLP byte string
// into the compressed stream, the exact inverse of Reader.
type Writer struct {
	algo       Algo
	buf        bytes.Buffer
	comp       compressor
	inputBytes uint64
	closed     bool
	hdr        [9]byte
}

// NewWriter returns a Writer with op-batcher's default settings for algo.
func NewWriter(algo Algo) (*Writer, error) {
	switch algo {
	case Zlib:
		return NewZlibWriter(DefaultZlibLevel)
	case Brotli:
		return NewBrotliWriter(DefaultBrotliQuality)
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnknownCompression, algo)
	}
}

// NewZlibWriter returns a zlib channel Writer with the given compress/zlib level.
func NewZlibWriter(level int) (*Writer, error) {
	w := &Writer{algo: Zlib}
	zw, err := zlib.NewWriterLevel(&w.buf, level)
	if err != nil {
		return nil, fmt.Errorf("creating zlib channel writer: %w", err)
	}
	w.comp = zw
	return w, nil
}

// NewBrotliWriter returns a brotli channel Writer with the given quality
// (0..11). The channel starts with the brotli version byte.
func NewBrotliWriter(quality int) (*Writer, error) {
	if quality < brotli.BestSpeed || quality > brotli.BestCompression {
		return nil, fmt.Errorf("brotli quality %d outside [%d, %d]", quality, brotli.BestSpeed, brotli.BestCompression)
	}
	w := &Writer{algo: Brotli}
	w.buf.WriteByte(VersionBrotli)
	w.comp = brotli.NewWriterLevel(&w.buf, quality)
	return w, nil
}

// Algo returns the compression the Writer produces.
func (w *Writer) Algo() Algo { return w.algo }

// WriteBatch appends one typed batch to the channel.
func (w *Writer) WriteBatch(batch []byte) error {
	if w.closed {
		return ErrWriterClosed
	}
	hdr := appendStringHeader(w.hdr[:0], batch)
	if _, err := w.comp.Write(hdr); err != nil {
		return fmt.Errorf("compressing batch header: %w", err)
	}
	if _, err := w.comp.Write(batch); err != nil {
		return fmt.Errorf("compressing batch: %w", err)
	}
	w.inputBytes += uint64(len(hdr) + len(batch))
	return nil
}

// InputBytes is the uncompressed size written so far. A batcher compares it
// with the max RLP bytes per channel, since derivation clips channels there.
func (w *Writer) InputBytes() uint64 { return w.inputBytes }

// Flush pushes buffered input to the output so Len reflects every batch
// written; it costs some compression, so batchers use it sparingly.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrWriterClosed
	}
	return w.comp.Flush()
}

// Close ends the compressed stream. Bytes then returns the complete channel.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.comp.Close(); err != nil {
		return fmt.Errorf("closing %s channel: %w", w.algo, err)
	}
	return nil
}

// Len is the compressed size produced so far.
func (w *Writer) Len() int { return w.buf.Len() }

// Bytes returns the compressed output so far; after Close, the channel. The
// slice aliases the Writer's buffer.
func (w *Writer) Bytes() []byte { return w.buf.Bytes() }

// Compress builds a complete channel from typed batches.
func Compress(algo Algo, batches ...[]byte) ([]byte, error) {
	w, err := NewWriter(algo)
	if err != nil {
		return nil, err
	}
	for i, b := range batches {
		if err := w.WriteBatch(b); err != nil {
			return nil, fmt.Errorf("batch %d: %w", i, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return w.Bytes(), nil
}

// SplitFrames cuts a compressed channel into frames whose encoded size is at
// most maxFrameSize (frame overhead included), numbered from 0, the last one
// marked IsLast. An empty channel becomes one empty closing frame, as with
// op-batcher. Frame data aliases compressed.
func SplitFrames(id frame.ChannelID, compressed []byte, maxFrameSize int) ([]frame.Frame, error) {
	if maxFrameSize <= frame.FrameOverhead {
		return nil, fmt.Errorf("max frame size %d leaves no room for data (overhead %d)", maxFrameSize, frame.FrameOverhead)
	}
	chunk := min(maxFrameSize-frame.FrameOverhead, frame.MaxFrameDataLength)
	count := max((len(compressed)+chunk-1)/chunk, 1)
	if count > 1<<16 {
		return nil, fmt.Errorf("channel of %d bytes needs %d frames of %d data bytes, more than frame numbers allow", len(compressed), count, chunk)
	}
	frames := make([]frame.Frame, count)
	for i := range frames {
		start := i * chunk
		end := min(start+chunk, len(compressed))
		frames[i] = frame.Frame{ID: id, Number: uint16(i), Data: compressed[start:end:end]}
	}
	frames[count-1].IsLast = true
	return frames, nil
}

// appendStringHeader appends the RLP header for byte string s: nothing for a
// single byte below 0x80 (it encodes itself), else 0x80+len for up to 55
// bytes, else 0xB7+len(len) followed by the big-endian length.
func appendStringHeader(dst, s []byte) []byte {
	n := len(s)
	switch {
	case n == 1 && s[0] < 0x80:
		return dst
	case n < 56:
		return append(dst, 0x80+byte(n))
	default:
		var be [8]byte
		i := len(be)
		for v := uint64(n); v > 0; v >>= 8 {
			i--
			be[i] = byte(v)
		}
		dst = append(dst, 0xB7+byte(len(be)-i))
		return append(dst, be[i:]...)
	}
}
