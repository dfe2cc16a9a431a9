package wire

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/rlp"

	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"

	"github.com/opalnode/opal/sdk/eth"
)

// Decoder converts protobuf values to Go values and keeps the first
// malformed field it met, so that a conversion reads as straight-line code
// followed by one error check.
type Decoder struct {
	err error
}

// Err returns the first conversion error, wrapped as eth.ErrInvalidArgument.
func (d *Decoder) Err() error {
	if d.err == nil {
		return nil
	}
	return fmt.Errorf("%w: %v", eth.ErrInvalidArgument, d.err)
}

func (d *Decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *Decoder) fixed(dst []byte, b []byte, field string) {
	if len(b) == 0 {
		return // absent: zero value
	}
	if len(b) != len(dst) {
		d.fail("%s: want %d bytes, got %d", field, len(dst), len(b))
		return
	}
	copy(dst, b)
}

func (d *Decoder) Hash(b []byte, field string) (h common.Hash) {
	d.fixed(h[:], b, field)
	return h
}

func (d *Decoder) Address(b []byte, field string) (a common.Address) {
	d.fixed(a[:], b, field)
	return a
}

func (d *Decoder) Bytes32(b []byte, field string) (v eth.Bytes32) {
	d.fixed(v[:], b, field)
	return v
}

func (d *Decoder) Bytes8(b []byte, field string) (v eth.Bytes8) {
	d.fixed(v[:], b, field)
	return v
}

func (d *Decoder) HashPtr(b []byte, field string) *common.Hash {
	if b == nil {
		return nil
	}
	h := d.Hash(b, field)
	return &h
}

func hashPtrBytes(h *common.Hash) []byte {
	if h == nil {
		return nil
	}
	return h.Bytes()
}

// BlockID

func BlockIDToProto(id eth.BlockID) *commonv1.BlockID {
	return &commonv1.BlockID{Hash: id.Hash.Bytes(), Number: id.Number}
}

func (d *Decoder) BlockID(p *commonv1.BlockID) eth.BlockID {
	if p == nil {
		return eth.BlockID{}
	}
	return eth.BlockID{Hash: d.Hash(p.Hash, "block id hash"), Number: p.Number}
}

// L1BlockRef

func L1RefToProto(r eth.L1BlockRef) *commonv1.L1BlockRef {
	return &commonv1.L1BlockRef{Hash: r.Hash.Bytes(), Number: r.Number, ParentHash: r.ParentHash.Bytes(), Time: r.Time}
}

func (d *Decoder) L1Ref(p *commonv1.L1BlockRef) eth.L1BlockRef {
	if p == nil {
		return eth.L1BlockRef{}
	}
	return eth.L1BlockRef{
		Hash:       d.Hash(p.Hash, "l1 ref hash"),
		Number:     p.Number,
		ParentHash: d.Hash(p.ParentHash, "l1 ref parent hash"),
		Time:       p.Time,
	}
}

// L2BlockRef

func L2RefToProto(r eth.L2BlockRef) *commonv1.L2BlockRef {
	return &commonv1.L2BlockRef{
		Hash: r.Hash.Bytes(), Number: r.Number, ParentHash: r.ParentHash.Bytes(), Time: r.Time,
		L1Origin: BlockIDToProto(r.L1Origin), SequenceNumber: r.SequenceNumber,
	}
}

func (d *Decoder) L2Ref(p *commonv1.L2BlockRef) eth.L2BlockRef {
	if p == nil {
		return eth.L2BlockRef{}
	}
	return eth.L2BlockRef{
		Hash:           d.Hash(p.Hash, "l2 ref hash"),
		Number:         p.Number,
		ParentHash:     d.Hash(p.ParentHash, "l2 ref parent hash"),
		Time:           p.Time,
		L1Origin:       d.BlockID(p.L1Origin),
		SequenceNumber: p.SequenceNumber,
	}
}

// BlockLabel

