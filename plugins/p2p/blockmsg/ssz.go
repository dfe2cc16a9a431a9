package blockmsg

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/sdk/eth"
)

// SSZ layout sizes.
const (
	// fixedV1 is the fixed part of a V1 payload: the fixed-size fields and
	// the extraData and transactions offsets.
	fixedV1 = 32 + 20 + 32 + 32 + 256 + 32 + 8 + 8 + 8 + 8 + 4 + 32 + 32 + 4 // 508
	// fixedV2 adds the withdrawals offset.
	fixedV2 = fixedV1 + 4 // 512
	// fixedV3 adds blobGasUsed and excessBlobGas.
	fixedV3 = fixedV2 + 8 + 8 // 528
	// fixedV4 adds the withdrawalsRoot.
	fixedV4 = fixedV3 + 32 // 560

	// withdrawalSize is index, validator index, address and amount.
	withdrawalSize = 8 + 8 + 20 + 8
)

// Bounds of op-node's SSZ decoder.
const (
	// MaxExtraData is the largest extraData a payload may carry.
	MaxExtraData = 32
	// MaxTransactions is MAX_TRANSACTIONS_PER_PAYLOAD.
	MaxTransactions = 1 << 20
	// MaxWithdrawals is MAX_WITHDRAWALS_PER_PAYLOAD.
	MaxWithdrawals = 1 << 4
)

// fixedSize is the fixed part of the payload in the version's layout.
func fixedSize(v Version) uint32 {
	switch v {
	case V1:
		return fixedV1
	case V2:
		return fixedV2
	case V3:
		return fixedV3
	default:
		return fixedV4
	}
}

