package batch

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/plugins/deriver/postexec"
)

// SpanBlock is one L2 block handed to NewSpan: its singular batch plus its
// sequence number within its epoch. The sequence number of the first block
// decides its origin bit (0 means the block starts a new epoch); the others
// follow from the epoch numbers.
type SpanBlock struct {
	Singular
	SeqNum uint64
}

// NewSpan builds a span batch from consecutive L2 blocks, as a batcher does.
// Every transaction must be a signed legacy, access list, dynamic fee or set
// code transaction, or a post-exec transaction (0x7D); protected ones must be for chainID, since derivation
// restores v from it. Epochs may only stay or advance by one per block, the
// only change an origin bit can express, and timestamps must be evenly
// spaced (by the chain's block time, which derivation assumes).
func NewSpan(blocks []SpanBlock, genesisTime uint64, chainID *big.Int) (*Span, error) {
	if len(blocks) == 0 {
		return nil, ErrEmptySpan
	}
	if len(blocks) > MaxSpanBatchElementCount {
		return nil, fmt.Errorf("%d blocks: %w", len(blocks), ErrTooManyElements)
	}
	if chainID == nil || chainID.Sign() <= 0 {
		return nil, fmt.Errorf("building span batch: invalid chain id %v", chainID)
	}
	first, last := &blocks[0], &blocks[len(blocks)-1]
	if first.Timestamp < genesisTime {
		return nil, fmt.Errorf("building span batch: first block time %d before genesis %d", first.Timestamp, genesisTime)
	}
	s := &Span{
		RelTimestamp:  first.Timestamp - genesisTime,
		L1OriginNum:   last.EpochNum,
		OriginBits:    NewBits(len(blocks)),
		BlockTxCounts: make([]uint64, len(blocks)),
	}
	copy(s.ParentCheck[:], first.ParentHash[:20])
	copy(s.L1OriginCheck[:], last.EpochHash[:20])

	var total int
	for i := range blocks {
		b := &blocks[i]
		if i == 0 {
			s.OriginBits.Set(0, b.SeqNum == 0)
		} else {
			prev := &blocks[i-1]
			if b.Timestamp <= prev.Timestamp {
				return nil, fmt.Errorf("building span batch: block %d time %d not after %d", i, b.Timestamp, prev.Timestamp)
			}
			// A span only stores the first timestamp; derivation spaces the
			// rest by the block time, so uneven spacing cannot round-trip.
			if i > 1 && b.Timestamp-prev.Timestamp != blocks[1].Timestamp-first.Timestamp {
				return nil, fmt.Errorf("building span batch: block %d time %d breaks the spacing of %d", i, b.Timestamp, blocks[1].Timestamp-first.Timestamp)
			}
			switch b.EpochNum {
			case prev.EpochNum:
			case prev.EpochNum + 1:
				s.OriginBits.Set(i, true)
			default:
				return nil, fmt.Errorf("building span batch: block %d epoch %d does not follow %d", i, b.EpochNum, prev.EpochNum)
			}
		}
		s.BlockTxCounts[i] = uint64(len(b.Transactions))
		total += len(b.Transactions)
	}
	if total > MaxSpanBatchElementCount {
		return nil, fmt.Errorf("%d txs: %w", total, ErrTooManyElements)
	}

	t := &s.Txs
	t.ContractCreationBits = NewBits(total)
	t.YParityBits = NewBits(total)
	t.Sigs = make([]Signature, 0, total)
	t.Datas = make([][]byte, 0, total)
	t.Nonces = make([]uint64, 0, total)
	t.Gases = make([]uint64, 0, total)
	var protected []bool
	idx := 0
	for bi := range blocks {
		for ti, raw := range blocks[bi].Transactions {
			p, err := t.add(idx, raw, chainID)
			if err != nil {
				return nil, fmt.Errorf("building span batch: block %d tx %d: %w", bi, ti, err)
			}
			if p != nil {
				protected = append(protected, *p)
			}
			idx++
		}
	}
	t.ProtectedBits = NewBits(len(protected))
	for i, p := range protected {
		t.ProtectedBits.Set(i, p)
	}
	return s, nil
}

