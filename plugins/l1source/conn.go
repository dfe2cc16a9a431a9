package l1source

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/opalnode/opal/sdk/eth"
)

// conn is everything one configuration owns: the endpoints, the caches and
// the background work (prefetching). Immutable after newConn except for
// the internally synchronised parts.
type conn struct {
	s       settings
	rpcKey  string // "rpc" or "rpcs", for messages about the endpoints
	chainID *big.Int
	eps     []*endpoint
	beacon  *beaconClient
	cache   *lru // nil: caching off
	index   *numberIndex
	flights flightGroup
	pre     *prefetcher // nil: prefetching off

	// bg is the context of background work, cancelled by close.
	bg     context.Context
	cancel context.CancelFunc
}

func newConn(s settings, l1ChainID *big.Int) *conn {
	c := &conn{s: s, rpcKey: s.rpcKey, chainID: l1ChainID, index: newNumberIndex()}
	for i, u := range s.rpcs {
		c.eps = append(c.eps, newEndpoint(c.rpcKey, i, u, s))
	}
	c.beacon = newBeaconClient(s)
	if s.cacheBytes > 0 {
		c.cache = newLRU(s.cacheBytes)
		if s.prefetch > 0 {
			c.pre = newPrefetcher(c, s.prefetch)
		}
	}
	c.bg, c.cancel = context.WithCancel(context.Background())
	return c
}

// checkChains asks every endpoint for its chain id when the rollup names
// the L1 chain: an endpoint of another chain is a configuration error. An
// endpoint that cannot be reached now is checked on first use instead, but
// at least one must answer.
func (c *conn) checkChains(ctx context.Context) error {
	if c.chainID == nil {
		return nil
	}
	var lastErr error
	answered := 0
	for _, ep := range c.eps {
		err := ep.checkChain(ctx, c.chainID, c.rpcKey)
		switch {
		case err == nil:
			answered++
		case errors.Is(err, eth.ErrInvalidArgument):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			lastErr = err
		}
	}
	if answered == 0 {
		return fmt.Errorf("%w: no L1 endpoint answered eth_chainId: %w", eth.ErrTemporary, lastErr)
	}
	return nil
}

// close stops background work and closes the endpoints' connections.
func (c *conn) close() {
	c.cancel()
	for _, ep := range c.eps {
		ep.close()
	}
	c.beacon.close()
}
