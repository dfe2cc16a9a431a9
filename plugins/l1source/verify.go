package l1source

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/trie"
)

// blockID names the block asked for in messages and checks what came back
// against it.
type blockID struct {
	hash   *common.Hash
	number uint64
	label  string // "latest", "safe", "finalized"; empty for number/hash
}

func (id blockID) String() string {
	switch {
	case id.hash != nil:
		return id.hash.Hex()
	case id.label != "":
		return id.label
	}
	return fmt.Sprintf("#%d", id.number)
}

// arg is the block parameter of eth_getBlockBy*.
func (id blockID) arg() any {
	switch {
	case id.hash != nil:
		return *id.hash
	case id.label != "":
		return id.label
	}
	return fmt.Sprintf("0x%x", id.number)
}

func (id blockID) method() string {
	if id.hash != nil {
		return "eth_getBlockByHash"
	}
	return "eth_getBlockByNumber"
}

// isNull reports an empty or null JSON-RPC result: the block is unknown.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// decodeHeader decodes a block's header from an eth_getBlockBy* result and
// returns it with its hash. claimed is the hash the answer states (see
// claimedHash). Unless trust is set, the hash is recomputed from the header
// fields and must equal the claimed one and the one asked for; a header
// that is not the block asked for (another number or hash) is refused even
// when trusting.
func decodeHeader(ep string, id blockID, raw json.RawMessage, claimed *common.Hash, trust bool) (*types.Header, common.Hash, error) {
	var h types.Header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, common.Hash{}, badData(ep, id.String(), "decoding the header: %v", err)
	}
	hash := h.Hash()
	switch {
	case trust && claimed != nil:
		hash = *claimed
	case trust:
	case claimed == nil:
		return nil, common.Hash{}, badData(ep, id.String(), "the answer has no block hash")
	case *claimed != hash:
		return nil, common.Hash{}, badData(ep, id.String(), "header fields hash to %s, not to the block hash %s", hash, *claimed)
	}
	switch {
	case id.hash != nil && hash != *id.hash:
		return nil, common.Hash{}, badData(ep, id.String(), "got block %s instead", hash)
	case id.hash == nil && id.label == "" && h.Number.Uint64() != id.number:
		return nil, common.Hash{}, badData(ep, id.String(), "got block number %d instead", h.Number.Uint64())
	}
	return &h, hash, nil
}

// claimedHash reads the block hash an answer states, for header-only
// answers (full blocks read it with their body).
func claimedHash(ep string, id blockID, raw json.RawMessage) (*common.Hash, error) {
	var doc struct {
		Hash *common.Hash `json:"hash"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, badData(ep, id.String(), "decoding the block hash: %v", err)
	}
	return doc.Hash, nil
}

// blockBody is the part of a full eth_getBlockBy* result beyond the header.
type blockBody struct {
	Hash         *common.Hash         `json:"hash"`
	Transactions []*types.Transaction `json:"transactions"`
	Withdrawals  *[]*types.Withdrawal `json:"withdrawals"`
}

// decodeBlock decodes a full block and, unless trust is set, verifies its
// header hash (see decodeHeader) and its transactions and withdrawals
// against the header's roots.
func decodeBlock(ep string, id blockID, raw json.RawMessage, trust bool) (*types.Header, common.Hash, []*types.Transaction, error) {
	var body blockBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, common.Hash{}, nil, badData(ep, id.String(), "decoding the transactions: %v", err)
	}
	h, hash, err := decodeHeader(ep, id, raw, body.Hash, trust)
	if err != nil {
		return nil, common.Hash{}, nil, err
	}
	if err := checkBody(ep, id, h, &body, trust); err != nil {
		return nil, common.Hash{}, nil, err
	}
	return h, hash, body.Transactions, nil
}

func checkBody(ep string, id blockID, h *types.Header, body *blockBody, trust bool) error {
	for i, tx := range body.Transactions {
		if tx == nil {
			return badData(ep, id.String(), "transaction %d is null", i)
		}
	}
	var ws []*types.Withdrawal
	if body.Withdrawals != nil {
		ws = *body.Withdrawals
		for i, w := range ws {
			if w == nil {
				return badData(ep, id.String(), "withdrawal %d is null", i)
			}
		}
	}
	if trust {
		return nil
	}
	if root := types.DeriveSha(types.Transactions(body.Transactions), trie.NewStackTrie(nil)); root != h.TxHash {
		return badData(ep, id.String(), "transactions hash to root %s, the header says %s", root, h.TxHash)
	}
	switch {
	case h.WithdrawalsHash == nil && len(ws) > 0:
		return badData(ep, id.String(), "%d withdrawals in a block without a withdrawals root", len(ws))
	case h.WithdrawalsHash != nil && body.Withdrawals == nil:
		return badData(ep, id.String(), "the withdrawals are missing")
	case h.WithdrawalsHash != nil:
		if root := types.DeriveSha(types.Withdrawals(ws), trie.NewStackTrie(nil)); root != *h.WithdrawalsHash {
			return badData(ep, id.String(), "withdrawals hash to root %s, the header says %s", root, *h.WithdrawalsHash)
		}
	}
	return nil
}

// checkReceipts verifies a block's receipts against its header: one per
// transaction and, unless trust is set, the receipts root. Only consensus
// fields enter the root; everything this package passes on of a receipt
// (status and logs) is among them, and positions are computed locally.
func checkReceipts(ep string, id blockID, h *types.Header, hash common.Hash, txs int, rs []*types.Receipt, trust bool) error {
	if len(rs) != txs {
		return badData(ep, id.String(), "%d receipts for %d transactions", len(rs), txs)
	}
	for i, r := range rs {
		if r == nil {
			return badData(ep, id.String(), "receipt %d is null", i)
		}
		if r.BlockHash != (common.Hash{}) && r.BlockHash != hash {
			return badData(ep, id.String(), "receipt %d belongs to block %s", i, r.BlockHash)
		}
		for j, l := range r.Logs {
			if l == nil {
				return badData(ep, id.String(), "receipt %d log %d is null", i, j)
			}
		}
	}
	if trust {
		return nil
	}
	if root := types.DeriveSha(types.Receipts(rs), trie.NewStackTrie(nil)); root != h.ReceiptHash {
		return badData(ep, id.String(), "receipts hash to root %s, the header says %s", root, h.ReceiptHash)
	}
	return nil
}
