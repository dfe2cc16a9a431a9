package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk/eth"
)

// rpcHeader is the part of an eth_getBlockBy* answer (transactions as
// hashes) this plugin reads. It is decoded by hand rather than into
// types.Header so that header fields one go-ethereum has and the other
// lacks do not matter; the engine's own hash is taken as the block's.
type rpcHeader struct {
	Hash             common.Hash         `json:"hash"`
	ParentHash       common.Hash         `json:"parentHash"`
	Miner            common.Address      `json:"miner"`
	StateRoot        common.Hash         `json:"stateRoot"`
	ReceiptsRoot     common.Hash         `json:"receiptsRoot"`
	LogsBloom        types.Bloom         `json:"logsBloom"`
	MixHash          common.Hash         `json:"mixHash"`
	Number           hexutil.Uint64      `json:"number"`
	GasLimit         hexutil.Uint64      `json:"gasLimit"`
	GasUsed          hexutil.Uint64      `json:"gasUsed"`
	Timestamp        hexutil.Uint64      `json:"timestamp"`
	ExtraData        hexutil.Bytes       `json:"extraData"`
	BaseFee          *hexutil.Big        `json:"baseFeePerGas"`
	WithdrawalsRoot  *common.Hash        `json:"withdrawalsRoot"`
	BlobGasUsed      *hexutil.Uint64     `json:"blobGasUsed"`
	ExcessBlobGas    *hexutil.Uint64     `json:"excessBlobGas"`
	ParentBeaconRoot *common.Hash        `json:"parentBeaconBlockRoot"`
	Transactions     []common.Hash       `json:"transactions"`
	Withdrawals      []*types.Withdrawal `json:"withdrawals"`
}

func (h *rpcHeader) l2Block() l1info.L2Block {
	return l1info.L2Block{
		Hash: h.Hash, ParentHash: h.ParentHash, Number: uint64(h.Number),
		Time: uint64(h.Timestamp), GasLimit: uint64(h.GasLimit), ExtraData: h.ExtraData,
	}
}

// blockSel selects a block the way eth_getBlockBy* and the
// eth_getRawTransactionBy*AndIndex calls name it.
type blockSel struct {
	byHash bool
	hash   common.Hash
	tag    string // number as hex quantity, or a label
}

func selNumber(n uint64) blockSel    { return blockSel{tag: hexutil.EncodeUint64(n)} }
func selHash(h common.Hash) blockSel { return blockSel{byHash: true, hash: h} }
func selLabel(l string) blockSel     { return blockSel{tag: l} }

// arg is the block parameter of the calls.
func (s blockSel) arg() any {
	if s.byHash {
		return s.hash
	}
	return s.tag
}

func (s blockSel) String() string {
	if s.byHash {
		return s.hash.String()
	}
	return s.tag
}

func (s blockSel) headerMethod() string {
	if s.byHash {
		return "eth_getBlockByHash"
	}
	return "eth_getBlockByNumber"
}

func (s blockSel) rawTxMethod() string {
	if s.byHash {
		return "eth_getRawTransactionByBlockHashAndIndex"
	}
	return "eth_getRawTransactionByBlockNumberAndIndex"
}

// notFound builds the eth.ErrNotFound of a missing block.
func notFound(sel blockSel) error { return fmt.Errorf("l2 block %s: %w", sel, eth.ErrNotFound) }

// headerByNumber reads a header; a missing block is eth.ErrNotFound.
func (c *conn) headerByNumber(ctx context.Context, n uint64) (*rpcHeader, error) {
	return c.header(ctx, selNumber(n))
}

func (c *conn) header(ctx context.Context, sel blockSel) (*rpcHeader, error) {
	var h *rpcHeader
	if err := c.call(ctx, &h, sel.headerMethod(), sel.arg(), false); err != nil {
		return nil, c.readError(sel, err)
	}
	if h == nil {
		return nil, notFound(sel)
	}
	return h, nil
}