func LabelToProto(l eth.BlockLabel) commonv1.BlockLabel {
	switch l {
	case eth.Unsafe:
		return commonv1.BlockLabel_BLOCK_LABEL_UNSAFE
	case eth.Safe:
		return commonv1.BlockLabel_BLOCK_LABEL_SAFE
	case eth.Finalized:
		return commonv1.BlockLabel_BLOCK_LABEL_FINALIZED
	default:
		return commonv1.BlockLabel_BLOCK_LABEL_UNSPECIFIED
	}
}

func (d *Decoder) Label(p commonv1.BlockLabel) eth.BlockLabel {
	switch p {
	case commonv1.BlockLabel_BLOCK_LABEL_UNSAFE:
		return eth.Unsafe
	case commonv1.BlockLabel_BLOCK_LABEL_SAFE:
		return eth.Safe
	case commonv1.BlockLabel_BLOCK_LABEL_FINALIZED:
		return eth.Finalized
	default:
		d.fail("unknown block label %v", p)
		return 0
	}
}

// SystemConfig

func SystemConfigToProto(c eth.SystemConfig) *commonv1.SystemConfig {
	return &commonv1.SystemConfig{
		BatcherAddr:          c.BatcherAddr.Bytes(),
		Overhead:             c.Overhead[:],
		Scalar:               c.Scalar[:],
		GasLimit:             c.GasLimit,
		Eip1559Params:        c.EIP1559Params[:],
		OperatorFeeParams:    c.OperatorFeeParams[:],
		MinBaseFee:           c.MinBaseFee,
		DaFootprintGasScalar: uint32(c.DAFootprintGasScalar),
	}
}

func (d *Decoder) SystemConfig(p *commonv1.SystemConfig) eth.SystemConfig {
	if p == nil {
		return eth.SystemConfig{}
	}
	if p.DaFootprintGasScalar > 0xFFFF {
		d.fail("da footprint gas scalar %d exceeds uint16", p.DaFootprintGasScalar)
	}
	return eth.SystemConfig{
		BatcherAddr:          d.Address(p.BatcherAddr, "batcher address"),
		Overhead:             d.Bytes32(p.Overhead, "overhead"),
		Scalar:               d.Bytes32(p.Scalar, "scalar"),
		GasLimit:             p.GasLimit,
		EIP1559Params:        d.Bytes8(p.Eip1559Params, "eip1559 params"),
		OperatorFeeParams:    d.Bytes32(p.OperatorFeeParams, "operator fee params"),
		MinBaseFee:           p.MinBaseFee,
		DAFootprintGasScalar: uint16(p.DaFootprintGasScalar),
	}
}

// Withdrawals

func withdrawalsToProto(ws []*types.Withdrawal) *commonv1.Withdrawals {
	if ws == nil {
		return nil
	}
	out := &commonv1.Withdrawals{Items: make([]*commonv1.Withdrawal, len(ws))}
	for i, w := range ws {
		out.Items[i] = &commonv1.Withdrawal{Index: w.Index, Validator: w.Validator, Address: w.Address.Bytes(), Amount: w.Amount}
	}
	return out
}

func (d *Decoder) withdrawals(p *commonv1.Withdrawals) []*types.Withdrawal {
	if p == nil {
		return nil
	}
	out := make([]*types.Withdrawal, len(p.Items))
	for i, w := range p.Items {
		out[i] = &types.Withdrawal{Index: w.Index, Validator: w.Validator, Address: d.Address(w.Address, "withdrawal address"), Amount: w.Amount}
	}
	return out
}

// PayloadAttributes

func AttributesToProto(a *eth.PayloadAttributes) *commonv1.PayloadAttributes {
	if a == nil {
		return nil
	}
	p := &commonv1.PayloadAttributes{
		Timestamp:             a.Timestamp,
		PrevRandao:            a.PrevRandao.Bytes(),
		SuggestedFeeRecipient: a.SuggestedFeeRecipient.Bytes(),
		Withdrawals:           withdrawalsToProto(a.Withdrawals),
		ParentBeaconBlockRoot: hashPtrBytes(a.ParentBeaconBlockRoot),
		Transactions:          a.Transactions,
		NoTxPool:              a.NoTxPool,
		GasLimit:              a.GasLimit,
		MinBaseFee:            a.MinBaseFee,
	}
	if a.EIP1559Params != nil {
		p.Eip1559Params = a.EIP1559Params[:]
	}
	return p
}