// MarshalBody encodes the envelope as the body of a version v message: for V3
// and V4 the parent beacon block root followed by the SSZ payload, else the
// payload alone.
//
// The layout is the version's, whatever fields are set. A field the layout
// needs but the envelope lacks (the beacon root, blob gas fields or
// withdrawals list from V3, V3 and V2 on; the withdrawalsRoot on V4) is an
// error, and so is a field the envelope has but the layout cannot carry,
// since dropping it would change the block's hash. Payloads over op-node's
// decoding bounds (extraData, transaction and withdrawal counts) are refused
// too. The errors wrap ErrSSZ.
func MarshalBody(env *eth.ExecutionPayloadEnvelope, v Version) ([]byte, error) {
	if !v.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrVersion, int(v))
	}
	if env == nil || env.ExecutionPayload == nil {
		return nil, fmt.Errorf("%w: no execution payload", ErrSSZ)
	}
	p := env.ExecutionPayload
	if err := checkLayoutFields(env, v); err != nil {
		return nil, err
	}
	if len(p.ExtraData) > MaxExtraData {
		return nil, fmt.Errorf("%w: extraData of %d bytes, at most %d", ErrSSZ, len(p.ExtraData), MaxExtraData)
	}
	if len(p.Transactions) > MaxTransactions {
		return nil, fmt.Errorf("%w: %d transactions, at most %d", ErrSSZ, len(p.Transactions), MaxTransactions)
	}
	if len(p.Withdrawals) > MaxWithdrawals {
		return nil, fmt.Errorf("%w: %d withdrawals, at most %d", ErrSSZ, len(p.Withdrawals), MaxWithdrawals)
	}
	for i, w := range p.Withdrawals {
		if w == nil {
			return nil, fmt.Errorf("%w: withdrawal %d is nil", ErrSSZ, i)
		}
	}
	var baseFee [32]byte
	if p.BaseFeePerGas == nil {
		return nil, fmt.Errorf("%w: no baseFeePerGas", ErrSSZ)
	}
	if p.BaseFeePerGas.Sign() < 0 || p.BaseFeePerGas.BitLen() > 256 {
		return nil, fmt.Errorf("%w: baseFeePerGas %s is not a uint256", ErrSSZ, p.BaseFeePerGas)
	}
	p.BaseFeePerGas.FillBytes(baseFee[:])
	reverse(baseFee[:]) // SSZ integers are little-endian

	fixed := uint64(fixedSize(v))
	txsSize := uint64(4 * len(p.Transactions))
	for _, tx := range p.Transactions {
		txsSize += uint64(len(tx))
	}
	total := fixed + uint64(len(p.ExtraData)) + txsSize + uint64(withdrawalSize*len(p.Withdrawals))
	if total > math.MaxUint32 {
		return nil, fmt.Errorf("%w: payload of %d bytes does not fit SSZ offsets", ErrSSZ, total)
	}
	var prefix uint64
	if v.HasBeaconRoot() {
		prefix = common.HashLength
	}

	out := make([]byte, prefix, prefix+total)
	if v.HasBeaconRoot() {
		copy(out, env.ParentBeaconBlockRoot[:])
	}
	le32 := func(x uint64) { out = binary.LittleEndian.AppendUint32(out, uint32(x)) }
	le64 := func(x uint64) { out = binary.LittleEndian.AppendUint64(out, x) }

	out = append(out, p.ParentHash[:]...)
	out = append(out, p.FeeRecipient[:]...)
	out = append(out, p.StateRoot[:]...)
	out = append(out, p.ReceiptsRoot[:]...)
	out = append(out, p.LogsBloom[:]...)
	out = append(out, p.PrevRandao[:]...)
	le64(p.BlockNumber)
	le64(p.GasLimit)
	le64(p.GasUsed)
	le64(p.Timestamp)
	le32(fixed) // extraData offset
	out = append(out, baseFee[:]...)
	out = append(out, p.BlockHash[:]...)
	txsOffset := fixed + uint64(len(p.ExtraData))
	le32(txsOffset)
	if v.HasWithdrawals() {
		le32(txsOffset + txsSize)
	}
	if v.HasBlobGas() {
		le64(*p.BlobGasUsed)
		le64(*p.ExcessBlobGas)
	}
	if v.HasWithdrawalsRoot() {
		out = append(out, p.WithdrawalsRoot[:]...)
	}

	out = append(out, p.ExtraData...)
	txOffset := uint64(4 * len(p.Transactions))
	for _, tx := range p.Transactions {
		le32(txOffset)
		txOffset += uint64(len(tx))
	}
	for _, tx := range p.Transactions {
		out = append(out, tx...)
	}
	for _, w := range p.Withdrawals {
		le64(w.Index)
		le64(w.Validator)
		out = append(out, w.Address[:]...)
		le64(w.Amount)
	}
	return out, nil
}

// checkLayoutFields refuses an envelope whose optional fields do not match
// the version's layout.
func checkLayoutFields(env *eth.ExecutionPayloadEnvelope, v Version) error {
	p := env.ExecutionPayload
	field := func(name string, set, want bool) error {
		switch {
		case want && !set:
			return fmt.Errorf("%w: %s layout needs %s", ErrSSZ, v, name)
		case !want && set:
			return fmt.Errorf("%w: %s layout cannot carry %s", ErrSSZ, v, name)
		}
		return nil
	}
	checks := []struct {
		name      string
		set, want bool
	}{
		{"parentBeaconBlockRoot", env.ParentBeaconBlockRoot != nil, v.HasBeaconRoot()},
		{"withdrawals", p.Withdrawals != nil, v.HasWithdrawals()},
		{"blobGasUsed", p.BlobGasUsed != nil, v.HasBlobGas()},
		{"excessBlobGas", p.ExcessBlobGas != nil, v.HasBlobGas()},
		{"withdrawalsRoot", p.WithdrawalsRoot != nil, v.HasWithdrawalsRoot()},
	}
	for _, c := range checks {
		if err := field(c.name, c.set, c.want); err != nil {
			return err
		}
	}
	return nil
}

