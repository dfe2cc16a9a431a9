package eth

import (
	"encoding/json"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// The JSON of payloads and attributes is the Engine API's, as op-node
// writes and reads it (admin_postUnsafePayload, the RPC, replay output):
// quantities and byte strings in 0x-hex, optional fields left out.

type attributesJSON struct {
	Timestamp             hexutil.Uint64      `json:"timestamp"`
	PrevRandao            common.Hash         `json:"prevRandao"`
	SuggestedFeeRecipient common.Address      `json:"suggestedFeeRecipient"`
	Withdrawals           []*types.Withdrawal `json:"withdrawals,omitempty"`
	ParentBeaconBlockRoot *common.Hash        `json:"parentBeaconBlockRoot,omitempty"`
	Transactions          []hexutil.Bytes     `json:"transactions,omitempty"`
	NoTxPool              bool                `json:"noTxPool,omitempty"`
	GasLimit              *hexutil.Uint64     `json:"gasLimit,omitempty"`
	EIP1559Params         *Bytes8             `json:"eip1559Params,omitempty"`
	MinBaseFee            *hexutil.Uint64     `json:"minBaseFee,omitempty"`
}

// MarshalJSON writes the Engine API form. Withdrawals are written when
// non-nil, so that Canyon's empty list stays [] and pre-Canyon's nil
// stays absent.
func (a PayloadAttributes) MarshalJSON() ([]byte, error) {
	j := attributesJSON{
		Timestamp: hexutil.Uint64(a.Timestamp), PrevRandao: a.PrevRandao, SuggestedFeeRecipient: a.SuggestedFeeRecipient,
		ParentBeaconBlockRoot: a.ParentBeaconBlockRoot, Transactions: toHexBytes(a.Transactions), NoTxPool: a.NoTxPool,
		GasLimit: (*hexutil.Uint64)(a.GasLimit), EIP1559Params: a.EIP1559Params, MinBaseFee: (*hexutil.Uint64)(a.MinBaseFee),
	}
	if a.Withdrawals == nil {
		return json.Marshal(j)
	}
	// omitempty would drop an empty list: write it explicitly.
	type withWithdrawals struct {
		attributesJSON
		Withdrawals []*types.Withdrawal `json:"withdrawals"`
	}
	return json.Marshal(withWithdrawals{attributesJSON: j, Withdrawals: a.Withdrawals})
}

// UnmarshalJSON reads the Engine API form.
func (a *PayloadAttributes) UnmarshalJSON(data []byte) error {
	var j attributesJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*a = PayloadAttributes{
		Timestamp: uint64(j.Timestamp), PrevRandao: j.PrevRandao, SuggestedFeeRecipient: j.SuggestedFeeRecipient,
		Withdrawals: j.Withdrawals, ParentBeaconBlockRoot: j.ParentBeaconBlockRoot, Transactions: fromHexBytes(j.Transactions),
		NoTxPool: j.NoTxPool, GasLimit: (*uint64)(j.GasLimit), EIP1559Params: j.EIP1559Params, MinBaseFee: (*uint64)(j.MinBaseFee),
	}
	return nil
}

type payloadJSON struct {
	ParentHash      common.Hash         `json:"parentHash"`
	FeeRecipient    common.Address      `json:"feeRecipient"`
	StateRoot       common.Hash         `json:"stateRoot"`
	ReceiptsRoot    common.Hash         `json:"receiptsRoot"`
	LogsBloom       types.Bloom         `json:"logsBloom"`
	PrevRandao      common.Hash         `json:"prevRandao"`
	BlockNumber     hexutil.Uint64      `json:"blockNumber"`
	GasLimit        hexutil.Uint64      `json:"gasLimit"`
	GasUsed         hexutil.Uint64      `json:"gasUsed"`
	Timestamp       hexutil.Uint64      `json:"timestamp"`
	ExtraData       hexutil.Bytes       `json:"extraData"`
	BaseFeePerGas   *hexutil.Big        `json:"baseFeePerGas"`
	BlockHash       common.Hash         `json:"blockHash"`
	Transactions    []hexutil.Bytes     `json:"transactions"`
	Withdrawals     []*types.Withdrawal `json:"withdrawals,omitempty"`
	BlobGasUsed     *hexutil.Uint64     `json:"blobGasUsed,omitempty"`
	ExcessBlobGas   *hexutil.Uint64     `json:"excessBlobGas,omitempty"`
	WithdrawalsRoot *common.Hash        `json:"withdrawalsRoot,omitempty"`
}

// MarshalJSON writes the Engine API form (ExecutionPayloadV1..V3 with
// op-node's withdrawalsRoot). Withdrawals are written when non-nil.
func (p ExecutionPayload) MarshalJSON() ([]byte, error) {
	base := p.BaseFeePerGas
	if base == nil {
		base = new(big.Int)
	}
	txs := toHexBytes(p.Transactions)
	if txs == nil {
		txs = []hexutil.Bytes{} // required, even when empty
	}
	j := payloadJSON{
		ParentHash: p.ParentHash, FeeRecipient: p.FeeRecipient, StateRoot: p.StateRoot, ReceiptsRoot: p.ReceiptsRoot,
		LogsBloom: p.LogsBloom, PrevRandao: p.PrevRandao, BlockNumber: hexutil.Uint64(p.BlockNumber),
		GasLimit: hexutil.Uint64(p.GasLimit), GasUsed: hexutil.Uint64(p.GasUsed), Timestamp: hexutil.Uint64(p.Timestamp),
		ExtraData: p.ExtraData, BaseFeePerGas: (*hexutil.Big)(base), BlockHash: p.BlockHash, Transactions: txs,
		BlobGasUsed: (*hexutil.Uint64)(p.BlobGasUsed), ExcessBlobGas: (*hexutil.Uint64)(p.ExcessBlobGas),
		WithdrawalsRoot: p.WithdrawalsRoot,
	}
	if j.ExtraData == nil {
		j.ExtraData = hexutil.Bytes{}
	}
	if p.Withdrawals == nil {
		return json.Marshal(j)
	}
	type withWithdrawals struct {
		payloadJSON
		Withdrawals []*types.Withdrawal `json:"withdrawals"`
	}
	return json.Marshal(withWithdrawals{payloadJSON: j, Withdrawals: p.Withdrawals})
}

// UnmarshalJSON reads the Engine API form; the fields every payload has
// are required.
func (p *ExecutionPayload) UnmarshalJSON(data []byte) error {
	var present map[string]json.RawMessage
	if err := json.Unmarshal(data, &present); err != nil {
		return err
	}
	for _, k := range []string{"parentHash", "feeRecipient", "stateRoot", "receiptsRoot", "logsBloom", "prevRandao",
		"blockNumber", "gasLimit", "gasUsed", "timestamp", "extraData", "baseFeePerGas", "blockHash", "transactions"} {
		if _, ok := present[k]; !ok {
			return errors.New("execution payload: missing required field " + k)
		}
	}
	var j payloadJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*p = ExecutionPayload{
		ParentHash: j.ParentHash, FeeRecipient: j.FeeRecipient, StateRoot: j.StateRoot, ReceiptsRoot: j.ReceiptsRoot,
		LogsBloom: j.LogsBloom, PrevRandao: j.PrevRandao, BlockNumber: uint64(j.BlockNumber), GasLimit: uint64(j.GasLimit),
		GasUsed: uint64(j.GasUsed), Timestamp: uint64(j.Timestamp), ExtraData: j.ExtraData,
		BaseFeePerGas: (*big.Int)(j.BaseFeePerGas), BlockHash: j.BlockHash, Transactions: fromHexBytes(j.Transactions),
		Withdrawals: j.Withdrawals, BlobGasUsed: (*uint64)(j.BlobGasUsed), ExcessBlobGas: (*uint64)(j.ExcessBlobGas),
		WithdrawalsRoot: j.WithdrawalsRoot,
	}
	if p.Transactions == nil {
		p.Transactions = [][]byte{}
	}
	return nil
}

func toHexBytes(bs [][]byte) []hexutil.Bytes {
	if bs == nil {
		return nil
	}
	out := make([]hexutil.Bytes, len(bs))
	for i, b := range bs {
		out[i] = b
	}
	return out
}

func fromHexBytes(bs []hexutil.Bytes) [][]byte {
	if bs == nil {
		return nil
	}
	out := make([][]byte, len(bs))
	for i, b := range bs {
		out[i] = b
	}
	return out
}
