package sdktest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
)

// FakeL1Source serves an L1Chain from memory. Safe is the head minus 2,
// finalized the head minus 4 (clamped at genesis). It reads storage: the
// chain's Storage, at every block.
type FakeL1Source struct {
	mu    sync.RWMutex
	chain *L1Chain
}

var (
	_ l1source.Source        = (*FakeL1Source)(nil)
	_ l1source.StorageReader = (*FakeL1Source)(nil)
)

// NewFakeL1Source returns a source serving chain.
func NewFakeL1Source(chain *L1Chain) *FakeL1Source { return &FakeL1Source{chain: chain} }

// SetChain replaces the served chain (to simulate L1 reorgs and growth).
func (f *FakeL1Source) SetChain(c *L1Chain) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chain = c
}

// Chain returns the served chain.
func (f *FakeL1Source) Chain() *L1Chain {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.chain
}

func (f *FakeL1Source) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "fake-l1source", Version: "test"}, nil
}

func (f *FakeL1Source) Configure(context.Context, base.ConfigureRequest) error { return nil }

func (f *FakeL1Source) byNumber(n uint64) (*types.Block, []*types.Receipt, error) {
	c := f.Chain()
	if n >= uint64(len(c.Blocks)) {
		return nil, nil, fmt.Errorf("l1 block %d: %w", n, eth.ErrNotFound)
	}
	return c.Blocks[n], c.Receipts[n], nil
}

func (f *FakeL1Source) byHash(h common.Hash) (*types.Block, []*types.Receipt, error) {
	c := f.Chain()
	for i, b := range c.Blocks {
		if b.Hash() == h {
			return b, c.Receipts[i], nil
		}
	}
	return nil, nil, fmt.Errorf("l1 block %s: %w", h, eth.ErrNotFound)
}

func (f *FakeL1Source) BlockRefByNumber(_ context.Context, n uint64) (eth.L1BlockRef, error) {
	b, _, err := f.byNumber(n)
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return eth.HeaderRef(b.Header()), nil
}

func (f *FakeL1Source) BlockRefByHash(_ context.Context, h common.Hash) (eth.L1BlockRef, error) {
	b, _, err := f.byHash(h)
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return eth.HeaderRef(b.Header()), nil
}

func (f *FakeL1Source) labelNumber(l eth.BlockLabel) (uint64, error) {
	head := uint64(len(f.Chain().Blocks) - 1)
	back := uint64(0)
	switch l {
	case eth.Unsafe:
	case eth.Safe:
		back = 2
	case eth.Finalized:
		back = 4
	default:
		return 0, fmt.Errorf("%w: label %v", eth.ErrInvalidArgument, l)
	}
	if back > head {
		return 0, nil
	}
	return head - back, nil
}

func (f *FakeL1Source) BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	n, err := f.labelNumber(l)
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return f.BlockRefByNumber(ctx, n)
}

func (f *FakeL1Source) BlockData(_ context.Context, req l1source.BlockDataRequest) (*eth.L1BlockData, error) {
	var (
		b        *types.Block
		receipts []*types.Receipt
		err      error
	)
	if req.Hash != nil {
		b, receipts, err = f.byHash(*req.Hash)
	} else {
		b, receipts, err = f.byNumber(req.Number)
	}
	if err != nil {
		return nil, err
	}
	return FilterBlockData(b, receipts, req)
}

// FilterBlockData cuts a block and its receipts down to what req asks for.
// Blobs are not filled in.
func FilterBlockData(b *types.Block, receipts []*types.Receipt, req l1source.BlockDataRequest) (*eth.L1BlockData, error) {
	out := &eth.L1BlockData{Header: b.Header()}
	for i, tx := range b.Transactions() {
		if tx.To() == nil || *tx.To() != req.BatchInbox {
			continue
		}
		raw, err := tx.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out.BatcherTxs = append(out.BatcherTxs, eth.L1Tx{Index: uint32(i), Raw: raw})
	}
	for i, r := range receipts {
		var logs []eth.Log
		for _, l := range r.Logs {
			if slices.Contains(req.LogAddresses, l.Address) {
				logs = append(logs, eth.Log{Address: l.Address, Topics: l.Topics, Data: l.Data, Index: uint32(l.Index)})
			}
		}
		if len(logs) > 0 {
			out.Receipts = append(out.Receipts, eth.Receipt{TxIndex: uint32(i), Status: r.Status, Logs: logs})
		}
	}
	return out, nil
}

// StorageAt returns the chain's Storage value of the slot (zero when it is
// not listed) at any block of the chain; another block is eth.ErrNotFound.
func (f *FakeL1Source) StorageAt(_ context.Context, account common.Address, slot, blockHash common.Hash) (common.Hash, error) {
	if _, _, err := f.byHash(blockHash); err != nil {
		return common.Hash{}, err
	}
	return f.Chain().Storage[account][slot], nil
}

func (f *FakeL1Source) WatchHeads(ctx context.Context, fn func(l1source.HeadUpdate)) error {
	for _, l := range []eth.BlockLabel{eth.Unsafe, eth.Safe, eth.Finalized} {
		ref, err := f.BlockRefByLabel(ctx, l)
		if err != nil {
			return err
		}
		fn(l1source.HeadUpdate{Label: l, Ref: ref})
	}
	<-ctx.Done()
	return nil
}
