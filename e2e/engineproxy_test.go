package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// engineCounter is a pass-through proxy in front of an engine's
// authenticated RPC that counts the Engine API calls (engine_*) by method.
type engineCounter struct {
	URL string
	// down, while set, drops every connection unanswered: the engine is
	// unreachable.
	down atomic.Bool

	mu    sync.Mutex
	calls map[string]int
}

// fcuWithoutAttributes counts the forkchoiceUpdated calls that only move
// the heads (not an Engine API method name, so not in engineCalls).
const fcuWithoutAttributes = "(forkchoiceUpdated without attributes)"

func newEngineCounter(t *testing.T, target string) *engineCounter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &engineCounter{calls: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			http.Error(w, "unreachable", http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		c.count(body)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

func (c *engineCounter) count(body []byte) {
	var one struct {
		Method string            `json:"method"`
		Params []json.RawMessage `json:"params"`
	}
	var batch []struct {
		Method string `json:"method"`
	}
	var methods []string
	if json.Unmarshal(body, &one) == nil && one.Method != "" {
		methods = append(methods, one.Method)
		if strings.HasPrefix(one.Method, "engine_forkchoiceUpdated") && (len(one.Params) < 2 || string(one.Params[1]) == "null") {
			methods = append(methods, fcuWithoutAttributes)
		}
	} else if json.Unmarshal(body, &batch) == nil {
		for _, m := range batch {
			methods = append(methods, m.Method)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range methods {
		c.calls[m]++
	}
}

// engineCalls returns the Engine API calls (engine_*) counted, by method,
// and their total.
func (c *engineCounter) engineCalls() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, total := map[string]int{}, 0
	for m, n := range c.calls {
		if len(m) > 7 && m[:7] == "engine_" {
			out[m] = n
			total += n
		}
	}
	return out, total
}
