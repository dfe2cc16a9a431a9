// Package engine is opal's default engine plugin: it drives an OP Stack
// execution engine (op-geth, op-reth) over the JWT-authenticated Engine API
// and reads the L2 chain through the eth namespace of the same endpoint.
//
// Method versions follow the fork of the payload's timestamp in the rollup
// config, as op-node chooses them. Engine verdicts (VALID, INVALID,
// SYNCING, ...) are results; failures are classified into the contract's
// error kinds (see callError). The JSON shapes are this package's own, so
// it builds against upstream go-ethereum as well as op-geth.
package engine

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/sdk/base"
	sdkengine "github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Engine implements sdk/engine.Engine. It is safe for concurrent use; a
// new Configure replaces the connection for calls that start afterwards.
type Engine struct {
	mu   sync.RWMutex
	conn *conn
}

var _ sdkengine.Engine = (*Engine)(nil)

// New returns an unconfigured engine client.
func New() *Engine { return &Engine{} }

// conn is one configured connection: immutable once built.
type conn struct {
	client   *rpc.Client
	cfg      *rollup.Config
	endpoint string // the URL without credentials, for messages
	timeout  time.Duration
}

func (e *Engine) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "default", Version: "1.0.0"}, nil
}

// Configure validates the config, dials the engine and proves the
// connection with an authenticated eth_chainId, so that a wrong secret or
// a wrong chain stops the node at startup rather than at the first block.
// An unreachable engine is eth.ErrTemporary (the host may retry).
func (e *Engine) Configure(ctx context.Context, req base.ConfigureRequest) error {
	if req.Rollup == nil {
		return fmt.Errorf("%w: engine: rollup config required (method versions follow its fork times)", eth.ErrInvalidArgument)
	}
	if req.Rollup.L2ChainID == nil || req.Rollup.BlockTime == 0 {
		return fmt.Errorf("%w: engine: rollup config lacks l2_chain_id or block_time", eth.ErrInvalidArgument)
	}
	s, err := parseConfig(req.Config)
	if err != nil {
		return err
	}
	c, err := dial(ctx, s, req.Rollup)
	if err == nil {
		if err = c.checkChain(ctx); err != nil {
			c.client.Close()
		}
	}
	if errors.Is(err, ErrJWTRefused) {
		return fmt.Errorf("engine config %s: %w", s.secretKey, err)
	}
	if err != nil {
		return err
	}
	e.mu.Lock()
	old := e.conn
	e.conn = c
	e.mu.Unlock()
	if old != nil {
		old.client.Close()
	}
	return nil
}

// Close releases the connection. The engine must be configured again
// before further use.
func (e *Engine) Close() error {
	e.mu.Lock()
	old := e.conn
	e.conn = nil
	e.mu.Unlock()
	if old != nil {
		old.client.Close()
	}
	return nil
}

// current returns the configured connection.
func (e *Engine) current() (*conn, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.conn == nil {
		return nil, fmt.Errorf("%w: engine plugin is not configured", eth.ErrInvalidArgument)
	}
	return e.conn, nil
}

func dial(ctx context.Context, s settings, cfg *rollup.Config) (*conn, error) {
	c := &conn{cfg: cfg, endpoint: redact(s.url), timeout: s.timeout}
	dctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// A websocket dial connects (and authenticates) here; HTTP connects
	// per call.
	client, err := rpc.DialOptions(dctx, s.url, rpc.WithHTTPAuth(node.NewJWTAuth(s.secret)))
	if err != nil {
		return nil, c.callError(ctx, "dial", err)
	}
	c.client = client
	return c, nil
}

// checkChain asks for the chain id and, where the engine has it, the
// rollup genesis block, which catches an engine of another chain.
func (c *conn) checkChain(ctx context.Context) error {
	var id hexutil.Big
	if err := c.call(ctx, &id, "eth_chainId"); err != nil {
		return err
	}
	if want := c.cfg.L2ChainID; (*big.Int)(&id).Cmp(want) != 0 {
		return fmt.Errorf("%w: engine config url: engine at %s serves chain id %s, rollup l2_chain_id is %s",
			eth.ErrInvalidArgument, c.endpoint, (*big.Int)(&id), want)
	}
	g := c.cfg.Genesis.L2
	h, err := c.headerByNumber(ctx, g.Number)
	switch {
	case errors.Is(err, eth.ErrNotFound):
		// An engine still snap-syncing may not have the genesis block.
		return nil
	case err != nil:
		return err
	case h.Hash != g.Hash:
		return fmt.Errorf("%w: engine config url: engine at %s has block %s at the rollup genesis number %d, rollup genesis.l2.hash is %s",
			eth.ErrInvalidArgument, c.endpoint, h.Hash, g.Number, g.Hash)
	}
	return nil
}

// call makes one JSON-RPC call within the per-call timeout and classifies
// its failure.
func (c *conn) call(ctx context.Context, result any, method string, args ...any) error {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.client.CallContext(cctx, result, method, args...); err != nil {
		return c.callError(ctx, method, err)
	}
	return nil
}

// batch makes a batch call within the per-call timeout. The batch's own
// failure is classified; the elements' errors are left to the caller.
func (c *conn) batch(ctx context.Context, elems []rpc.BatchElem) error {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.client.BatchCallContext(cctx, elems); err != nil {
		return c.callError(ctx, elems[0].Method+" (batch)", err)
	}
	return nil
}

// redact drops user info and query from the URL, which may carry
// credentials, before it appears in error messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "engine"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}
