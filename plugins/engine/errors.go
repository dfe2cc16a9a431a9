package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ethereum/go-ethereum/rpc"

	sdkengine "github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
)

// ErrJWTRefused: the engine answered 401/403, so the JWT secret is not the
// one it was started with. It wraps eth.ErrInvalidArgument, the identity
// that crosses the plugin boundary.
var ErrJWTRefused = fmt.Errorf("%w: engine refused the JWT secret (check jwt_secret against the engine's --authrpc.jwtsecret)", eth.ErrInvalidArgument)

// JSON-RPC error codes the Engine API defines, and the generic ones the
// classification looks at.
const (
	codeMethodNotFound           = -32601
	codeInvalidParams            = -32602
	codeUnknownPayload           = -38001
	codeInvalidForkchoiceState   = -38002
	codeInvalidPayloadAttributes = -38003
	codeTooLargeRequest          = -38004
	codeUnsupportedFork          = -38005
)

// callError turns a failed call into the contract's error kinds. The
// message always names the method and the endpoint. ctx is the caller's:
// when the caller gave up, its context error is kept so cancellation
// propagates; when only this plugin's per-call timeout fired, the deadline
// is reported as text, so the error reads as eth.ErrTemporary on both sides
// of the plugin boundary (a wrapped context.DeadlineExceeded would be taken
// for the caller's own deadline there).
func (c *conn) callError(ctx context.Context, method string, err error) error {
	where := fmt.Sprintf("%s at %s", method, c.endpoint)
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %s: %w", eth.ErrTemporary, where, cerr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %s: no answer within %s", eth.ErrTemporary, where, c.timeout)
	}
	var rpcErr rpc.Error
	if errors.As(err, &rpcErr) {
		// The JSON-RPC error stays in the chain for readError.
		return fmt.Errorf("%w: %s: %w (code %d)", kindOfCode(method, rpcErr.ErrorCode()), where, rpcErr, rpcErr.ErrorCode())
	}
	var httpErr rpc.HTTPError
	if errors.As(err, &httpErr) {
		return fmt.Errorf("%w: %s: HTTP %s", kindOfHTTPStatus(httpErr.StatusCode), where, httpStatusText(httpErr))
	}
	if status := wsHandshakeStatus(err); status != 0 {
		return fmt.Errorf("%w: %s: %v", kindOfHTTPStatus(status), where, err)
	}
	// Everything else failed before a JSON-RPC answer arrived or while
	// reading it: refused or reset connections, DNS, TLS, a truncated or
	// garbled body. These may clear up.
	return fmt.Errorf("%w: %s: %v", eth.ErrTemporary, where, err)
}

// kindOfCode maps a JSON-RPC error code to the contract's error kind.
func kindOfCode(method string, code int) error {
	switch code {
	case codeUnknownPayload:
		return sdkengine.ErrUnknownPayload
	case codeInvalidPayloadAttributes:
		return sdkengine.ErrInvalidAttributes
	case codeInvalidForkchoiceState:
		return eth.ErrReset
	case codeInvalidParams:
		// geth reports attributes that do not fit the method's fork as
		// invalid params (e.g. withdrawals in V1).
		if strings.HasPrefix(method, "engine_forkchoiceUpdated") {
			return sdkengine.ErrInvalidAttributes
		}
		return eth.ErrInvalidArgument
	case codeTooLargeRequest:
		return eth.ErrInvalidArgument
	case codeUnsupportedFork:
		// geth checks a payload id's version byte before looking it up,
		// so an id it never issued for this method's fork is refused as
		// an unsupported fork rather than as unknown: for getPayload both
		// mean "this id cannot be fetched here, build again".
		if strings.HasPrefix(method, "engine_getPayload") {
			return sdkengine.ErrUnknownPayload
		}
		return errForkMismatch
	case codeMethodNotFound:
		return errForkMismatch
	default:
		// Server errors (-32000 and friends) are how engines report
		// internal trouble; op-node retries those.
		return eth.ErrTemporary
	}
}

// errForkMismatch: the engine does not serve the method version the rollup
// config's fork schedule requires. Retrying cannot help; the rollup config
// and the engine's chain config (or its version) disagree.
var errForkMismatch = fmt.Errorf("%w: engine does not support the method the rollup config's fork schedule requires (rollup config and engine chain config disagree, or the engine is too old)", eth.ErrCritical)

// kindOfHTTPStatus maps an HTTP status to the contract's error kind.
func kindOfHTTPStatus(status int) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrJWTRefused
	case status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		return eth.ErrTemporary
	default:
		// Other 4xx: a wrong path or a proxy refusing the request; the
		// configuration must change.
		return eth.ErrInvalidArgument
	}
}

func httpStatusText(e rpc.HTTPError) string {
	body := strings.TrimSpace(string(e.Body))
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	if body == "" {
		return e.Status
	}
	return e.Status + ": " + body
}

// wsHandshakeStatus extracts the HTTP status of a refused websocket
// handshake. go-ethereum reports it only in the text ("... (HTTP status
// 401 Unauthorized)"), its error type being unexported.
func wsHandshakeStatus(err error) int {
	msg := err.Error()
	const marker = "(HTTP status "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return 0
	}
	var status int
	if _, serr := fmt.Sscanf(msg[i+len(marker):], "%d", &status); serr != nil {
		return 0
	}
	return status
}
