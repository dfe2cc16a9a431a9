package engine

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	sdkengine "github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
)

// The Engine API's JSON shapes, written here rather than taken from
// go-ethereum's beacon/engine: upstream go-ethereum lacks the OP fields
// (transactions, noTxPool, gasLimit, eip1559Params, minBaseFee,
// withdrawalsRoot) and this plugin must build against it as well as op-geth.

// wireAttributes is PayloadAttributesV1..V3 with the OP extensions.
type wireAttributes struct {
	Timestamp             hexutil.Uint64 `json:"timestamp"`
	PrevRandao            common.Hash    `json:"prevRandao"`
	SuggestedFeeRecipient common.Address `json:"suggestedFeeRecipient"`
	// Withdrawals has no omitempty: from Canyon it must be present and
	// empty ([]), before Canyon it must be absent or null.
	Withdrawals           []*types.Withdrawal `json:"withdrawals"`
	ParentBeaconBlockRoot *common.Hash        `json:"parentBeaconBlockRoot,omitempty"`
	Transactions          []hexutil.Bytes     `json:"transactions,omitempty"`
	NoTxPool              bool                `json:"noTxPool,omitempty"`
	GasLimit              *hexutil.Uint64     `json:"gasLimit,omitempty"`
	EIP1559Params         *hexutil.Bytes      `json:"eip1559Params,omitempty"`
	// MinBaseFee is a plain JSON number: op-geth decodes it without a hex
	// override and refuses a hex string.
	MinBaseFee *uint64 `json:"minBaseFee,omitempty"`
}

func attributesToWire(a *eth.PayloadAttributes) *wireAttributes {
	if a == nil {
		return nil
	}
	w := &wireAttributes{
		Timestamp:             hexutil.Uint64(a.Timestamp),
		PrevRandao:            a.PrevRandao,
		SuggestedFeeRecipient: a.SuggestedFeeRecipient,
		Withdrawals:           a.Withdrawals,
		ParentBeaconBlockRoot: a.ParentBeaconBlockRoot,
		NoTxPool:              a.NoTxPool,
		MinBaseFee:            a.MinBaseFee,
	}
	for _, tx := range a.Transactions {
		w.Transactions = append(w.Transactions, tx)
	}
	if a.GasLimit != nil {
		g := hexutil.Uint64(*a.GasLimit)
		w.GasLimit = &g
	}
	if a.EIP1559Params != nil {
		p := hexutil.Bytes(a.EIP1559Params[:])
		w.EIP1559Params = &p
	}
	return w
}

// wirePayload is ExecutionPayloadV1..V3 with OP's withdrawalsRoot.
type wirePayload struct {
	ParentHash    common.Hash         `json:"parentHash"`
	FeeRecipient  common.Address      `json:"feeRecipient"`
	StateRoot     common.Hash         `json:"stateRoot"`
	ReceiptsRoot  common.Hash         `json:"receiptsRoot"`
	LogsBloom     types.Bloom         `json:"logsBloom"`
	PrevRandao    common.Hash         `json:"prevRandao"`
	BlockNumber   hexutil.Uint64      `json:"blockNumber"`
	GasLimit      hexutil.Uint64      `json:"gasLimit"`
	GasUsed       hexutil.Uint64      `json:"gasUsed"`
	Timestamp     hexutil.Uint64      `json:"timestamp"`
	ExtraData     hexutil.Bytes       `json:"extraData"`
	BaseFeePerGas *hexutil.Big        `json:"baseFeePerGas"`
	BlockHash     common.Hash         `json:"blockHash"`
	Transactions  []hexutil.Bytes     `json:"transactions"`
	Withdrawals   []*types.Withdrawal `json:"withdrawals"`
	// The blob gas fields must be absent before Ecotone (geth refuses them
	// in newPayloadV2) and present from Ecotone.
	BlobGasUsed     *hexutil.Uint64 `json:"blobGasUsed,omitempty"`
	ExcessBlobGas   *hexutil.Uint64 `json:"excessBlobGas,omitempty"`
	WithdrawalsRoot *common.Hash    `json:"withdrawalsRoot,omitempty"`
}

