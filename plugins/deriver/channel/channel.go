// Package channel compresses and decompresses channels: the byte stream that
// a batcher splits into frames and that derivation reassembles from them.
//
// A channel is a compressed sequence of RLP byte strings, each holding one
// batch (batch type byte followed by the batch content). The compression is
// told apart by the first byte of the channel:
//
//   - zlib (RFC 1950) when first_byte & 0x0F is 8 or 15, the two values a
//     zlib CMF byte can take for deflate; used since Bedrock;
//   - otherwise a channel version byte, where only 0x01 is defined: brotli
//     (RFC 7932) without a dictionary, valid from Fjord on.
package channel

import (
	"errors"
	"fmt"
)

// Algo names a channel compression algorithm.
type Algo uint8

const (
	// Zlib is the legacy compression, detected from the zlib header itself.
	Zlib Algo = iota + 1
	// Brotli is channel version 1: a 0x01 byte followed by a brotli stream.
	Brotli
)

// String returns the name op-batcher uses for the algorithm.
func (a Algo) String() string {
	switch a {
	case Zlib:
		return "zlib"
	case Brotli:
		return "brotli"
	default:
		return fmt.Sprintf("algo(%d)", uint8(a))
	}
}

const (
	// VersionBrotli is the channel version byte that introduces a brotli stream.
	VersionBrotli byte = 0x01

	// zlibCM8 and zlibCM15 are the low nibbles of a zlib CMF byte that
	// identify deflate (CM=8) and the reserved CM=15.
	zlibCM8  = 8
	zlibCM15 = 15

	// MaxRLPBytesPerChannelBedrock and MaxRLPBytesPerChannelFjord are the
	// protocol limits on decompressed channel size before and after Fjord.
	MaxRLPBytesPerChannelBedrock = 10_000_000
	MaxRLPBytesPerChannelFjord   = 100_000_000
)

var (
	// ErrEmptyChannel is returned for channel data without a single byte.
	ErrEmptyChannel = errors.New("empty channel data")
	// ErrBrotliBeforeFjord is returned for a brotli channel read with Fjord inactive.
	ErrBrotliBeforeFjord = errors.New("brotli channel before Fjord")
	// ErrUnknownCompression is returned when the first byte names no known algorithm.
	ErrUnknownCompression = errors.New("unknown channel compression")
)

// Detect returns the compression algorithm of a channel from its first byte.
// fjord reports whether Fjord is active; before it, only zlib is valid and a
// brotli version byte is an error, not a fallback.
func Detect(data []byte, fjord bool) (Algo, error) {
	if len(data) == 0 {
		return 0, ErrEmptyChannel
	}
	b := data[0]
	switch {
	case b&0x0F == zlibCM8 || b&0x0F == zlibCM15:
		return Zlib, nil
	case b == VersionBrotli:
		if !fjord {
			return 0, ErrBrotliBeforeFjord
		}
		return Brotli, nil
	default:
		return 0, fmt.Errorf("%w: first byte 0x%02x", ErrUnknownCompression, b)
	}
}
