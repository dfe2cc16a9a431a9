package l1source

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxy sits in front of the test L1's HTTP endpoint and misbehaves on
// demand: it corrupts answers, refuses with 429/503, drops connections or
// hangs, for the first n requests (or all, with n < 0).
type proxy struct {
	target string
	srv    *httptest.Server

	mu       sync.Mutex
	mode     proxyMode
	left     int // requests left to misbehave on; < 0: all
	only     string
	requests atomic.Int32
	methods  map[string]int
}

type proxyMode int

const (
	passThrough     proxyMode = iota
	corruptReceipts           // alter a log (or the status) of eth_getBlockReceipts answers
	corruptHeader             // alter gasUsed of block answers
	corruptTx                 // alter the value of the first transaction of full block answers
	tooMany                   // 429 with Retry-After: 1
	unavailable               // 503 without Retry-After
	dropConn                  // close the connection without an answer
	hang                      // answer after 2 s
	noBlockReceipts           // answer eth_getBlockReceipts with "method not found"
)

func newProxy(t testing.TB, target string) *proxy {
	p := &proxy{target: target, methods: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// set makes the proxy misbehave with mode on the next n requests (n < 0:
// all), only for the given method when method is not empty.
func (p *proxy) set(mode proxyMode, n int, method string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.left, p.only = mode, n, method
}

func (p *proxy) count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.methods[method]
}

// misbehave decides the fate of one request.
func (p *proxy) misbehave(method string) proxyMode {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.methods[method]++
	if p.mode == passThrough || p.left == 0 || (p.only != "" && p.only != method) {
		return passThrough
	}
	if p.left > 0 {
		p.left--
	}
	return p.mode
}

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Method string `json:"method"`
	}
	_ = json.Unmarshal(body, &req) // batches keep an empty method
	mode := p.misbehave(req.Method)
	switch mode {
	case tooMany:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	case unavailable:
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	case dropConn:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return
	case hang:
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
			return
		}
	case noBlockReceipts:
		if req.Method == "eth_getBlockReceipts" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method eth_getBlockReceipts does not exist/is not available"}}`))
			return
		}
	}
	resp, err := http.Post(p.target, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	switch mode {
	case corruptReceipts, corruptHeader, corruptTx:
		out = corrupt(mode, out)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

// corrupt alters one field of a JSON-RPC answer the way a faulty or
// malicious endpoint might.
func corrupt(mode proxyMode, answer []byte) []byte {
	var msg map[string]any
	if json.Unmarshal(answer, &msg) != nil {
		return answer
	}
	switch mode {
	case corruptReceipts:
		rs, _ := msg["result"].([]any)
		for _, r := range rs {
			rm, _ := r.(map[string]any)
			if logs, _ := rm["logs"].([]any); len(logs) > 0 {
				l := logs[0].(map[string]any)
				l["data"] = strings.Replace(l["data"].(string), "ee", "ef", 1)
				goto done
			}
		}
		if len(rs) > 0 {
			rm := rs[0].(map[string]any)
			if rm["status"] == "0x1" {
				rm["status"] = "0x0"
			} else {
				rm["status"] = "0x1"
			}
		}
	case corruptHeader:
		if b, ok := msg["result"].(map[string]any); ok {
			b["gasUsed"] = "0x1"
		}
	case corruptTx:
		if b, ok := msg["result"].(map[string]any); ok {
			if txs, _ := b["transactions"].([]any); len(txs) > 0 {
				if tx, ok := txs[0].(map[string]any); ok {
					tx["value"] = "0x1"
				}
			}
		}
	}
done:
	out, _ := json.Marshal(msg)
	return out
}
