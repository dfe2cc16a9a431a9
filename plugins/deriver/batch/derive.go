package batch

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/plugins/deriver/postexec"
)

// SpanElement is one L2 block of a span batch after derivation.
type SpanElement struct {
	Timestamp uint64
	EpochNum  uint64 // L1 origin number
	// Transactions are fully signed EIP-2718 encodings. They share one
	// backing buffer; each slice is capped, so appending to one is safe.
	Transactions [][]byte
	// Fault, when set, is a transaction of this block whose span batch
	// columns break its type's rules. The block still decodes; the batch
	// checks drop it (see TxFault).
	Fault *TxFault
}

// TxFault names a transaction whose span batch columns do not fit its
// type: a post-exec transaction (0x7D) must have the contract creation
// bit, y parity 0, a zero signature, nonce 0 and gas 0. Its tx_data is the
// whole transaction, so it decodes either way; the fault is a batch
// validity matter, not a decoding one, so that from Holocene the blocks of
// the span before it still apply and only the rest of the channel is
// flushed, as op-node handles an invalid transaction of a span block.
type TxFault struct {
	Index  int // within the block
	Reason string
}

var (
	// ErrUnsupportedTxType is returned for a tx_data whose type is not
	// legacy, access list (1), dynamic fee (2), set code (4) or post-exec
	// (0x7D; whether the fork allows it is the batch checks' business).
	ErrUnsupportedTxType = errors.New("unsupported span batch tx type")
	// ErrInvalidTxData is returned when a tx_data's fields do not decode.
	ErrInvalidTxData = errors.New("invalid span batch tx data")
)

// Derive expands the span into its blocks. Block i has timestamp
// genesisTime + RelTimestamp + i*blockTime; the last block's L1 origin is
// L1OriginNum, and each earlier block's is one less than the next block's
// when that next block's origin bit is set. Bit 0 therefore plays no part.
// Transactions get their chain id and v back: v = 2*chainID+35+y for
// protected legacy transactions, 27+y for unprotected ones, y for typed.
//
// Origin bits that count more changes than L1OriginNum are not an error:
// the epochs wrap around in uint64 arithmetic, as op-node's
// RawSpanBatch.derive computes them, and the batch checks drop the span
// (its start epoch is then far ahead of any parent's). The spec gives the
// same formula (l1_origin_num - sum(origin_bits), then adding the bits) but
// says nothing of underflow; op-node's arithmetic is what counts here.
//
// A tx_data that does not decode as its type's fields is an error, as in
// op-node, where it fails the span batch.
func (s *Span) Derive(genesisTime, blockTime uint64, chainID *big.Int) ([]SpanElement, error) {
	if chainID == nil || chainID.Sign() <= 0 || chainID.BitLen() > 256 {
		return nil, fmt.Errorf("deriving span batch: invalid chain id %v", chainID)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("deriving span batch: %w", err)
	}
	txs, faults, err := s.Txs.fullTxs(chainID)
	if err != nil {
		return nil, fmt.Errorf("deriving span batch: %w", err)
	}
	// Changes after the first block; may exceed L1OriginNum and wrap.
	changes := uint64(s.OriginBits.Count())
	if s.OriginBits.Bit(0) {
		changes--
	}
	elems := make([]SpanElement, len(s.BlockTxCounts))
	epoch := s.L1OriginNum - changes
	ts := genesisTime + s.RelTimestamp
	first := 0 // index of the block's first transaction in the span
	for i, count := range s.BlockTxCounts {
		if i > 0 && s.OriginBits.Bit(i) {
			epoch++
		}
		elems[i] = SpanElement{
			Timestamp:    ts + uint64(i)*blockTime,
			EpochNum:     epoch,
			Transactions: txs[:count:count],
		}
		for len(faults) > 0 && faults[0].Index < first+int(count) {
			if elems[i].Fault == nil {
				elems[i].Fault = &TxFault{Index: faults[0].Index - first, Reason: faults[0].Reason}
			}
			faults = faults[1:]
		}
		txs = txs[count:]
		first += int(count)
	}
	return elems, nil
}

