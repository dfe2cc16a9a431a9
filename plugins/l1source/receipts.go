package l1source

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// receiptMethod is one way of reading a block's receipts; a set of them is
// a bit mask. The kinds and their preferences are op-node's
// (op-service/sources receipts methods), so that --l1.rpckind picks what it
// picks there.
type receiptMethod uint32

const (
	perTxReceipts    receiptMethod = 1 << iota // eth_getTransactionReceipt, batched: every endpoint has it
	ethBlockReceipts                           // eth_getBlockReceipts
	debugRawReceipts                           // debug_getRawReceipts (consensus encoding)
	alchemyReceipts                            // alchemy_getTransactionReceipts
	parityReceipts                             // parity_getBlockReceipts (Parity, Nethermind)
	erigonReceipts                             // erigon_getBlockReceiptsByBlockHash
)

func (m receiptMethod) String() string {
	switch m {
	case perTxReceipts:
		return "eth_getTransactionReceipt"
	case ethBlockReceipts:
		return "eth_getBlockReceipts"
	case debugRawReceipts:
		return "debug_getRawReceipts"
	case alchemyReceipts:
		return "alchemy_getTransactionReceipts"
	case parityReceipts:
		return "parity_getBlockReceipts"
	case erigonReceipts:
		return "erigon_getBlockReceiptsByBlockHash"
	}
	return fmt.Sprintf("receipt methods %#x", uint32(m))
}

// rpcKinds are the values of rpc_kind (op-node's --l1.rpckind).
var rpcKinds = []string{"standard", "basic", "any", "alchemy", "quicknode", "infura", "parity", "nethermind", "debug_geth", "erigon"}

// receiptMethods are the methods a kind of endpoint offers, as op-node's
// AvailableReceiptsFetchingMethods has them. For erigon op-node has used
// both erigon_getBlockReceiptsByBlockHash and, later, eth_getBlockReceipts;
// opal offers both (eth_getBlockReceipts first, see pickReceiptMethod), so
// an erigon without one falls back to the other before going per
// transaction.
func receiptMethods(kind string) (receiptMethod, bool) {
	switch kind {
	case "", "standard":
		return ethBlockReceipts | perTxReceipts, true
	case "basic", "infura":
		return perTxReceipts, true
	case "alchemy":
		return alchemyReceipts | ethBlockReceipts | perTxReceipts, true
	case "quicknode":
		return debugRawReceipts | ethBlockReceipts | perTxReceipts, true
	case "parity", "nethermind":
		return parityReceipts | perTxReceipts, true
	case "debug_geth":
		return debugRawReceipts | perTxReceipts, true
	case "erigon":
		return ethBlockReceipts | erigonReceipts | perTxReceipts, true
	case "any":
		return alchemyReceipts | ethBlockReceipts | debugRawReceipts | parityReceipts | erigonReceipts | perTxReceipts, true
	}
	return 0, false
}

// pickReceiptMethod is op-node's PickBestReceiptsFetchingMethod: on the
// providers that bill by method, a whole-block method only when the block
// has enough transactions to be cheaper than asking per transaction;
// elsewhere the first available in order of cost.
func pickReceiptMethod(kind string, avail receiptMethod, txs int) receiptMethod {
	switch kind {
	case "alchemy":
		switch {
		case avail&alchemyReceipts != 0 && txs > 250/15:
			return alchemyReceipts
		case avail&ethBlockReceipts != 0 && txs > 500/15:
			return ethBlockReceipts
		}
		return perTxReceipts
	case "quicknode":
		switch {
		case avail&debugRawReceipts != 0:
			return debugRawReceipts
		case avail&ethBlockReceipts != 0 && txs > 59/2:
			return ethBlockReceipts
		}
		return perTxReceipts
	}
	for _, m := range []receiptMethod{alchemyReceipts, debugRawReceipts, ethBlockReceipts, parityReceipts, erigonReceipts} {
		if avail&m != 0 {
			return m
		}
	}
	return perTxReceipts
}

// earlyBlockReceipts reports whether eth_getBlockReceipts is the method
// whatever the block holds, so it can be asked at once with the block.
func earlyBlockReceipts(kind string, avail receiptMethod) bool {
	return pickReceiptMethod(kind, avail, 0) == ethBlockReceipts && pickReceiptMethod(kind, avail, 1<<20) == ethBlockReceipts
}

// wholeBlockReceipts reads all receipts of the block hash with m (not
// perTxReceipts). Answers are only decoded here; the caller checks them
// against the block's receipts root.
func (c *conn) wholeBlockReceipts(ctx context.Context, ep *endpoint, m receiptMethod, hash common.Hash, number uint64, txs []*types.Transaction) ([]*types.Receipt, error) {
	id := blockID{hash: &hash}
	var raw json.RawMessage
	var err error
	switch m {
	case alchemyReceipts:
		err = ep.call(ctx, &raw, m.String(), map[string]common.Hash{"blockHash": hash})
	default:
		err = ep.call(ctx, &raw, m.String(), hash)
	}
	if m != alchemyReceipts && m != debugRawReceipts {
		return c.blockReceipts(ep, id, raw, err) // a plain list of receipts
	}
	if err := answer(ep, id, raw, err); err != nil {
		return nil, err
	}
	var rs []*types.Receipt
	switch m {
	case alchemyReceipts:
		var wrapped struct {
			Receipts []*types.Receipt `json:"receipts"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return nil, badData(ep.name, id.String(), "decoding the %s answer: %v", m, err)
		}
		rs = wrapped.Receipts
	case debugRawReceipts:
		var encs []hexutil.Bytes
		if err := json.Unmarshal(raw, &encs); err != nil {
			return nil, badData(ep.name, id.String(), "decoding the %s answer: %v", m, err)
		}
		if rs, err = rawReceipts(encs, hash, number, txs); err != nil {
			return nil, badData(ep.name, id.String(), "%s: %v", m, err)
		}
	}
	return rs, nil
}

// rawReceipts turns consensus-encoded receipts into full ones: the
// encoding holds status, cumulative gas, bloom and logs; what derivation
// reads besides (transaction and log positions) follows from the block.
func rawReceipts(encs []hexutil.Bytes, hash common.Hash, number uint64, txs []*types.Transaction) ([]*types.Receipt, error) {
	if len(encs) != len(txs) {
		return nil, fmt.Errorf("%d receipts for %d transactions", len(encs), len(txs))
	}
	rs := make([]*types.Receipt, len(encs))
	var logIndex uint
	var prevGas uint64
	for i, enc := range encs {
		r := new(types.Receipt)
		if err := r.UnmarshalBinary(enc); err != nil {
			return nil, fmt.Errorf("receipt %d: %v", i, err)
		}
		if r.CumulativeGasUsed < prevGas {
			return nil, fmt.Errorf("receipt %d: cumulative gas %d below the previous %d", i, r.CumulativeGasUsed, prevGas)
		}
		r.TxHash, r.BlockHash, r.BlockNumber, r.TransactionIndex = txs[i].Hash(), hash, new(big.Int).SetUint64(number), uint(i)
		r.GasUsed, prevGas = r.CumulativeGasUsed-prevGas, r.CumulativeGasUsed
		for _, l := range r.Logs {
			l.BlockNumber, l.BlockHash, l.TxHash, l.TxIndex, l.Index = number, hash, r.TxHash, uint(i), logIndex
			logIndex++
		}
		rs[i] = r
	}
	return rs, nil
}

// normalizeKind is rpc_kind as the tables above spell it.
func normalizeKind(kind string) string { return strings.ToLower(strings.TrimSpace(kind)) }
