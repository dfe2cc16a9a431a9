package l1source

import (
	"context"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// Source implements sdk/l1source.Source. It is safe for concurrent use; a
// new Configure replaces the endpoints (and empties the cache) for calls
// that start afterwards.
type Source struct {
	mu sync.RWMutex
	c  *conn
}

var _ sdkl1.Source = (*Source)(nil)

// New returns an unconfigured source.
func New() *Source { return &Source{} }

// Info names the implementation; it does not depend on Configure.
func (s *Source) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "default", Version: "1.0.0"}, nil
}

// Configure validates the config table (see Config) and sets up the
// endpoints. When the rollup config names the L1 chain id, every reachable
// endpoint must serve that chain: a wrong one is a configuration error
// naming the key; when none answers, the error is eth.ErrTemporary.
func (s *Source) Configure(ctx context.Context, req base.ConfigureRequest) error {
	set, err := parseConfig(req.Config)
	if err != nil {
		return err
	}
	var chainID *big.Int
	if req.Rollup != nil && req.Rollup.L1ChainID != nil {
		chainID = new(big.Int).Set(req.Rollup.L1ChainID)
	}
	c := newConn(set, chainID)
	if err := c.checkChains(ctx); err != nil {
		c.close()
		return err
	}
	s.mu.Lock()
	old := s.c
	s.c = c
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	return nil
}

// Close stops background work and closes the connections. The source must
// be configured again before further use.
func (s *Source) Close() error {
	s.mu.Lock()
	old := s.c
	s.c = nil
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	return nil
}

// Stats returns the cache and prefetch counters (zero before Configure).
func (s *Source) Stats() Stats {
	s.mu.RLock()
	c := s.c
	s.mu.RUnlock()
	if c == nil {
		return Stats{}
	}
	st := c.cache.stats()
	if c.pre != nil {
		st.Prefetched = c.pre.done.Load()
	}
	return st
}

func (s *Source) current() (*conn, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return nil, fmt.Errorf("%w: l1source plugin is not configured", eth.ErrInvalidArgument)
	}
	return s.c, nil
}

// BlockRefByNumber returns the verified reference of block number on the
// endpoints' canonical chain (from the cache while the number index vouches
// for it, see numberIndex).
func (s *Source) BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error) {
	c, err := s.current()
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return c.refByNumber(ctx, number)
}

// BlockRefByHash returns the verified reference of the block with hash.
func (s *Source) BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error) {
	c, err := s.current()
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return c.refByHash(ctx, hash)
}

// BlockRefByLabel returns the current head, safe or finalized block; it
// always asks an endpoint, since labels move.
func (s *Source) BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L1BlockRef, error) {
	c, err := s.current()
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return c.refByLabel(ctx, label)
}

// BlockData returns the block's verified derivation data. Requests by
// increasing number start prefetching of the blocks after.
func (s *Source) BlockData(ctx context.Context, req sdkl1.BlockDataRequest) (*eth.L1BlockData, error) {
	c, err := s.current()
	if err != nil {
		return nil, err
	}
	if req.Hash == nil && c.pre != nil {
		defer c.pre.after(req)
	}
	return c.blockData(ctx, req)
}

// WatchHeads reports head, safe and finalized changes until ctx ends; it
// returns nil then.
func (s *Source) WatchHeads(ctx context.Context, fn func(sdkl1.HeadUpdate)) error {
	c, err := s.current()
	if err != nil {
		return err
	}
	return c.watchHeads(ctx, fn)
}