// UnmarshalBody decodes the body of a version v message with op-node's
// checks: the extraData offset must be the fixed size, the offsets must not
// decrease nor leave the body, extraData is at most 32 bytes, there are at
// most 2^20 transactions and 16 withdrawals, and the withdrawals section is
// a whole number of withdrawals. The last dynamic field (transactions on V1,
// withdrawals on V2+) runs to the end of the body.
//
// The result has the fields of the layout set and no others: on V2+ the
// withdrawals list is non-nil even when empty, on V3+ the beacon root and
// the blob gas fields are set, on V4 the withdrawalsRoot. Transactions and
// extraData are non-nil and do not alias body. Errors wrap ErrSSZ.
func UnmarshalBody(body []byte, v Version) (*eth.ExecutionPayloadEnvelope, error) {
	if !v.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrVersion, int(v))
	}
	env := new(eth.ExecutionPayloadEnvelope)
	if v.HasBeaconRoot() {
		if len(body) < common.HashLength {
			return nil, fmt.Errorf("%w: %s body of %d bytes has no parent beacon block root", ErrSSZ, v, len(body))
		}
		root := common.BytesToHash(body[:common.HashLength])
		env.ParentBeaconBlockRoot = &root
		body = body[common.HashLength:]
	}
	p, err := unmarshalPayload(body, v)
	if err != nil {
		return nil, err
	}
	env.ExecutionPayload = p
	return env, nil
}

func unmarshalPayload(buf []byte, v Version) (*eth.ExecutionPayload, error) {
	if uint64(len(buf)) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: payload of %d bytes does not fit SSZ offsets", ErrSSZ, len(buf))
	}
	scope := uint32(len(buf))
	fixed := fixedSize(v)
	if scope < fixed {
		return nil, fmt.Errorf("%w: %s payload of %d bytes is shorter than its fixed part (%d)", ErrSSZ, v, scope, fixed)
	}
	p := new(eth.ExecutionPayload)
	off := uint32(0)
	next := func(n uint32) []byte {
		b := buf[off : off+n]
		off += n
		return b
	}
	u32 := func() uint32 { return binary.LittleEndian.Uint32(next(4)) }
	u64 := func() uint64 { return binary.LittleEndian.Uint64(next(8)) }

	copy(p.ParentHash[:], next(32))
	copy(p.FeeRecipient[:], next(20))
	copy(p.StateRoot[:], next(32))
	copy(p.ReceiptsRoot[:], next(32))
	copy(p.LogsBloom[:], next(256))
	copy(p.PrevRandao[:], next(32))
	p.BlockNumber = u64()
	p.GasLimit = u64()
	p.GasUsed = u64()
	p.Timestamp = u64()
	extraOffset := u32()
	if extraOffset != fixed {
		return nil, fmt.Errorf("%w: extraData offset %d, want %d", ErrSSZ, extraOffset, fixed)
	}
	var baseFee [32]byte
	copy(baseFee[:], next(32))
	reverse(baseFee[:])
	p.BaseFeePerGas = new(big.Int).SetBytes(baseFee[:])
	copy(p.BlockHash[:], next(32))
	txsOffset := u32()
	if txsOffset < extraOffset {
		return nil, fmt.Errorf("%w: transactions offset %d is before the extraData offset %d", ErrSSZ, txsOffset, extraOffset)
	}
	withdrawalsOffset := scope
	if v.HasWithdrawals() {
		withdrawalsOffset = u32()
		if withdrawalsOffset < txsOffset {
			return nil, fmt.Errorf("%w: withdrawals offset %d is before the transactions offset %d", ErrSSZ, withdrawalsOffset, txsOffset)
		}
		if withdrawalsOffset > scope {
			return nil, fmt.Errorf("%w: withdrawals offset %d is past the payload end %d", ErrSSZ, withdrawalsOffset, scope)
		}
	}
	if v.HasBlobGas() {
		blobGasUsed, excessBlobGas := u64(), u64()
		p.BlobGasUsed, p.ExcessBlobGas = &blobGasUsed, &excessBlobGas
	}
	if v.HasWithdrawalsRoot() {
		root := common.BytesToHash(next(32))
		p.WithdrawalsRoot = &root
	}
	if txsOffset > scope {
		return nil, fmt.Errorf("%w: transactions offset %d is past the payload end %d", ErrSSZ, txsOffset, scope)
	}
	if txsOffset-extraOffset > MaxExtraData {
		return nil, fmt.Errorf("%w: extraData of %d bytes, at most %d", ErrSSZ, txsOffset-extraOffset, MaxExtraData)
	}
	p.ExtraData = append([]byte{}, buf[extraOffset:txsOffset]...)

	txs, err := unmarshalTransactions(buf[txsOffset:withdrawalsOffset])
	if err != nil {
		return nil, err
	}
	p.Transactions = txs
	if v.HasWithdrawals() {
		ws, err := unmarshalWithdrawals(buf[withdrawalsOffset:])
		if err != nil {
			return nil, err
		}
		p.Withdrawals = ws
	}
	return p, nil
}

