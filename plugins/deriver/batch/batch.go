// Package batch encodes and decodes the batches carried in channels: singular
// batches (one L2 block each, Bedrock) and span batches (a run of consecutive
// L2 blocks in a column-oriented layout, Delta).
//
// Each batch in a channel is `batch_type ++ content`. Decoding is split the
// way op-node splits it: Decode checks the structure of a batch, and
// Span.Derive rebuilds the per-block data (timestamps, epochs, fully signed
// transactions), which needs chain parameters. Both steps return errors for
// any malformed input; neither panics.
package batch

import (
	"encoding"
	"errors"
	"fmt"
)

// Batch types, the first byte of every batch.
const (
	SingularType byte = 0
	SpanType     byte = 1
	// SpanV2Type is reserved for span batches with fee recipients; no fork
	// activates it, so it is rejected like any unknown type.
	SpanV2Type byte = 2
)

var (
	// ErrEmptyBatch is returned for a batch without a type byte.
	ErrEmptyBatch = errors.New("empty batch")
	// ErrUnknownType is returned for batch types other than 0 and 1.
	ErrUnknownType = errors.New("unknown batch type")
)

// Batch is a decoded singular (*Singular) or span (*Span) batch.
// MarshalBinary returns the typed encoding, `batch_type ++ content`, which is
// what a channel carries as an RLP byte string.
type Batch interface {
	Type() byte
	encoding.BinaryMarshaler
}

// Decode decodes a typed batch as read from a channel. A singular batch does
// not alias data; a span batch's tx datas do (see Span.UnmarshalBinary).
func Decode(data []byte) (Batch, error) {
	if len(data) == 0 {
		return nil, ErrEmptyBatch
	}
	switch data[0] {
	case SingularType:
		b := new(Singular)
		if err := b.UnmarshalBinary(data); err != nil {
			return nil, err
		}
		return b, nil
	case SpanType:
		b := new(Span)
		if err := b.UnmarshalBinary(data); err != nil {
			return nil, err
		}
		return b, nil
	default:
		return nil, fmt.Errorf("%w: %d", ErrUnknownType, data[0])
	}
}
