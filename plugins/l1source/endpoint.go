package l1source

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"golang.org/x/time/rate"

	"github.com/opalnode/opal/sdk/eth"
)

// errClosed is returned for calls on a configuration that was replaced or
// closed while they ran.
var errClosed = errors.New("l1source was reconfigured or closed")

// wsMessageLimit is the largest websocket message accepted: a full block
// with transactions, or a block's receipts, can be tens of MB.
const wsMessageLimit = 256 << 20

// endpoint is one L1 JSON-RPC endpoint.
type endpoint struct {
	health
	name    string // "rpc[1] https://host", credentials left out
	url     string
	ws      bool
	timeout time.Duration
	limiter *rate.Limiter // nil: unlimited

	dialMu sync.Mutex
	client *rpc.Client
	closed bool // set by close: no more dialing

	// missing holds the receipt methods (receiptMethod bits) the
	// endpoint answered it lacks, so that they are not asked again.
	missing atomic.Uint32
	// chainOK is set once eth_chainId matched the rollup's L1 chain id;
	// wrongChain holds the error once it did not.
	chainOK    atomic.Bool
	wrongChain atomic.Pointer[error]
}

func newEndpoint(key string, i int, url string, s settings) *endpoint {
	ep := &endpoint{
		name:    fmt.Sprintf("%s[%d] %s", key, i, redact(url)),
		url:     url,
		ws:      strings.HasPrefix(url, "ws"),
		timeout: s.timeout,
	}
	if key == "rpc" && len(s.rpcs) == 1 {
		ep.name = "rpc " + redact(url) // the usual single endpoint
	}
	if s.rateLimit > 0 {
		ep.limiter = rate.NewLimiter(rate.Limit(s.rateLimit), max(1, int(s.rateLimit)))
	}
	return ep
}

// rpcClient returns the endpoint's client, dialing it on first use: a
// websocket dial connects, and an endpoint that is down at startup must not
// stop the others from serving. HTTP dials do not touch the network.
func (ep *endpoint) rpcClient(ctx context.Context) (*rpc.Client, error) {
	ep.dialMu.Lock()
	defer ep.dialMu.Unlock()
	if ep.client != nil {
		return ep.client, nil
	}
	if ep.closed {
		return nil, errClosed
	}
	opts := []rpc.ClientOption{rpc.WithWebsocketMessageSizeLimit(wsMessageLimit)}
	if !ep.ws {
		opts = append(opts, rpc.WithHTTPClient(newHTTPClient(&ep.health)))
	}
	c, err := rpc.DialOptions(ctx, ep.url, opts...)
	if err != nil {
		return nil, err
	}
	ep.client = c
	return c, nil
}

func (ep *endpoint) close() {
	ep.dialMu.Lock()
	defer ep.dialMu.Unlock()
	ep.closed = true
	if ep.client != nil {
		ep.client.Close()
		ep.client = nil
	}
}

// call makes one JSON-RPC request within the rate limit and the
// per-request timeout.
func (ep *endpoint) call(ctx context.Context, result any, method string, args ...any) error {
	return ep.request(ctx, method, func(ctx context.Context, c *rpc.Client) error {
		return c.CallContext(ctx, result, method, args...)
	})
}

// batch sends elems as one JSON-RPC batch (one request for the rate limit).
// Errors of single elements are left in elems.
func (ep *endpoint) batch(ctx context.Context, elems []rpc.BatchElem) error {
	if len(elems) == 0 {
		return nil
	}
	return ep.request(ctx, elems[0].Method+" (batch)", func(ctx context.Context, c *rpc.Client) error {
		return c.BatchCallContext(ctx, elems)
	})
}

func (ep *endpoint) request(ctx context.Context, method string, do func(context.Context, *rpc.Client) error) error {
	if ep.limiter != nil {
		if err := ep.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s: %s: rate limit leaves no time before the deadline", ep.name, method)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, ep.timeout)
	defer cancel()
	c, err := ep.rpcClient(rctx)
	if errors.Is(err, errClosed) {
		return &requestError{ep: ep.name, method: method, msg: err.Error()}
	}
	if err == nil {
		err = do(rctx, c)
	}
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	// The per-request deadline is reported as text: wrapped, it would read
	// as the caller's own deadline (also across the plugin boundary).
	if errors.Is(err, context.DeadlineExceeded) {
		return &requestError{ep: ep.name, method: method, msg: fmt.Sprintf("no answer within %s", ep.timeout), retry: true}
	}
	return classify(ep.name, method, err)
}

// checkChain compares the endpoint's chain id with want once; an endpoint
// of another chain is refused from then on.
func (ep *endpoint) checkChain(ctx context.Context, want *big.Int, key string) error {
	if want == nil || ep.chainOK.Load() {
		return nil
	}
	if p := ep.wrongChain.Load(); p != nil {
		return *p
	}
	var id hexutil.Big
	if err := ep.call(ctx, &id, "eth_chainId"); err != nil {
		return err
	}
	if (*big.Int)(&id).Cmp(want) != 0 {
		err := fmt.Errorf("%w: l1source config %s: %s serves chain id %s, the rollup's l1_chain_id is %s",
			eth.ErrInvalidArgument, key, ep.name, (*big.Int)(&id), want)
		ep.wrongChain.Store(&err)
		return err
	}
	ep.chainOK.Store(true)
	return nil
}

// receiptMethods is what of avail the endpoint has not refused.
func (e *endpoint) receiptMethods(avail receiptMethod) receiptMethod {
	return avail &^ receiptMethod(e.missing.Load())
}

// markMissing records that the endpoint lacks method m.
func (e *endpoint) markMissing(m receiptMethod) {
	for {
		old := e.missing.Load()
		if e.missing.CompareAndSwap(old, old|uint32(m)) {
			return
		}
	}
}