func (d *Decoder) Attributes(p *commonv1.PayloadAttributes) *eth.PayloadAttributes {
	if p == nil {
		return nil
	}
	a := &eth.PayloadAttributes{
		Timestamp:             p.Timestamp,
		PrevRandao:            d.Hash(p.PrevRandao, "prev randao"),
		SuggestedFeeRecipient: d.Address(p.SuggestedFeeRecipient, "fee recipient"),
		Withdrawals:           d.withdrawals(p.Withdrawals),
		ParentBeaconBlockRoot: d.HashPtr(p.ParentBeaconBlockRoot, "parent beacon block root"),
		Transactions:          p.Transactions,
		NoTxPool:              p.NoTxPool,
		GasLimit:              p.GasLimit,
		MinBaseFee:            p.MinBaseFee,
	}
	if p.Eip1559Params != nil {
		v := d.Bytes8(p.Eip1559Params, "eip1559 params")
		a.EIP1559Params = &v
	}
	return a
}

// ExecutionPayload

func PayloadToProto(e *eth.ExecutionPayload) *commonv1.ExecutionPayload {
	if e == nil {
		return nil
	}
	p := &commonv1.ExecutionPayload{
		ParentHash:      e.ParentHash.Bytes(),
		FeeRecipient:    e.FeeRecipient.Bytes(),
		StateRoot:       e.StateRoot.Bytes(),
		ReceiptsRoot:    e.ReceiptsRoot.Bytes(),
		LogsBloom:       e.LogsBloom.Bytes(),
		PrevRandao:      e.PrevRandao.Bytes(),
		BlockNumber:     e.BlockNumber,
		GasLimit:        e.GasLimit,
		GasUsed:         e.GasUsed,
		Timestamp:       e.Timestamp,
		ExtraData:       e.ExtraData,
		BlockHash:       e.BlockHash.Bytes(),
		Transactions:    e.Transactions,
		Withdrawals:     withdrawalsToProto(e.Withdrawals),
		BlobGasUsed:     e.BlobGasUsed,
		ExcessBlobGas:   e.ExcessBlobGas,
		WithdrawalsRoot: hashPtrBytes(e.WithdrawalsRoot),
	}
	if e.BaseFeePerGas != nil {
		p.BaseFeePerGas = e.BaseFeePerGas.Bytes()
	}
	return p
}

func (d *Decoder) Payload(p *commonv1.ExecutionPayload) *eth.ExecutionPayload {
	if p == nil {
		return nil
	}
	e := &eth.ExecutionPayload{
		ParentHash:      d.Hash(p.ParentHash, "parent hash"),
		FeeRecipient:    d.Address(p.FeeRecipient, "fee recipient"),
		StateRoot:       d.Hash(p.StateRoot, "state root"),
		ReceiptsRoot:    d.Hash(p.ReceiptsRoot, "receipts root"),
		PrevRandao:      d.Hash(p.PrevRandao, "prev randao"),
		BlockNumber:     p.BlockNumber,
		GasLimit:        p.GasLimit,
		GasUsed:         p.GasUsed,
		Timestamp:       p.Timestamp,
		ExtraData:       p.ExtraData,
		BaseFeePerGas:   new(big.Int).SetBytes(p.BaseFeePerGas),
		BlockHash:       d.Hash(p.BlockHash, "block hash"),
		Transactions:    p.Transactions,
		Withdrawals:     d.withdrawals(p.Withdrawals),
		BlobGasUsed:     p.BlobGasUsed,
		ExcessBlobGas:   p.ExcessBlobGas,
		WithdrawalsRoot: d.HashPtr(p.WithdrawalsRoot, "withdrawals root"),
	}
	d.fixed(e.LogsBloom[:], p.LogsBloom, "logs bloom")
	return e
}