// unmarshalTransactions decodes the transactions section: u32 offsets
// relative to the section, then the transactions, the last one running to
// the section's end.
func unmarshalTransactions(in []byte) ([][]byte, error) {
	scope := uint32(len(in))
	if scope == 0 {
		return [][]byte{}, nil
	}
	if scope < 4 {
		return nil, fmt.Errorf("%w: transactions section of %d bytes has no first offset", ErrSSZ, scope)
	}
	first := binary.LittleEndian.Uint32(in)
	if first%4 != 0 {
		return nil, fmt.Errorf("%w: first transaction offset %d is not a multiple of 4", ErrSSZ, first)
	}
	if first > scope {
		return nil, fmt.Errorf("%w: first transaction offset %d is past the section end %d", ErrSSZ, first, scope)
	}
	count := first / 4
	if count == 0 {
		return nil, fmt.Errorf("%w: first transaction offset 0 in a section of %d bytes", ErrSSZ, scope)
	}
	if count > MaxTransactions {
		return nil, fmt.Errorf("%w: %d transactions, at most %d", ErrSSZ, count, MaxTransactions)
	}
	// One backing array for all transactions: the section less its offsets.
	data := append([]byte{}, in[first:]...)
	txs := make([][]byte, count)
	cur := first
	for i := uint32(0); i < count; i++ {
		end := scope
		if i+1 < count {
			end = binary.LittleEndian.Uint32(in[4*(i+1):])
		}
		if end < cur || end > scope {
			return nil, fmt.Errorf("%w: transaction %d ends at offset %d, starts at %d, section ends at %d", ErrSSZ, i, end, cur, scope)
		}
		txs[i] = data[cur-first : end-first : end-first]
		cur = end
	}
	return txs, nil
}

// unmarshalWithdrawals decodes the withdrawals section: 44 bytes each.
func unmarshalWithdrawals(in []byte) ([]*types.Withdrawal, error) {
	if len(in)%withdrawalSize != 0 {
		return nil, fmt.Errorf("%w: withdrawals section of %d bytes is not a multiple of %d", ErrSSZ, len(in), withdrawalSize)
	}
	n := len(in) / withdrawalSize
	if n > MaxWithdrawals {
		return nil, fmt.Errorf("%w: %d withdrawals, at most %d", ErrSSZ, n, MaxWithdrawals)
	}
	ws := make([]*types.Withdrawal, n) // non-nil when empty: V2+ has a list
	for i := range ws {
		b := in[i*withdrawalSize:]
		w := &types.Withdrawal{
			Index:     binary.LittleEndian.Uint64(b[0:8]),
			Validator: binary.LittleEndian.Uint64(b[8:16]),
			Amount:    binary.LittleEndian.Uint64(b[36:44]),
		}
		copy(w.Address[:], b[16:36])
		ws[i] = w
	}
	return ws, nil
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}