// readError turns "safe block not found" style answers into
// eth.ErrNotFound: geth reports a label it has no block for (a fresh chain
// has no safe or finalized block) as a server error, not as null.
func (c *conn) readError(sel blockSel, err error) error {
	var rpcErr rpc.Error
	if errors.As(err, &rpcErr) && strings.Contains(strings.ToLower(rpcErr.Error()), "not found") {
		return fmt.Errorf("l2 block %s: %w: engine at %s answered %q", sel, eth.ErrNotFound, c.endpoint, rpcErr.Error())
	}
	return err
}

// headerAndFirstTx reads a header and its first transaction (the L1-info
// deposit) in one batch. When the block was named by number or label, the
// chain may have moved between the two reads; the transaction's hash is
// checked against the header, and on a mismatch the transaction is read
// again by the header's hash.
func (c *conn) headerAndFirstTx(ctx context.Context, sel blockSel) (*rpcHeader, []byte, error) {
	var h *rpcHeader
	var raw *hexutil.Bytes // some engines answer null for a missing index
	elems := []rpc.BatchElem{
		{Method: sel.headerMethod(), Args: []any{sel.arg(), false}, Result: &h},
		{Method: sel.rawTxMethod(), Args: []any{sel.arg(), hexutil.Uint64(0)}, Result: &raw},
	}
	if err := c.batch(ctx, elems); err != nil {
		return nil, nil, err
	}
	for _, el := range elems {
		if el.Error != nil {
			return nil, nil, c.readError(sel, c.callError(ctx, el.Method, el.Error))
		}
	}
	if h == nil {
		return nil, nil, notFound(sel)
	}
	if len(h.Transactions) == 0 {
		return h, nil, nil
	}
	if raw != nil && crypto.Keccak256Hash(*raw) == h.Transactions[0] {
		return h, *raw, nil
	}
	if sel.byHash {
		return nil, nil, c.badAnswer(sel.rawTxMethod(), fmt.Errorf("first transaction of block %s does not hash to %s", h.Hash, h.Transactions[0]))
	}
	raws, err := c.rawTxs(ctx, h, 1)
	if err != nil {
		return nil, nil, err
	}
	return h, raws[0], nil
}

// maxBatch is the most calls put in one batch request.
const maxBatch = 200

// rawTxs reads the first n transactions of a block by its hash, in one
// batch, and checks each against the header's transaction hashes.
func (c *conn) rawTxs(ctx context.Context, h *rpcHeader, n int) ([][]byte, error) {
	n = min(n, len(h.Transactions))
	if n == 0 {
		return nil, nil
	}
	raws := make([]*hexutil.Bytes, n)
	elems := make([]rpc.BatchElem, n)
	sel := selHash(h.Hash)
	for i := range elems {
		elems[i] = rpc.BatchElem{Method: sel.rawTxMethod(), Args: []any{h.Hash, hexutil.Uint64(i)}, Result: &raws[i]}
	}
	// Servers cap batches (geth: 1000 items by default); stay well below.
	for start := 0; start < n; start += maxBatch {
		if err := c.batch(ctx, elems[start:min(start+maxBatch, n)]); err != nil {
			return nil, err
		}
	}
	out := make([][]byte, n)
	for i, el := range elems {
		if el.Error != nil {
			return nil, c.readError(sel, c.callError(ctx, el.Method, el.Error))
		}
		if raws[i] == nil || len(*raws[i]) == 0 {
			// The block was reorged out between the reads.
			return nil, fmt.Errorf("transaction %d of l2 block %s: %w", i, h.Hash, eth.ErrNotFound)
		}
		if crypto.Keccak256Hash(*raws[i]) != h.Transactions[i] {
			return nil, c.badAnswer(el.Method, fmt.Errorf("transaction %d of block %s does not hash to %s", i, h.Hash, h.Transactions[i]))
		}
		out[i] = *raws[i]
	}
	return out, nil
}