func EnvelopeToProto(e *eth.ExecutionPayloadEnvelope) *commonv1.ExecutionPayloadEnvelope {
	if e == nil {
		return nil
	}
	return &commonv1.ExecutionPayloadEnvelope{
		ParentBeaconBlockRoot: hashPtrBytes(e.ParentBeaconBlockRoot),
		ExecutionPayload:      PayloadToProto(e.ExecutionPayload),
	}
}

func (d *Decoder) Envelope(p *commonv1.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
	if p == nil {
		return nil
	}
	e := &eth.ExecutionPayloadEnvelope{
		ParentBeaconBlockRoot: d.HashPtr(p.ParentBeaconBlockRoot, "parent beacon block root"),
		ExecutionPayload:      d.Payload(p.ExecutionPayload),
	}
	if e.ExecutionPayload == nil {
		d.fail("envelope without payload")
	}
	return e
}

// L1BlockData

func L1BlockDataToProto(b *eth.L1BlockData) (*commonv1.L1BlockData, error) {
	if b == nil {
		return nil, nil
	}
	header, err := rlp.EncodeToBytes(b.Header)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	p := &commonv1.L1BlockData{Header: header}
	p.BatcherTxs = make([]*commonv1.L1Tx, len(b.BatcherTxs))
	for i, tx := range b.BatcherTxs {
		p.BatcherTxs[i] = &commonv1.L1Tx{Index: tx.Index, Raw: tx.Raw}
	}
	p.Receipts = make([]*commonv1.Receipt, len(b.Receipts))
	for i, r := range b.Receipts {
		pr := &commonv1.Receipt{TxIndex: r.TxIndex, Status: r.Status, Logs: make([]*commonv1.Log, len(r.Logs))}
		for j, l := range r.Logs {
			topics := make([][]byte, len(l.Topics))
			for k, t := range l.Topics {
				topics[k] = t.Bytes()
			}
			pr.Logs[j] = &commonv1.Log{Address: l.Address.Bytes(), Topics: topics, Data: l.Data, Index: l.Index}
		}
		p.Receipts[i] = pr
	}
	p.Blobs = make([]*commonv1.Blob, len(b.Blobs))
	for i, bl := range b.Blobs {
		p.Blobs[i] = &commonv1.Blob{VersionedHash: bl.VersionedHash.Bytes(), Data: bl.Data[:]}
	}
	return p, nil
}

func (d *Decoder) L1BlockData(p *commonv1.L1BlockData) *eth.L1BlockData {
	if p == nil {
		return nil
	}
	var header types.Header
	if err := rlp.DecodeBytes(p.Header, &header); err != nil {
		d.fail("l1 header: %v", err)
		return nil
	}
	b := &eth.L1BlockData{Header: &header}
	b.BatcherTxs = make([]eth.L1Tx, len(p.BatcherTxs))
	for i, tx := range p.BatcherTxs {
		b.BatcherTxs[i] = eth.L1Tx{Index: tx.Index, Raw: tx.Raw}
	}
	b.Receipts = make([]eth.Receipt, len(p.Receipts))
	for i, r := range p.Receipts {
		er := eth.Receipt{TxIndex: r.TxIndex, Status: r.Status, Logs: make([]eth.Log, len(r.Logs))}
		for j, l := range r.Logs {
			topics := make([]common.Hash, len(l.Topics))
			for k, t := range l.Topics {
				topics[k] = d.Hash(t, "log topic")
			}
			er.Logs[j] = eth.Log{Address: d.Address(l.Address, "log address"), Topics: topics, Data: l.Data, Index: l.Index}
		}
		b.Receipts[i] = er
	}
	b.Blobs = make([]eth.Blob, len(p.Blobs))
	for i, bl := range p.Blobs {
		var blob kzg4844.Blob
		d.fixed(blob[:], bl.Data, "blob")
		b.Blobs[i] = eth.Blob{VersionedHash: d.Hash(bl.VersionedHash, "blob versioned hash"), Data: &blob}
	}
	return b
}
