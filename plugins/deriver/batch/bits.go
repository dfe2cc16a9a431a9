package batch

import (
	"fmt"
	"math/bits"
)

// Bits is a span batch bit list of fixed length. It is stored in its wire
// form, a big-endian integer left-padded with zero bits to whole bytes, where
// element i is the integer's i-th least significant bit. Keeping the wire
// form makes decoding a bounds check and encoding a copy.
type Bits struct {
	n int
	b []byte
}

// NewBits returns a list of n zero bits.
func NewBits(n int) Bits {
	return Bits{n: n, b: make([]byte, bitsBytes(n))}
}

func bitsBytes(n int) int { return (n + 7) / 8 }

// Len returns the number of bits in the list.
func (l Bits) Len() int { return l.n }

// Bit reports element i; i must be in [0, Len()).
func (l Bits) Bit(i int) bool {
	return l.b[len(l.b)-1-i/8]&(1<<(i%8)) != 0
}

// Set sets element i; i must be in [0, Len()).
func (l Bits) Set(i int, v bool) {
	if i < 0 || i >= l.n {
		panic(fmt.Sprintf("batch: bit index %d out of range [0, %d)", i, l.n))
	}
	idx, mask := len(l.b)-1-i/8, byte(1)<<(i%8)
	if v {
		l.b[idx] |= mask
	} else {
		l.b[idx] &^= mask
	}
}

// Count returns the number of set bits.
func (l Bits) Count() int {
	c := 0
	for _, x := range l.b {
		c += bits.OnesCount8(x)
	}
	return c
}

// Bytes returns the wire form. The slice aliases the list.
func (l Bits) Bytes() []byte { return l.b }

// decodeBits reads an n-bit list from the start of data, copying it, and
// returns the rest of data. Set padding bits mean the integer has more than
// n bits, which op-node rejects.
func decodeBits(data []byte, n int, what string) (Bits, []byte, error) {
	size := bitsBytes(n)
	if len(data) < size {
		return Bits{}, nil, fmt.Errorf("%s: %w: need %d bytes, have %d", what, errTruncated, size, len(data))
	}
	if pad := n % 8; pad != 0 && data[0]>>pad != 0 {
		return Bits{}, nil, fmt.Errorf("%s: %w: bit list longer than %d bits", what, ErrInvalidBits, n)
	}
	b := make([]byte, size)
	copy(b, data)
	return Bits{n: n, b: b}, data[size:], nil
}
