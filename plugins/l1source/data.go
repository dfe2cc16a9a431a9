package l1source

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// refCost is the cache's byte cost of one block reference.
const refCost = 128

// remember caches a verified header's reference and its number.
func (c *conn) remember(ref eth.L1BlockRef) {
	c.cache.add(cacheKey{kindRef, ref.Hash}, ref, refCost)
	c.index.add(ref, time.Now())
}

func headerRef(h *types.Header, hash common.Hash) eth.L1BlockRef {
	return eth.L1BlockRef{Hash: hash, Number: h.Number.Uint64(), ParentHash: h.ParentHash, Time: h.Time}
}

func (c *conn) refByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error) {
	if v, ok := c.cache.get(cacheKey{kindRef, hash}); ok {
		return v.(eth.L1BlockRef), nil
	}
	h, got, err := c.fetchHeader(ctx, blockID{hash: &hash})
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	ref := headerRef(h, got)
	c.remember(ref)
	return ref, nil
}

func (c *conn) refByNumber(ctx context.Context, n uint64) (eth.L1BlockRef, error) {
	if hash, ok := c.index.lookup(n, time.Now()); ok {
		if v, ok := c.cache.get(cacheKey{kindRef, hash}); ok {
			return v.(eth.L1BlockRef), nil
		}
	}
	h, hash, err := c.fetchHeader(ctx, blockID{number: n})
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	ref := headerRef(h, hash)
	c.remember(ref)
	return ref, nil
}

// refByLabel always asks the endpoints: labels move.
func (c *conn) refByLabel(ctx context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	switch l {
	case eth.Unsafe, eth.Safe, eth.Finalized:
	default:
		return eth.L1BlockRef{}, fmt.Errorf("%w: unknown block label %v", eth.ErrInvalidArgument, l)
	}
	h, hash, err := c.fetchHeader(ctx, blockID{label: l.String()})
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	ref := headerRef(h, hash)
	c.remember(ref)
	c.index.observe(l, ref)
	return ref, nil
}

// blockByHash returns a verified block from the cache or the endpoints.
func (c *conn) blockByHash(ctx context.Context, hash common.Hash) (*block, error) {
	if v, ok := c.cache.get(cacheKey{kindBlock, hash}); ok {
		return v.(*block), nil
	}
	return c.flights.do(ctx, "hash "+hash.Hex(), func(ctx context.Context) (*block, error) {
		return c.load(ctx, blockID{hash: &hash})
	})
}

// blockByNumber returns a verified block, from the cache while the number
// index vouches for it.
func (c *conn) blockByNumber(ctx context.Context, n uint64) (*block, error) {
	if hash, ok := c.index.lookup(n, time.Now()); ok {
		if v, ok := c.cache.get(cacheKey{kindBlock, hash}); ok {
			return v.(*block), nil
		}
	}
	return c.flights.do(ctx, numberKey(n), func(ctx context.Context) (*block, error) {
		return c.load(ctx, blockID{number: n})
	})
}

func numberKey(n uint64) string { return "number " + strconv.FormatUint(n, 10) }

// load fetches a block and caches it.
func (c *conn) load(ctx context.Context, id blockID) (*block, error) {
	b, err := c.fetchBlock(ctx, id)
	if err != nil {
		return nil, err
	}
	c.cache.add(cacheKey{kindBlock, b.hash}, b, b.size)
	c.remember(b.ref())
	return b, nil
}

// cached reports whether block n is cached, without touching the
// counters (for the prefetcher).
func (c *conn) cached(n uint64) bool {
	hash, ok := c.index.lookup(n, time.Now())
	return ok && c.cache.has(cacheKey{kindBlock, hash})
}

// blockData serves BlockData: the verified block cut down to the request,
// with the blobs it asks for.
func (c *conn) blockData(ctx context.Context, req sdkl1.BlockDataRequest) (*eth.L1BlockData, error) {
	var (
		b   *block
		err error
	)
	if req.Hash != nil {
		b, err = c.blockByHash(ctx, *req.Hash)
	} else {
		b, err = c.blockByNumber(ctx, req.Number)
	}
	if err != nil {
		return nil, err
	}
	out, err := b.filter(req)
	if err != nil {
		return nil, err
	}
	if req.Blobs {
		if refs := b.inboxBlobs(req.BatchInbox); len(refs) > 0 {
			if out.Blobs, err = c.blobs(ctx, b, refs); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
