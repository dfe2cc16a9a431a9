package batch

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// Singular is a batch for one L2 block:
// `0x00 ++ rlp([parent_hash, epoch_num, epoch_hash, timestamp, [tx, ...]])`.
type Singular struct {
	ParentHash common.Hash
	EpochNum   uint64 // L1 origin number
	EpochHash  common.Hash
	Timestamp  uint64
	// Transactions are opaque EIP-2718 encodings; validity is checked by the
	// batch queue, not by decoding.
	Transactions [][]byte
	// Fault is the span batch fault of this block's transactions, for a
	// block taken from a span (never encoded; see TxFault).
	Fault *TxFault `rlp:"-"`
}

// Type returns SingularType.
func (*Singular) Type() byte { return SingularType }

// MarshalBinary returns `0x00 ++ rlp(batch)`.
func (b *Singular) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte(SingularType)
	if err := rlp.Encode(&buf, b); err != nil {
		return nil, fmt.Errorf("encoding singular batch: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes a typed singular batch. The RLP must be canonical
// and fill the input exactly, as op-node requires.
func (b *Singular) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return ErrEmptyBatch
	}
	if data[0] != SingularType {
		return fmt.Errorf("%w: %d, want singular", ErrUnknownType, data[0])
	}
	var out Singular
	if err := rlp.DecodeBytes(data[1:], &out); err != nil {
		return fmt.Errorf("decoding singular batch: %w", err)
	}
	*b = out
	return nil
}
