// Package deposit implements the OP Stack deposit transaction (EIP-2718 type
// 0x7E), the source-hash domains, and the decoding of TransactionDeposited
// logs emitted by the OptimismPortal on L1.
//
// The encoding is written by hand on top of go-ethereum's rlp package, so the
// package builds against upstream go-ethereum, which has no deposit type.
package deposit

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// TxType is the EIP-2718 type byte of a deposit transaction.
const TxType = 0x7E

// Tx is a deposit transaction. It has no nonce and no signature.
type Tx struct {
	// SourceHash uniquely identifies the origin of the deposit.
	SourceHash common.Hash
	// From is the sender, taken as-is (no signature recovery).
	From common.Address
	// To is the recipient; nil means contract creation.
	To *common.Address
	// Mint is the ETH minted on L2 before execution. nil means no mint and
	// is encoded exactly like zero.
	Mint *big.Int
	// Value is the ETH sent to To. nil is encoded as zero.
	Value *big.Int
	// Gas is the gas limit.
	Gas uint64
	// IsSystemTx marks a pre-Regolith system transaction.
	IsSystemTx bool
	// Data is the calldata or init code.
	Data []byte
}

// rlpTx is the RLP field list of a deposit:
// [sourceHash, from, to, mint, value, gas, isSystemTx, data].
// An empty string stands for a nil To (creation) and a nil or zero Mint,
// which is how op-geth encodes and decodes these fields.
type rlpTx struct {
	SourceHash common.Hash
	From       common.Address
	To         *common.Address `rlp:"nil"`
	Mint       *big.Int        `rlp:"nil"`
	Value      *big.Int
	Gas        uint64
	IsSystemTx bool
	Data       []byte
}

var (
	// ErrNotDeposit is returned when decoding bytes that do not start with
	// the deposit type byte.
	ErrNotDeposit = errors.New("not a deposit transaction")
	// ErrEmpty is returned when decoding an empty byte slice.
	ErrEmpty = errors.New("empty transaction encoding")
)

// MarshalBinary returns 0x7E ++ rlp([sourceHash, from, to, mint, value, gas,
// isSystemTx, data]).
func (tx *Tx) MarshalBinary() ([]byte, error) {
	if tx == nil {
		return nil, errors.New("nil deposit transaction")
	}
	for _, v := range []struct {
		name string
		n    *big.Int
	}{{"mint", tx.Mint}, {"value", tx.Value}} {
		if v.n != nil && (v.n.Sign() < 0 || v.n.BitLen() > 256) {
			return nil, fmt.Errorf("deposit %s out of uint256 range: %s", v.name, v.n)
		}
	}
	body, err := rlp.EncodeToBytes(&rlpTx{
		SourceHash: tx.SourceHash,
		From:       tx.From,
		To:         tx.To,
		Mint:       tx.Mint,
		Value:      tx.Value,
		Gas:        tx.Gas,
		IsSystemTx: tx.IsSystemTx,
		Data:       tx.Data,
	})
	if err != nil {
		return nil, fmt.Errorf("encode deposit: %w", err)
	}
	out := make([]byte, 0, 1+len(body))
	out = append(out, TxType)
	return append(out, body...), nil
}

// UnmarshalBinary decodes an EIP-2718 deposit encoding. The RLP must be
// canonical, hold exactly the eight fields and have no trailing bytes. A
// zero mint decodes to nil (op-geth yields a zero big.Int; both encode the
// same) and a zero value to a non-nil zero.
func (tx *Tx) UnmarshalBinary(b []byte) error {
	if len(b) == 0 {
		return ErrEmpty
	}
	if b[0] != TxType {
		return fmt.Errorf("%w: type byte 0x%02x", ErrNotDeposit, b[0])
	}
	var dec rlpTx
	if err := rlp.DecodeBytes(b[1:], &dec); err != nil {
		return fmt.Errorf("decode deposit: %w", err)
	}
	if dec.Mint != nil && dec.Mint.Sign() == 0 {
		dec.Mint = nil
	}
	if dec.Value == nil {
		dec.Value = new(big.Int)
	}
	*tx = Tx{
		SourceHash: dec.SourceHash,
		From:       dec.From,
		To:         dec.To,
		Mint:       dec.Mint,
		Value:      dec.Value,
		Gas:        dec.Gas,
		IsSystemTx: dec.IsSystemTx,
		Data:       dec.Data,
	}
	return nil
}

// Hash returns the transaction hash: keccak256 of the binary encoding. It
// returns the zero hash if the transaction cannot be encoded.
func (tx *Tx) Hash() common.Hash {
	b, err := tx.MarshalBinary()
	if err != nil {
		return common.Hash{}
	}
	return crypto.Keccak256Hash(b)
}

// Decode decodes an encoded deposit transaction.
func Decode(b []byte) (*Tx, error) {
	var tx Tx
	if err := tx.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &tx, nil
}

// HashOf returns keccak256 of an encoded transaction, i.e. its hash.
func HashOf(raw []byte) common.Hash { return crypto.Keccak256Hash(raw) }
