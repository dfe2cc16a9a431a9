package batcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// errBlockNotFound is returned when the L2 node has no block at a height.
var errBlockNotFound = errors.New("L2 block not found")

// l2Client reads the L2 execution node over plain JSON-RPC. It decodes
// blocks itself rather than through ethclient, whose block type insists on
// a full header (and, on upstream go-ethereum, rejects deposits).
type l2Client struct {
	rpc *rpc.Client
	cfg *rollup.Config
}

// rpcHeader is the part of an eth_getBlockByNumber result the batcher uses.
type rpcHeader struct {
	Hash       common.Hash    `json:"hash"`
	ParentHash common.Hash    `json:"parentHash"`
	Number     hexutil.Uint64 `json:"number"`
	Time       hexutil.Uint64 `json:"timestamp"`
}

type rpcBlock struct {
	rpcHeader
	Transactions []json.RawMessage `json:"transactions"`
}

// txHash is read next to each decoded transaction to check that
// re-encoding it gives back the node's transaction.
type txHash struct {
	Hash common.Hash `json:"hash"`
}

// head returns the L2 block with the given label ("safe", "latest") or
// number as a block id. A node that has no safe block yet (fresh chain)
// reports the genesis block, which is safe by definition.
func (c *l2Client) head(ctx context.Context, label string) (eth.BlockID, error) {
	var h *rpcHeader
	err := c.rpc.CallContext(ctx, &h, "eth_getBlockByNumber", label, false)
	if label == "safe" && (h == nil && err == nil || err != nil && strings.Contains(err.Error(), "not found")) {
		return c.cfg.Genesis.L2, nil
	}
	if err != nil {
		return eth.BlockID{}, fmt.Errorf("L2 %s block: %w", label, err)
	}
	if h == nil {
		return eth.BlockID{}, fmt.Errorf("L2 %s block: %w", label, errBlockNotFound)
	}
	return eth.BlockID{Hash: h.Hash, Number: uint64(h.Number)}, nil
}

// block reads L2 block n with its transactions and reduces it to a Block.
func (c *l2Client) block(ctx context.Context, n uint64) (*Block, error) {
	var raw json.RawMessage
	if err := c.rpc.CallContext(ctx, &raw, "eth_getBlockByNumber", hexutil.EncodeUint64(n), true); err != nil {
		return nil, fmt.Errorf("L2 block %d: %w", n, err)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("L2 block %d: %w", n, errBlockNotFound)
	}
	var rb rpcBlock
	if err := json.Unmarshal(raw, &rb); err != nil {
		return nil, fmt.Errorf("decoding L2 block %d: %w", n, err)
	}
	if uint64(rb.Number) != n {
		return nil, fmt.Errorf("asked for L2 block %d, got %d", n, rb.Number)
	}
	return toBlock(c.cfg, &rb)
}

// toBlock decodes the transactions of an RPC block, takes the L1 origin
// from its L1-info deposit (the first transaction) and keeps the
// non-deposit transactions as EIP-2718 bytes.
func toBlock(cfg *rollup.Config, rb *rpcBlock) (*Block, error) {
	b := &Block{Hash: rb.Hash, ParentHash: rb.ParentHash, Number: uint64(rb.Number), Time: uint64(rb.Time)}
	if len(rb.Transactions) == 0 {
		return nil, fmt.Errorf("L2 block %d has no L1-info deposit", b.Number)
	}
	for i, msg := range rb.Transactions {
		tx, err := decodeTx(msg)
		if err != nil {
			return nil, fmt.Errorf("L2 block %d tx %d: %w", b.Number, i, err)
		}
		if i == 0 {
			if err := b.setOrigin(cfg, tx); err != nil {
				return nil, err
			}
			continue
		}
		if tx.Type() == types.DepositTxType {
			continue
		}
		enc, err := tx.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("L2 block %d tx %d: %w", b.Number, i, err)
		}
		b.Txs = append(b.Txs, enc)
	}
	return b, nil
}

// decodeTx decodes one transaction object of a full block and checks its
// hash, so a field the decoder dropped cannot silently change the bytes
// the batch carries.
func decodeTx(msg json.RawMessage) (*types.Transaction, error) {
	var tx types.Transaction
	if err := json.Unmarshal(msg, &tx); err != nil {
		return nil, fmt.Errorf("decoding transaction: %w", err)
	}
	var h txHash
	if err := json.Unmarshal(msg, &h); err != nil {
		return nil, fmt.Errorf("decoding transaction hash: %w", err)
	}
	if h.Hash != (common.Hash{}) && h.Hash != tx.Hash() {
		return nil, fmt.Errorf("transaction re-encodes to hash %s, node says %s", tx.Hash(), h.Hash)
	}
	return &tx, nil
}

// setOrigin reads the L1 origin and sequence number from the block's
// L1-info deposit.
func (b *Block) setOrigin(cfg *rollup.Config, tx *types.Transaction) error {
	if tx.Type() != types.DepositTxType {
		return fmt.Errorf("L2 block %d: first transaction is type %d, not the L1-info deposit", b.Number, tx.Type())
	}
	info, err := l1info.DecodeAt(cfg, b.Time, tx.Data())
	if err != nil {
		return fmt.Errorf("L2 block %d: L1-info deposit: %w", b.Number, err)
	}
	b.L1Origin = info.ID()
	b.L1OriginTime = info.Time
	b.SeqNum = info.SequenceNumber
	return nil
}
