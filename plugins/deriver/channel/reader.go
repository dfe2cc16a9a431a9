package channel

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/ethereum/go-ethereum/rlp"
)

// Reader yields the batches of one ready channel, decompressing lazily so that
// a channel is only inflated as far as its batches are consumed.
//
// Decompressed output is clipped at the maxRLPBytes limit given to NewReader:
// batches that lie entirely within the limit are returned; reading ends with
// io.EOF when the limit falls exactly between batches, and with an error when
// it cuts one. Any error other than io.EOF means the channel is corrupt from
// that point; the caller should drop the rest of the channel. Errors are
// sticky: once Next fails it keeps returning the same error.
type Reader struct {
	algo   Algo
	stream *rlp.Stream
	err    error
}

// NewReader prepares to read the batches of a channel. data is the
// concatenated frame data of the channel; fjord enables brotli channels.
// maxRLPBytes must be positive: it is MaxRLPBytesPerChannelBedrock or
// MaxRLPBytesPerChannelFjord depending on the L1 origin time.
func NewReader(data []byte, maxRLPBytes uint64, fjord bool) (*Reader, error) {
	if maxRLPBytes == 0 {
		// rlp.Stream reads a zero limit as "unlimited", the opposite of what
		// a zero limit should mean here.
		return nil, errors.New("channel reader: max RLP bytes must be positive")
	}
	algo, err := Detect(data, fjord)
	if err != nil {
		return nil, err
	}
	var src io.Reader
	switch algo {
	case Zlib:
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("opening zlib channel: %w", err)
		}
		src = zr
	case Brotli:
		src = brotli.NewReader(bytes.NewReader(data[1:]))
	}
	return &Reader{
		algo: algo,
		// The stream enforces the clip: a top-level value that would cross
		// the limit fails with rlp.ErrValueTooLarge, and reaching the limit
		// exactly reads as io.EOF.
		stream: rlp.NewStream(src, maxRLPBytes),
	}, nil
}

// Algo returns the compression of the channel.
func (r *Reader) Algo() Algo { return r.algo }

// Next returns the next batch: an RLP byte string's content, which is the
// batch type byte followed by the batch. It returns io.EOF at the clean end
// of the channel. The returned slice is owned by the caller.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	b, err := r.stream.Bytes()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			err = fmt.Errorf("reading batch from %s channel: %w", r.algo, err)
		}
		r.err = err
		return nil, err
	}
	return b, nil
}

// ReadAll returns every batch of a channel. On an error it also returns the
// batches read before it, which derivation keeps.
func ReadAll(data []byte, maxRLPBytes uint64, fjord bool) ([][]byte, error) {
	r, err := NewReader(data, maxRLPBytes, fjord)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, b)
	}
}