// txFields are the per-transaction values kept outside tx_data.
type txFields struct {
	to        *common.Address // nil for a contract creation
	y         uint64          // signature y parity
	sig       *Signature
	nonce     uint64
	gas       uint64
	protected bool // legacy only: EIP-155
}

func (t *SpanTxs) fields(i int, toIdx, legacyIdx *int) txFields {
	f := txFields{sig: &t.Sigs[i], nonce: t.Nonces[i], gas: t.Gases[i]}
	if !t.ContractCreationBits.Bit(i) {
		f.to = &t.Tos[*toIdx]
		*toIdx++
	}
	if t.YParityBits.Bit(i) {
		f.y = 1
	}
	// Legacy, or a 0x00 type byte, which decoding counts as legacy too (and
	// Derive rejects).
	if d := t.Datas[i][0]; d >= 0xC0 || d == legacyTxType {
		f.protected = t.ProtectedBits.Bit(*legacyIdx)
		*legacyIdx++
	}
	return f
}

// fullTxs rebuilds every transaction of the span as signed EIP-2718 bytes,
// all in one buffer. The caller has checked the columns for consistency.
// Post-exec transactions whose columns are not the fixed ones are kept and
// returned as faults, indexed in the span, in order.
//
// Legacy, access list and dynamic fee transactions take the fast path in
// encode.go, which splices the already-encoded tx_data items into the
// output; set code transactions, rare and with nested authorizations, go
// through go-ethereum's types. Tests check both paths agree.
func (t *SpanTxs) fullTxs(chainID *big.Int) ([][]byte, []TxFault, error) {
	enc := newTxEncoder(chainID)
	size := 0
	for _, d := range t.Datas {
		size += len(d) + maxTxOverhead
	}
	buf := make([]byte, 0, size)
	ends := make([]int, len(t.Datas))
	toIdx, legacyIdx := 0, 0
	var faults []TxFault
	for i, data := range t.Datas {
		f := t.fields(i, &toIdx, &legacyIdx)
		var err error
		if data[0] == postexec.TxType {
			if ferr := checkPostExecFields(&f); ferr != nil {
				faults = append(faults, TxFault{Index: i, Reason: ferr.Error()})
			}
			buf = append(buf, data...)
		} else if data[0] == types.SetCodeTxType {
			var tx []byte
			if tx, err = buildTx(data, &f, chainID); err == nil {
				buf = append(buf, tx...)
			}
		} else {
			buf, err = enc.appendTx(buf, data, &f)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("tx %d: %w", i, err)
		}
		ends[i] = len(buf)
	}
	out := make([][]byte, len(t.Datas))
	prev := 0
	for i, end := range ends {
		out[i] = buf[prev:end:end]
		prev = end
	}
	return out, faults, nil
}

// checkPostExecFields checks the columns of a post-exec (0x7D) transaction
// in a span batch: it has no recipient, signature, nonce or gas of its own,
// so it must be marked a contract creation (no tx_tos entry), with y parity
// 0, a zero signature, nonce 0 and gas 0. Its tx_data is the whole
// transaction, type byte included.
func checkPostExecFields(f *txFields) error {
	switch {
	case f.to != nil:
		return fmt.Errorf("%w: post-exec transaction without the contract creation bit", ErrInvalidTxData)
	case f.y != 0 || f.sig.R != [32]byte{} || f.sig.S != [32]byte{}:
		return fmt.Errorf("%w: post-exec transaction with a signature", ErrInvalidTxData)
	case f.nonce != 0 || f.gas != 0:
		return fmt.Errorf("%w: post-exec transaction with nonce %d, gas %d", ErrInvalidTxData, f.nonce, f.gas)
	}
	return nil
}

