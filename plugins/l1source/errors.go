package l1source

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ethereum/go-ethereum/rpc"
)

// ErrBadResponse marks an answer that fails verification: header fields
// that do not hash to the block hash, transactions, withdrawals or receipts
// that do not match the header's roots, a blob that does not match its
// commitment, or a malformed document. Such data is never passed on; the
// request moves to the next endpoint. Reported to callers inside an
// eth.ErrTemporary error once every endpoint failed.
var ErrBadResponse = errors.New("L1 endpoint answered data that fails verification")

// JSON-RPC error codes that say the request itself cannot succeed, so
// asking the same endpoint again is pointless.
const (
	codeParse          = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
)

// requestError is a failed request to one endpoint. It never wraps a
// context error, so that a per-request timeout is not mistaken for the
// caller's deadline.
type requestError struct {
	ep, method, msg string
	// retry: the failure may clear up (timeouts, connection errors, 429,
	// 5xx, bad data), so the request deserves another round.
	retry bool
	rpc   rpc.Error // set for JSON-RPC error answers
}

func (e *requestError) Error() string { return fmt.Sprintf("%s: %s: %s", e.ep, e.method, e.msg) }

// classify turns a failed request into a requestError.
func classify(ep, method string, err error) error {
	var rpcErr rpc.Error
	if errors.As(err, &rpcErr) {
		code := rpcErr.ErrorCode()
		retry := code != codeParse && code != codeInvalidRequest && code != codeMethodNotFound && code != codeInvalidParams
		return &requestError{ep: ep, method: method, msg: fmt.Sprintf("JSON-RPC error %d: %s", code, rpcErr.Error()), retry: retry, rpc: rpcErr}
	}
	var httpErr rpc.HTTPError
	if errors.As(err, &httpErr) {
		s := httpErr.StatusCode
		retry := s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500
		return &requestError{ep: ep, method: method, msg: "HTTP " + statusText(s, httpErr.Body), retry: retry}
	}
	// Refused or reset connections, DNS, TLS, truncated or garbled bodies:
	// all may clear up.
	return &requestError{ep: ep, method: method, msg: err.Error(), retry: true}
}

func statusText(code int, body []byte) string {
	s := fmt.Sprintf("%d %s", code, http.StatusText(code))
	if b := strings.TrimSpace(string(body)); b != "" {
		if len(b) > 200 {
			b = b[:200] + "…"
		}
		s += ": " + b
	}
	return s
}

// retryable reports whether another round may help after err.
func retryable(err error) bool {
	var re *requestError
	if errors.As(err, &re) {
		return re.retry
	}
	return true // bad data and anything unexpected
}

// methodMissing reports whether err says the endpoint lacks the method.
// Providers differ: the standard code, or a generic code with a message.
func methodMissing(err error) bool {
	var re *requestError
	if !errors.As(err, &re) || re.rpc == nil {
		return false
	}
	if re.rpc.ErrorCode() == codeMethodNotFound {
		return true
	}
	msg := strings.ToLower(re.rpc.Error())
	if !strings.Contains(msg, "method") {
		return false
	}
	for _, s := range []string{"not found", "does not exist", "not supported", "unsupported", "not available", "not allowed", "not whitelisted"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// notFoundAnswer reports whether err is an endpoint's JSON-RPC way of
// saying a block does not exist ("header not found", "safe block not
// found"), which some clients use instead of a null result.
func notFoundAnswer(err error) bool {
	var re *requestError
	if !errors.As(err, &re) || re.rpc == nil || re.rpc.ErrorCode() == codeMethodNotFound {
		return false
	}
	msg := strings.ToLower(re.rpc.Error())
	return strings.Contains(msg, "not found") && !strings.Contains(msg, "method")
}

// badData is an ErrBadResponse error naming the endpoint and the block.
func badData(ep, block, format string, args ...any) error {
	return fmt.Errorf("%w: %s: block %s: %s", ErrBadResponse, ep, block, fmt.Sprintf(format, args...))
}