// add appends transaction idx to the columns. For a legacy transaction it
// returns whether it is protected.
func (t *SpanTxs) add(idx int, raw []byte, chainID *big.Int) (*bool, error) {
	if len(raw) > 0 && raw[0] == postexec.TxType {
		return nil, t.addPostExec(idx, raw)
	}
	var tx types.Transaction
	if err := tx.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("decoding transaction: %w", err)
	}
	v, r, s := tx.RawSignatureValues()
	var sig Signature
	if r.Sign() < 0 || s.Sign() < 0 || r.BitLen() > 256 || s.BitLen() > 256 {
		return nil, fmt.Errorf("signature values do not fit 256 bits")
	}
	r.FillBytes(sig.R[:])
	s.FillBytes(sig.S[:])

	var (
		data      []byte
		err       error
		protected *bool
		y         uint64
	)
	switch tx.Type() {
	case types.LegacyTxType:
		p := tx.Protected()
		protected = &p
		base := big.NewInt(27)
		if p {
			base = new(big.Int).Add(new(big.Int).Lsh(chainID, 1), big.NewInt(35))
		}
		yb := new(big.Int).Sub(v, base)
		if !yb.IsUint64() || yb.Uint64() > 1 {
			if p {
				return nil, fmt.Errorf("legacy v %v does not match chain id %v", v, chainID)
			}
			return nil, fmt.Errorf("invalid legacy v %v", v)
		}
		y = yb.Uint64()
		data, err = rlp.EncodeToBytes(&legacyTxData{Value: tx.Value(), GasPrice: tx.GasPrice(), Data: tx.Data()})
	case types.AccessListTxType, types.DynamicFeeTxType, types.SetCodeTxType:
		if tx.ChainId().Cmp(chainID) != 0 {
			return nil, fmt.Errorf("transaction chain id %v, want %v", tx.ChainId(), chainID)
		}
		if !v.IsUint64() || v.Uint64() > 1 {
			return nil, fmt.Errorf("invalid y parity %v", v)
		}
		y = v.Uint64()
		data, err = encodeTypedTxData(&tx)
	default:
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedTxType, tx.Type())
	}
	if err != nil {
		return nil, fmt.Errorf("encoding tx data: %w", err)
	}

	if to := tx.To(); to == nil {
		t.ContractCreationBits.Set(idx, true)
	} else {
		t.Tos = append(t.Tos, *to)
	}
	t.YParityBits.Set(idx, y == 1)
	t.Sigs = append(t.Sigs, sig)
	t.Datas = append(t.Datas, data)
	t.Nonces = append(t.Nonces, tx.Nonce())
	t.Gases = append(t.Gases, tx.Gas())
	return protected, nil
}

// addPostExec appends a post-exec transaction: its whole encoding is its
// tx_data, and it is marked a contract creation with a zero signature, nonce
// and gas (it has none of these).
func (t *SpanTxs) addPostExec(idx int, raw []byte) error {
	if _, err := postexec.Decode(raw); err != nil {
		return err
	}
	t.ContractCreationBits.Set(idx, true)
	t.Sigs = append(t.Sigs, Signature{})
	t.Datas = append(t.Datas, append([]byte(nil), raw...))
	t.Nonces = append(t.Nonces, 0)
	t.Gases = append(t.Gases, 0)
	return nil
}

func encodeTypedTxData(tx *types.Transaction) ([]byte, error) {
	var payload any
	switch tx.Type() {
	case types.AccessListTxType:
		payload = &accessListTxData{Value: tx.Value(), GasPrice: tx.GasPrice(), Data: tx.Data(), AccessList: tx.AccessList()}
	case types.DynamicFeeTxType:
		payload = &dynamicFeeTxData{Value: tx.Value(), GasTipCap: tx.GasTipCap(), GasFeeCap: tx.GasFeeCap(), Data: tx.Data(), AccessList: tx.AccessList()}
	case types.SetCodeTxType:
		payload = &setCodeTxData{Value: uint256.MustFromBig(tx.Value()), GasTipCap: uint256.MustFromBig(tx.GasTipCap()),
			GasFeeCap: uint256.MustFromBig(tx.GasFeeCap()), Data: tx.Data(), AccessList: tx.AccessList(), AuthList: tx.SetCodeAuthorizations()}
	}
	enc, err := rlp.EncodeToBytes(payload)
	if err != nil {
		return nil, err
	}
	return append([]byte{tx.Type()}, enc...), nil
}
