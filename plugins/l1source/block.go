package l1source

import (
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// block is a verified L1 block as cached: the header, the transactions
// (immutable values, shared), and of each receipt only what derivation
// reads. Requests differ in inbox and watched addresses, so the whole
// block is kept and cut down per request.
type block struct {
	header   *types.Header
	hash     common.Hash
	txs      []*types.Transaction
	receipts []receipt
	size     int64
}

type receipt struct {
	status uint64
	logs   []logEntry
}

type logEntry struct {
	addr   common.Address
	topics []common.Hash
	data   []byte
}

// Rough per-item memory costs beyond the encoded sizes, for the cache's
// byte budget: decoded transactions keep big.Ints, caches and pointers.
const (
	headerCost  = 1024
	txOverhead  = 320
	rcptCost    = 48
	logOverhead = 96
)

// newBlock builds the cached form of a verified block.
func newBlock(h *types.Header, hash common.Hash, txs []*types.Transaction, rs []*types.Receipt) *block {
	b := &block{header: h, hash: hash, txs: txs, receipts: make([]receipt, len(rs)), size: headerCost}
	for _, tx := range txs {
		b.size += int64(tx.Size()) + txOverhead
	}
	for i, r := range rs {
		out := receipt{status: r.Status, logs: make([]logEntry, len(r.Logs))}
		for j, l := range r.Logs {
			out.logs[j] = logEntry{addr: l.Address, topics: l.Topics, data: l.Data}
			b.size += logOverhead + int64(len(l.Topics))*common.HashLength + int64(len(l.Data))
		}
		b.receipts[i] = out
		b.size += rcptCost
	}
	return b
}

func (b *block) ref() eth.L1BlockRef {
	return eth.L1BlockRef{Hash: b.hash, Number: b.header.Number.Uint64(), ParentHash: b.header.ParentHash, Time: b.header.Time}
}

// filter cuts the block down to what req asks for: the inbox's
// transactions and the receipts with logs of the watched addresses (only
// those logs, with their block-wide index). Everything returned is a copy,
// so callers cannot alter the cache.
func (b *block) filter(req sdkl1.BlockDataRequest) (*eth.L1BlockData, error) {
	out := &eth.L1BlockData{Header: types.CopyHeader(b.header)}
	for i, tx := range b.txs {
		if to := tx.To(); to == nil || *to != req.BatchInbox {
			continue
		}
		raw, err := tx.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encoding transaction %d of block %s: %w", i, b.hash, err)
		}
		out.BatcherTxs = append(out.BatcherTxs, eth.L1Tx{Index: uint32(i), Raw: raw})
	}
	var logIndex uint32
	for i, r := range b.receipts {
		var logs []eth.Log
		for _, l := range r.logs {
			if slices.Contains(req.LogAddresses, l.addr) {
				logs = append(logs, eth.Log{
					Address: l.addr,
					Topics:  slices.Clone(l.topics),
					Data:    slices.Clone(l.data),
					Index:   logIndex,
				})
			}
			logIndex++
		}
		if len(logs) > 0 {
			out.Receipts = append(out.Receipts, eth.Receipt{TxIndex: uint32(i), Status: r.status, Logs: logs})
		}
	}
	return out, nil
}

// blobRef is a blob a request needs: its versioned hash and its index
// among all blobs of the block (the beacon API's sidecar index).
type blobRef struct {
	hash  common.Hash
	index uint64
}

// inboxBlobs lists the blobs of the block's blob transactions to inbox, in
// block order.
func (b *block) inboxBlobs(inbox common.Address) []blobRef {
	var out []blobRef
	var index uint64
	for _, tx := range b.txs {
		hashes := tx.BlobHashes()
		if to := tx.To(); tx.Type() == types.BlobTxType && to != nil && *to == inbox {
			for i, h := range hashes {
				out = append(out, blobRef{hash: h, index: index + uint64(i)})
			}
		}
		index += uint64(len(hashes))
	}
	return out
}
