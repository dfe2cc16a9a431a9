// Package blob packs batcher data into EIP-4844 blobs and back, with the OP
// Stack blob encoding (version 0).
//
// A blob is 4096 field elements of 32 bytes. Each element's top byte keeps
// its two high bits zero so the element stays below the BLS modulus; the
// other 6 bits and the 31 bytes after it carry data. Four elements therefore
// carry 4*31 + 3 = 127 bytes, in 1024 rounds: 130048 bytes. The first four
// of those are a version byte (0) and a big-endian uint24 length, leaving
// MaxDataSize bytes of payload. Everything past the length must be zero.
//
// Decode accepts exactly the blobs op-node's Blob.ToData accepts. That
// includes one the encoding never produces: op-node masks the head byte of
// element 0 to its low 6 bits without checking the top two, so those two
// bits are ignored (the spec says every element's must be zero). Apart from
// them the encoding is bijective.
package blob

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto/kzg4844"
)

const (
	// EncodingVersion is the only defined blob encoding version.
	EncodingVersion = 0

	fieldElements = 4096
	elementSize   = 32
	rounds        = fieldElements / 4
	roundBytes    = 4*31 + 3            // payload bytes per round
	capacity      = rounds * roundBytes // 130048
	headerSize    = 4                   // version + uint24 length
	blobSize      = fieldElements * elementSize

	// MaxDataSize is the largest payload a blob carries.
	MaxDataSize = capacity - headerSize // 130044
)

var (
	// ErrInvalidVersion is returned for a blob whose version byte is not 0.
	ErrInvalidVersion = errors.New("invalid encoding version")
	// ErrInvalidLength is returned for a declared length above MaxDataSize.
	ErrInvalidLength = errors.New("invalid length for blob")
	// ErrInvalidFieldElement is returned when an element's top two bits are set.
	ErrInvalidFieldElement = errors.New("invalid field element")
	// ErrExtraneousData is returned when bytes past the length are not zero.
	ErrExtraneousData = errors.New("extraneous data in blob")
	// ErrDataTooLarge is returned by Encode for more than MaxDataSize bytes.
	ErrDataTooLarge = errors.New("data too large for blob")
)

// Encode packs data into a blob.
func Encode(data []byte) (*kzg4844.Blob, error) {
	if len(data) > MaxDataSize {
		return nil, fmt.Errorf("%w: %d > %d bytes", ErrDataTooLarge, len(data), MaxDataSize)
	}
	var payload [capacity]byte
	payload[0] = EncodingVersion
	payload[1] = byte(len(data) >> 16)
	payload[2] = byte(len(data) >> 8)
	payload[3] = byte(len(data))
	copy(payload[headerSize:], data)

	var blob kzg4844.Blob
	// Round layout in payload order: 31 bytes for element 0, byte x, 31
	// bytes for element 1, byte y, 31 for element 2, byte z, 31 for element
	// 3. The 24 bits of x, y and z become the four 6-bit element heads:
	//   head0 = x[5:0], head1 = x[7:6]<<4 | y[3:0], head2 = z[5:0],
	//   head3 = z[7:6]<<4 | y[7:4].
	// Rounds past the data are all zero and left as they are.
	used := (headerSize + len(data) + roundBytes - 1) / roundBytes
	for r := range used {
		in := payload[r*roundBytes : (r+1)*roundBytes]
		out := blob[r*4*elementSize : (r+1)*4*elementSize]
		x, y, z := in[31], in[63], in[95]
		out[0] = x & 0x3F
		copy(out[1:32], in[0:31])
		out[32] = (x&0xC0)>>2 | y&0x0F
		copy(out[33:64], in[32:63])
		out[64] = z & 0x3F
		copy(out[65:96], in[64:95])
		out[96] = (z&0xC0)>>2 | (y&0xF0)>>4
		copy(out[97:128], in[96:127])
	}
	return &blob, nil
}

// Decode extracts the data from a blob. Any deviation from the encoding is
// an error, and derivation then ignores the blob.
//
// The checks are op-node's (Blob.ToData), which differ from the spec's "the
// top two bits of every element are zero" in two ways:
//   - the top two bits of element 0 are not checked at all;
//   - only the rounds that hold payload (the first ceil((4+length)/127), at
//     least one) are decoded and have their elements' top bits checked;
//     every byte of the later rounds must simply be zero, top bits included,
//     which rejects the same blobs but reports ErrExtraneousData.
//
// Within the decoded rounds, the payload bytes past the length must be zero.
func Decode(blob *kzg4844.Blob) ([]byte, error) {
	if blob == nil {
		return nil, errors.New("nil blob")
	}
	if v := blob[1]; v != EncodingVersion {
		return nil, fmt.Errorf("%w: expected version %d, got %d", ErrInvalidVersion, EncodingVersion, v)
	}
	length := int(blob[2])<<16 | int(blob[3])<<8 | int(blob[4])
	if length > MaxDataSize {
		return nil, fmt.Errorf("%w: %d > %d", ErrInvalidLength, length, MaxDataSize)
	}
	end := headerSize + length
	used := (end + roundBytes - 1) / roundBytes // >= 1, as end >= 4
	var payload [capacity]byte
	for r := range used {
		in := blob[r*4*elementSize : (r+1)*4*elementSize]
		out := payload[r*roundBytes : (r+1)*roundBytes]
		for e := range 4 {
			if r == 0 && e == 0 {
				continue // op-node never looks at these two bits
			}
			if in[e*elementSize]&0xC0 != 0 {
				return nil, fmt.Errorf("%w: element %d has its top bits set (0x%02x)", ErrInvalidFieldElement, r*4+e, in[e*elementSize])
			}
		}
		h0, h1, h2, h3 := in[0]&0x3F, in[32], in[64], in[96]
		copy(out[0:31], in[1:32])
		out[31] = h0 | (h1&0x30)<<2 // x
		copy(out[32:63], in[33:64])
		out[63] = h1&0x0F | (h3&0x0F)<<4 // y
		copy(out[64:95], in[65:96])
		out[95] = h2 | (h3&0x30)<<2 // z
		copy(out[96:127], in[97:128])
	}
	for i := end; i < used*roundBytes; i++ {
		if payload[i] != 0 {
			return nil, fmt.Errorf("%w: non-zero byte at payload offset %d, past length %d", ErrExtraneousData, i-headerSize, length)
		}
	}
	for i := used * 4 * elementSize; i < blobSize; i++ {
		if blob[i] != 0 {
			return nil, fmt.Errorf("%w: non-zero byte %d in element %d, past the %d rounds holding data", ErrExtraneousData, i%elementSize, i/elementSize, used)
		}
	}
	out := make([]byte, length)
	copy(out, payload[headerSize:end])
	return out, nil
}