// Derive-time decodings of tx_datas, as go-ethereum's RLP decoder sees them.
// Value and fee fields are big integers like in the transaction types they
// feed; set code uses uint256, as its transaction type does.
type (
	legacyTxData struct {
		Value    *big.Int
		GasPrice *big.Int
		Data     []byte
	}
	accessListTxData struct {
		Value      *big.Int
		GasPrice   *big.Int
		Data       []byte
		AccessList types.AccessList
	}
	dynamicFeeTxData struct {
		Value      *big.Int
		GasTipCap  *big.Int
		GasFeeCap  *big.Int
		Data       []byte
		AccessList types.AccessList
	}
	setCodeTxData struct {
		Value      *uint256.Int
		GasTipCap  *uint256.Int
		GasFeeCap  *uint256.Int
		Data       []byte
		AccessList types.AccessList
		AuthList   []types.SetCodeAuthorization
	}
)

// buildTx constructs one transaction with go-ethereum's types and encodes
// it. It handles every supported type and is the reference the fast path is
// tested against.
func buildTx(data []byte, f *txFields, chainID *big.Int) ([]byte, error) {
	r := new(big.Int).SetBytes(f.sig.R[:])
	s := new(big.Int).SetBytes(f.sig.S[:])
	y := new(big.Int).SetUint64(f.y)
	var inner types.TxData
	switch typ := data[0]; {
	case typ >= 0xC0: // legacy: the RLP list itself
		var d legacyTxData
		if err := rlp.DecodeBytes(data, &d); err != nil {
			return nil, fmt.Errorf("%w: legacy: %w", ErrInvalidTxData, err)
		}
		v := new(big.Int).SetUint64(27 + f.y)
		if f.protected {
			v.Lsh(chainID, 1).Add(v, big.NewInt(35)).Add(v, y)
		}
		inner = &types.LegacyTx{Nonce: f.nonce, GasPrice: d.GasPrice, Gas: f.gas, To: f.to, Value: d.Value, Data: d.Data, V: v, R: r, S: s}
	case typ == types.AccessListTxType:
		var d accessListTxData
		if err := rlp.DecodeBytes(data[1:], &d); err != nil {
			return nil, fmt.Errorf("%w: access list: %w", ErrInvalidTxData, err)
		}
		inner = &types.AccessListTx{ChainID: chainID, Nonce: f.nonce, GasPrice: d.GasPrice, Gas: f.gas, To: f.to, Value: d.Value,
			Data: d.Data, AccessList: d.AccessList, V: y, R: r, S: s}
	case typ == types.DynamicFeeTxType:
		var d dynamicFeeTxData
		if err := rlp.DecodeBytes(data[1:], &d); err != nil {
			return nil, fmt.Errorf("%w: dynamic fee: %w", ErrInvalidTxData, err)
		}
		inner = &types.DynamicFeeTx{ChainID: chainID, Nonce: f.nonce, GasTipCap: d.GasTipCap, GasFeeCap: d.GasFeeCap, Gas: f.gas,
			To: f.to, Value: d.Value, Data: d.Data, AccessList: d.AccessList, V: y, R: r, S: s}
	case typ == types.SetCodeTxType:
		var d setCodeTxData
		if err := rlp.DecodeBytes(data[1:], &d); err != nil {
			return nil, fmt.Errorf("%w: set code: %w", ErrInvalidTxData, err)
		}
		if f.to == nil {
			return nil, fmt.Errorf("%w: set code transaction cannot create a contract", ErrInvalidTxData)
		}
		inner = &types.SetCodeTx{ChainID: uint256.MustFromBig(chainID), Nonce: f.nonce, GasTipCap: d.GasTipCap, GasFeeCap: d.GasFeeCap,
			Gas: f.gas, To: *f.to, Value: d.Value, Data: d.Data, AccessList: d.AccessList, AuthList: d.AuthList,
			V: uint256.NewInt(f.y), R: new(uint256.Int).SetBytes32(f.sig.R[:]), S: new(uint256.Int).SetBytes32(f.sig.S[:])}
	default:
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedTxType, typ)
	}
	enc, err := types.NewTx(inner).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encoding transaction: %w", err)
	}
	return enc, nil
}
