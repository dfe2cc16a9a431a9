package eth

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// PayloadAttributes are the inputs for building an L2 block: the Engine API
// attributes with the OP extensions. A nil pointer field is absent (the fork
// does not have it); the engine client picks the method version from the
// timestamp.
type PayloadAttributes struct {
	Timestamp             uint64         `json:"timestamp"`
	PrevRandao            common.Hash    `json:"prevRandao"`
	SuggestedFeeRecipient common.Address `json:"suggestedFeeRecipient"`
	// Withdrawals is nil before Canyon and empty (non-nil) from Canyon.
	Withdrawals           []*types.Withdrawal `json:"withdrawals"`
	ParentBeaconBlockRoot *common.Hash        `json:"parentBeaconBlockRoot"`
	// Transactions are EIP-2718 encoded; deposits first.
	Transactions [][]byte `json:"transactions"`
	NoTxPool     bool     `json:"noTxPool"`
	GasLimit     *uint64  `json:"gasLimit"`
	// EIP1559Params is set from Holocene (zero on the activation block).
	EIP1559Params *Bytes8 `json:"eip1559Params"`
	// MinBaseFee is set from Jovian.
	MinBaseFee *uint64 `json:"minBaseFee"`
}

// IsDepositTx reports whether an encoded transaction is a deposit (0x7E).
func IsDepositTx(tx []byte) bool { return len(tx) > 0 && tx[0] == DepositTxType }

// DepositTxType is the EIP-2718 type byte of a deposit transaction.
const DepositTxType = 0x7E

// DepositsOnly returns a copy of the attributes keeping only the deposit
// transactions: the Holocene replacement for an invalid payload.
func (a *PayloadAttributes) DepositsOnly() *PayloadAttributes {
	out := *a
	out.Transactions = nil
	for _, tx := range a.Transactions {
		if IsDepositTx(tx) {
			out.Transactions = append(out.Transactions, tx)
		}
	}
	out.NoTxPool = true
	return &out
}

// ExecutionPayload is an L2 block as the Engine API carries it.
type ExecutionPayload struct {
	ParentHash    common.Hash         `json:"parentHash"`
	FeeRecipient  common.Address      `json:"feeRecipient"`
	StateRoot     common.Hash         `json:"stateRoot"`
	ReceiptsRoot  common.Hash         `json:"receiptsRoot"`
	LogsBloom     types.Bloom         `json:"logsBloom"`
	PrevRandao    common.Hash         `json:"prevRandao"`
	BlockNumber   uint64              `json:"blockNumber"`
	GasLimit      uint64              `json:"gasLimit"`
	GasUsed       uint64              `json:"gasUsed"`
	Timestamp     uint64              `json:"timestamp"`
	ExtraData     []byte              `json:"extraData"`
	BaseFeePerGas *big.Int            `json:"baseFeePerGas"`
	BlockHash     common.Hash         `json:"blockHash"`
	Transactions  [][]byte            `json:"transactions"`
	Withdrawals   []*types.Withdrawal `json:"withdrawals"`
	BlobGasUsed   *uint64             `json:"blobGasUsed"`
	ExcessBlobGas *uint64             `json:"excessBlobGas"`
	// WithdrawalsRoot is the L2ToL1MessagePasser storage root, from Isthmus.
	WithdrawalsRoot *common.Hash `json:"withdrawalsRoot"`
}

// ID returns the payload's block id.
func (p *ExecutionPayload) ID() BlockID { return BlockID{Hash: p.BlockHash, Number: p.BlockNumber} }

// ExecutionPayloadEnvelope is a payload with the beacon root it was built on
// (from Ecotone).
type ExecutionPayloadEnvelope struct {
	ParentBeaconBlockRoot *common.Hash      `json:"parentBeaconBlockRoot,omitempty"`
	ExecutionPayload      *ExecutionPayload `json:"executionPayload"`
}
