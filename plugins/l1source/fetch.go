package l1source

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/sdk/eth"
)

// Per-transaction receipts are asked for in JSON-RPC batches of this size
// (providers commonly cap batches at 20-100 calls), a few batches at once.
const (
	receiptBatch       = 20
	receiptConcurrency = 4
)

func notFound(ep string, id blockID) error {
	return fmt.Errorf("%w: %s: L1 block %s", eth.ErrNotFound, ep, id)
}

// fetchHeader reads and verifies one header, failing over between the
// endpoints.
func (c *conn) fetchHeader(ctx context.Context, id blockID) (*types.Header, common.Hash, error) {
	var (
		header *types.Header
		hash   common.Hash
	)
	err := failover(ctx, "L1 header "+id.String(), c.eps, c.s.retries, func(ctx context.Context, ep *endpoint) error {
		if err := ep.checkChain(ctx, c.chainID, c.rpcKey); err != nil {
			return err
		}
		var raw json.RawMessage
		err := ep.call(ctx, &raw, id.method(), id.arg(), false)
		if err := answer(ep, id, raw, err); err != nil {
			return err
		}
		claimed, err := claimedHash(ep.name, id, raw)
		if err != nil {
			return err
		}
		h, hs, err := decodeHeader(ep.name, id, raw, claimed, c.s.trust)
		if err != nil {
			return err
		}
		header, hash = h, hs
		return nil
	})
	return header, hash, err
}

// fetchBlock reads one block with its transactions and receipts and
// verifies all of it against the block hash before anything is kept.
func (c *conn) fetchBlock(ctx context.Context, id blockID) (*block, error) {
	var out *block
	err := failover(ctx, "L1 block "+id.String(), c.eps, c.s.retries, func(ctx context.Context, ep *endpoint) error {
		if err := ep.checkChain(ctx, c.chainID, c.rpcKey); err != nil {
			return err
		}
		b, err := c.fetchBlockFrom(ctx, ep, id)
		if err != nil {
			return err
		}
		out = b
		return nil
	})
	return out, err
}

func (c *conn) fetchBlockFrom(ctx context.Context, ep *endpoint, id blockID) (*block, error) {
	// With eth_getBlockReceipts both requests go out at once; asked by
	// number they may straddle a reorg, which the receipts root check
	// catches (then the receipts are asked for again by hash).
	byBlock := earlyBlockReceipts(c.s.rpcKind, ep.receiptMethods(c.s.methods))
	var (
		rraw json.RawMessage
		rerr error
		wg   sync.WaitGroup
	)
	if byBlock {
		wg.Go(func() { rerr = ep.call(ctx, &rraw, "eth_getBlockReceipts", id.arg()) })
	}
	var raw json.RawMessage
	err := ep.call(ctx, &raw, id.method(), id.arg(), true)
	wg.Wait()
	if err := answer(ep, id, raw, err); err != nil {
		return nil, err
	}
	h, hash, txs, err := decodeBlock(ep.name, id, raw, c.s.trust)
	if err != nil {
		return nil, err
	}
	var rs []*types.Receipt
	if byBlock {
		rs, err = c.blockReceipts(ep, id, rraw, rerr)
		if err == nil && id.hash == nil && checkReceipts(ep.name, id, h, hash, len(txs), rs, c.s.trust) != nil {
			byHash := blockID{hash: &hash}
			rerr = ep.call(ctx, &rraw, "eth_getBlockReceipts", byHash.arg())
			rs, err = c.blockReceipts(ep, byHash, rraw, rerr)
		}
		if methodMissing(err) {
			ep.markMissing(ethBlockReceipts)
			byBlock = false
		} else if err != nil {
			return nil, err
		}
	}
	for !byBlock && rs == nil {
		m := pickReceiptMethod(c.s.rpcKind, ep.receiptMethods(c.s.methods), len(txs))
		if m == perTxReceipts {
			if rs, err = c.txReceipts(ctx, ep, id, txs); err != nil {
				return nil, err
			}
			if rs == nil {
				rs = []*types.Receipt{} // a block without transactions
			}
			break
		}
		rs, err = c.wholeBlockReceipts(ctx, ep, m, hash, h.Number.Uint64(), txs)
		if methodMissing(err) {
			ep.markMissing(m)
			rs = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		if rs == nil {
			rs = []*types.Receipt{}
		}
	}
	if err := checkReceipts(ep.name, id, h, hash, len(txs), rs, c.s.trust); err != nil {
		return nil, err
	}
	return newBlock(h, hash, txs, rs), nil
}

// answer sorts the outcome of a call about block id: an endpoint's way of
// saying it has no such block, or a null result, is notFound; other errors
// are returned as they are.
func answer(ep *endpoint, id blockID, raw json.RawMessage, err error) error {
	switch {
	case err != nil && notFoundAnswer(err):
		return notFound(ep.name, id)
	case err != nil:
		return err
	case isNull(raw):
		return notFound(ep.name, id)
	}
	return nil
}

// blockReceipts interprets an eth_getBlockReceipts answer (or another
// method's plain list of receipts).
func (c *conn) blockReceipts(ep *endpoint, id blockID, raw json.RawMessage, err error) ([]*types.Receipt, error) {
	if err := answer(ep, id, raw, err); err != nil {
		return nil, err
	}
	var rs []*types.Receipt
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, badData(ep.name, id.String(), "decoding the receipts: %v", err)
	}
	return rs, nil
}

// txReceipts reads a block's receipts one transaction at a time, for
// endpoints without eth_getBlockReceipts.
func (c *conn) txReceipts(ctx context.Context, ep *endpoint, id blockID, txs []*types.Transaction) ([]*types.Receipt, error) {
	raws := make([]json.RawMessage, len(txs))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	setErr := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	sem := make(chan struct{}, receiptConcurrency)
	for start := 0; start < len(txs); start += receiptBatch {
		elems := make([]rpc.BatchElem, min(receiptBatch, len(txs)-start))
		for i := range elems {
			elems[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{txs[start+i].Hash()}, Result: &raws[start+i]}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := ep.batch(ctx, elems); err != nil {
				setErr(err)
				return
			}
			for _, e := range elems {
				if e.Error != nil {
					setErr(classify(ep.name, e.Method, e.Error))
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	rs := make([]*types.Receipt, len(txs))
	for i, raw := range raws {
		if isNull(raw) {
			return nil, notFound(ep.name, id)
		}
		if err := json.Unmarshal(raw, &rs[i]); err != nil {
			return nil, badData(ep.name, id.String(), "decoding the receipt of transaction %d: %v", i, err)
		}
	}
	return rs, nil
}