func payloadToWire(p *eth.ExecutionPayload) *wirePayload {
	w := &wirePayload{
		ParentHash:      p.ParentHash,
		FeeRecipient:    p.FeeRecipient,
		StateRoot:       p.StateRoot,
		ReceiptsRoot:    p.ReceiptsRoot,
		LogsBloom:       p.LogsBloom,
		PrevRandao:      p.PrevRandao,
		BlockNumber:     hexutil.Uint64(p.BlockNumber),
		GasLimit:        hexutil.Uint64(p.GasLimit),
		GasUsed:         hexutil.Uint64(p.GasUsed),
		Timestamp:       hexutil.Uint64(p.Timestamp),
		ExtraData:       p.ExtraData,
		BaseFeePerGas:   (*hexutil.Big)(p.BaseFeePerGas),
		BlockHash:       p.BlockHash,
		Transactions:    make([]hexutil.Bytes, len(p.Transactions)),
		Withdrawals:     p.Withdrawals,
		BlobGasUsed:     (*hexutil.Uint64)(p.BlobGasUsed),
		ExcessBlobGas:   (*hexutil.Uint64)(p.ExcessBlobGas),
		WithdrawalsRoot: p.WithdrawalsRoot,
	}
	if w.ExtraData == nil {
		w.ExtraData = hexutil.Bytes{}
	}
	for i, tx := range p.Transactions {
		w.Transactions[i] = tx
	}
	return w
}

// toEth converts a payload the engine returned, checking what JSON alone
// cannot: the fields every payload has.
func (w *wirePayload) toEth() (*eth.ExecutionPayload, error) {
	if w.BaseFeePerGas == nil {
		return nil, fmt.Errorf("payload %s has no baseFeePerGas", w.BlockHash)
	}
	p := &eth.ExecutionPayload{
		ParentHash:      w.ParentHash,
		FeeRecipient:    w.FeeRecipient,
		StateRoot:       w.StateRoot,
		ReceiptsRoot:    w.ReceiptsRoot,
		LogsBloom:       w.LogsBloom,
		PrevRandao:      w.PrevRandao,
		BlockNumber:     uint64(w.BlockNumber),
		GasLimit:        uint64(w.GasLimit),
		GasUsed:         uint64(w.GasUsed),
		Timestamp:       uint64(w.Timestamp),
		ExtraData:       w.ExtraData,
		BaseFeePerGas:   w.BaseFeePerGas.ToInt(),
		BlockHash:       w.BlockHash,
		Transactions:    make([][]byte, len(w.Transactions)),
		Withdrawals:     w.Withdrawals,
		BlobGasUsed:     (*uint64)(w.BlobGasUsed),
		ExcessBlobGas:   (*uint64)(w.ExcessBlobGas),
		WithdrawalsRoot: w.WithdrawalsRoot,
	}
	for i, tx := range w.Transactions {
		p.Transactions[i] = tx
	}
	return p, nil
}

// wireEnvelope is the getPayloadV2..V5 response. blockValue, blobsBundle,
// executionRequests and shouldOverrideBuilder are not used by a rollup
// (no blobs, no EL requests on OP) and are left undecoded.
type wireEnvelope struct {
	ExecutionPayload      *wirePayload `json:"executionPayload"`
	ParentBeaconBlockRoot *common.Hash `json:"parentBeaconBlockRoot"`
}

// wireStatus is PayloadStatusV1.
type wireStatus struct {
	Status          string       `json:"status"`
	LatestValidHash *common.Hash `json:"latestValidHash"`
	ValidationError *string      `json:"validationError"`
}

func (w *wireStatus) toEth() (sdkengine.PayloadStatus, error) {
	s := sdkengine.PayloadStatus{LatestValidHash: w.LatestValidHash}
	if w.ValidationError != nil {
		s.ValidationError = *w.ValidationError
	}
	switch w.Status {
	case "VALID":
		s.Status = sdkengine.StatusValid
	case "INVALID":
		s.Status = sdkengine.StatusInvalid
	case "SYNCING":
		s.Status = sdkengine.StatusSyncing
	case "ACCEPTED":
		s.Status = sdkengine.StatusAccepted
	case "INVALID_BLOCK_HASH":
		s.Status = sdkengine.StatusInvalidBlockHash
	default:
		return s, fmt.Errorf("unknown payload status %q", w.Status)
	}
	return s, nil
}

// wireForkchoiceState is ForkchoiceStateV1.
type wireForkchoiceState struct {
	Head      common.Hash `json:"headBlockHash"`
	Safe      common.Hash `json:"safeBlockHash"`
	Finalized common.Hash `json:"finalizedBlockHash"`
}

// wireForkchoiceResult is the forkchoiceUpdated response.
type wireForkchoiceResult struct {
	PayloadStatus wireStatus     `json:"payloadStatus"`
	PayloadID     *hexutil.Bytes `json:"payloadId"`
}
