package l1source

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Health tracking of one endpoint (JSON-RPC or beacon). An endpoint that
// failed is demoted for a cooldown that doubles with each further failure,
// so that a dead or misbehaving endpoint stops costing every request a
// timeout while a healthy one is available; it is still tried, last, when
// nothing better is left. Bad data (a hash mismatch) demotes for the
// longest cooldown at once: an endpoint that lies once is not trusted
// first again soon.
const (
	cooldownBase = 2 * time.Second
	cooldownMax  = time.Minute
	// maxRetryAfter caps how long a Retry-After header can hold an endpoint
	// back, so that a bogus value cannot park it for hours.
	maxRetryAfter = time.Minute
)

type health struct {
	mu           sync.Mutex
	failures     int
	demotedUntil time.Time
	retryAfter   time.Time // the endpoint asked not to be called before this
}

// succeeded restores the endpoint's rank.
func (h *health) succeeded() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = 0
	h.demotedUntil = time.Time{}
}

// failed demotes the endpoint; badData demotes it for the longest cooldown.
func (h *health) failed(now time.Time, badData bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures++
	cd := cooldownMax
	if !badData && h.failures < 8 {
		cd = min(cooldownBase<<(h.failures-1), cooldownMax)
	}
	h.demotedUntil = now.Add(cd)
	if h.retryAfter.After(h.demotedUntil) {
		h.demotedUntil = h.retryAfter
	}
}

// noteRetryAfter records a server's request to wait d before calling again.
func (h *health) noteRetryAfter(now time.Time, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := now.Add(min(d, maxRetryAfter)); t.After(h.retryAfter) {
		h.retryAfter = t
	}
}

// state reports whether the endpoint is demoted and until when it asked
// not to be called.
func (h *health) state(now time.Time) (demoted bool, demotedUntil, retryAfter time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return now.Before(h.demotedUntil), h.demotedUntil, h.retryAfter
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// retryAfterTransport records Retry-After headers of 429 and 503 answers
// on the endpoint's health: go-ethereum's RPC client reports the status but
// not the headers.
type retryAfterTransport struct {
	base http.RoundTripper
	h    *health
}

func (t *retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		now := time.Now()
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			t.h.noteRetryAfter(now, d)
		}
	}
	return resp, err
}

// newHTTPClient returns an HTTP client for one endpoint, with its own
// connection pool (prefetching keeps several requests in flight) and the
// Retry-After recorder.
func newHTTPClient(h *health) *http.Client {
	var tr *http.Transport
	if def, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = def.Clone()
	} else {
		tr = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: &retryAfterTransport{base: tr, h: h}}
}
