package deposit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/eth"
)

// EventSignature is the OptimismPortal event a deposit is read from.
const EventSignature = "TransactionDeposited(address,address,uint256,bytes)"

var (
	// EventTopic is topic0 of a TransactionDeposited log.
	EventTopic = crypto.Keccak256Hash([]byte(EventSignature))
	// EventVersion0 is the only deposit event version (topic3) understood.
	EventVersion0 = common.Hash{}
)

// opaqueV0MinLen is mint(32) + value(32) + gas(8) + isCreation(1).
const opaqueV0MinLen = 32 + 32 + 8 + 1

// ErrMalformedLog wraps every error FromLog returns.
var ErrMalformedLog = errors.New("malformed deposit log")

// FromLog decodes a TransactionDeposited log into a deposit, with the source
// hash taken from blockHash and the log's block-wide index. It checks, in
// op-node's order:
//   - four topics, topic0 = EventTopic;
//   - data is at least 64 bytes and a multiple of 32;
//   - the ABI offset word is exactly 32;
//   - the ABI length L fits a uint64, L <= len(data)-64, and L+32 >
//     len(data)-64 (at most 31 bytes of zero padding are allowed);
//   - topic3 (the version) is 0;
//   - version-0 opaque data is at least 73 bytes: mint(32) ‖ value(32) ‖
//     gas(8) ‖ isCreation(1) ‖ data. A zero mint becomes nil; a non-zero
//     isCreation byte means contract creation (To = nil).
//
// The log address is not checked here; UserDeposits filters by address.
func FromLog(log eth.Log, blockHash common.Hash) (*Tx, error) {
	tx, err := fromLog(log, blockHash)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedLog, err)
	}
	return tx, nil
}

func fromLog(log eth.Log, blockHash common.Hash) (*Tx, error) {
	if len(log.Topics) != 4 {
		return nil, fmt.Errorf("expected 4 event topics (event identity, indexed from, indexed to, indexed version), got %d", len(log.Topics))
	}
	if log.Topics[0] != EventTopic {
		return nil, fmt.Errorf("invalid deposit event selector %s, expected %s", log.Topics[0], EventTopic)
	}
	data := log.Data
	if len(data) < 64 {
		return nil, fmt.Errorf("incomplete opaqueData slice header (%d bytes)", len(data))
	}
	if len(data)%32 != 0 {
		return nil, fmt.Errorf("expected log data to be a multiple of 32 bytes, got %d bytes", len(data))
	}
	from := common.BytesToAddress(log.Topics[1][12:])
	to := common.BytesToAddress(log.Topics[2][12:])
	version := log.Topics[3]

	if off, ok := wordUint64(data[0:32]); !ok || off != 32 {
		return nil, fmt.Errorf("invalid opaqueData slice header offset: %x", data[0:32])
	}
	avail := uint64(len(data) - 64)
	length, ok := wordUint64(data[32:64])
	if !ok || length > avail || length+32 <= avail {
		return nil, fmt.Errorf("invalid opaqueData slice header length: %x (%d bytes follow the header)", data[32:64], avail)
	}
	opaque := data[64 : 64+length]

	if version != EventVersion0 {
		return nil, fmt.Errorf("invalid deposit version, got %s", version)
	}
	tx := &Tx{
		SourceHash: UserDepositSource(blockHash, uint64(log.Index)),
		From:       from,
	}
	if err := decodeOpaqueV0(tx, to, opaque); err != nil {
		return nil, fmt.Errorf("failed to decode deposit (version %s): %w", version, err)
	}
	return tx, nil
}

// wordUint64 reads a 32-byte big-endian word that must fit in a uint64.
func wordUint64(w []byte) (uint64, bool) {
	for _, b := range w[:24] {
		if b != 0 {
			return 0, false
		}
	}
	return binary.BigEndian.Uint64(w[24:32]), true
}

func decodeOpaqueV0(tx *Tx, to common.Address, opaque []byte) error {
	if len(opaque) < opaqueV0MinLen {
		return fmt.Errorf("unexpected opaqueData length: %d", len(opaque))
	}
	mint := new(big.Int).SetBytes(opaque[0:32])
	if mint.Sign() != 0 {
		tx.Mint = mint
	}
	tx.Value = new(big.Int).SetBytes(opaque[32:64])
	tx.Gas = binary.BigEndian.Uint64(opaque[64:72])
	if opaque[72] == 0 {
		tx.To = &to
	}
	tx.Data = append([]byte{}, opaque[73:]...)
	return nil
}

// ToLog encodes the deposit as the TransactionDeposited log the portal would
// emit (version 0), the inverse of FromLog. The log's Index is left zero and
// the source hash is not represented.
func (tx *Tx) ToLog(depositContract common.Address) (eth.Log, error) {
	for _, v := range []struct {
		name string
		n    *big.Int
	}{{"mint", tx.Mint}, {"value", tx.Value}} {
		if v.n != nil && (v.n.Sign() < 0 || v.n.BitLen() > 256) {
			return eth.Log{}, fmt.Errorf("deposit %s out of uint256 range: %s", v.name, v.n)
		}
	}
	var toTopic common.Hash
	if tx.To != nil {
		toTopic = common.BytesToHash(tx.To[:])
	}
	opaque := make([]byte, opaqueV0MinLen, opaqueV0MinLen+len(tx.Data))
	if tx.Mint != nil {
		tx.Mint.FillBytes(opaque[0:32])
	}
	if tx.Value != nil {
		tx.Value.FillBytes(opaque[32:64])
	}
	binary.BigEndian.PutUint64(opaque[64:72], tx.Gas)
	if tx.To == nil {
		opaque[72] = 1
	}
	opaque = append(opaque, tx.Data...)

	data := make([]byte, 64, 64+len(opaque)+31)
	data[31] = 32
	binary.BigEndian.PutUint64(data[56:64], uint64(len(opaque)))
	data = append(data, opaque...)
	if pad := len(data) % 32; pad != 0 {
		data = append(data, make([]byte, 32-pad)...)
	}
	return eth.Log{
		Address: depositContract,
		Topics:  []common.Hash{EventTopic, common.BytesToHash(tx.From[:]), toTopic, EventVersion0},
		Data:    data,
	}, nil
}

// UserDeposits returns the encoded deposits of an L1 block: every
// TransactionDeposited log emitted by depositContract in a successful receipt
// (Status == 1), in receipt and log order. Failed receipts are skipped.
//
// Malformed logs behave as in op-node: decoding continues past them, the
// well-formed deposits are returned, and the error joins one entry per
// malformed log ("malformed L1 deposit log in tx <i>, log <index>: ..."). A
// non-nil error means the block's deposits are incomplete: deposits may
// never be skipped, so op-node treats it as a critical error and stops
// deriving. Callers must do the same and not use the partial list.
func UserDeposits(receipts []eth.Receipt, depositContract common.Address, blockHash common.Hash) ([][]byte, error) {
	var (
		out  [][]byte
		errs []error
	)
	for _, rec := range receipts {
		if rec.Status != 1 {
			continue
		}
		for _, log := range rec.Logs {
			if log.Address != depositContract || len(log.Topics) == 0 || log.Topics[0] != EventTopic {
				continue
			}
			tx, err := FromLog(log, blockHash)
			if err == nil {
				var raw []byte
				if raw, err = tx.MarshalBinary(); err == nil {
					out = append(out, raw)
					continue
				}
			}
			errs = append(errs, fmt.Errorf("malformed L1 deposit log in tx %d, log %d: %w", rec.TxIndex, log.Index, err))
		}
	}
	return out, errors.Join(errs...)
}
