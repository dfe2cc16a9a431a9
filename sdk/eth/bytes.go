package eth

import "github.com/ethereum/go-ethereum/common/hexutil"

// Bytes32 is 32 bytes, hex in JSON.
type Bytes32 [32]byte

func (b Bytes32) MarshalText() ([]byte, error) { return hexutil.Bytes(b[:]).MarshalText() }

func (b *Bytes32) UnmarshalText(text []byte) error {
	return hexutil.UnmarshalFixedText("Bytes32", text, b[:])
}

func (b Bytes32) String() string { return hexutil.Encode(b[:]) }

// Bytes8 is 8 bytes, hex in JSON.
type Bytes8 [8]byte

func (b Bytes8) MarshalText() ([]byte, error) { return hexutil.Bytes(b[:]).MarshalText() }

func (b *Bytes8) UnmarshalText(text []byte) error {
	return hexutil.UnmarshalFixedText("Bytes8", text, b[:])
}

func (b Bytes8) String() string { return hexutil.Encode(b[:]) }
