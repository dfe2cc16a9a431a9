package engine

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// rpcRequest is one JSON-RPC request as the fake server saw it.
type rpcRequest struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// reply is how the fake server answers one request.
type reply struct {
	result  any    // JSON result (ignored when code != 0)
	code    int    // JSON-RPC error code
	message string // JSON-RPC error message
	status  int    // HTTP status other than 200
	hangup  bool   // close the connection without answering
	garbage bool   // answer 200 with a body that is not JSON
	delay   time.Duration
}

// fakeRPC is a JSON-RPC server on 127.0.0.1 whose answers a test scripts.
// By default it serves chain 901 with no blocks, which passes Configure.
type fakeRPC struct {
	*httptest.Server
	mu       sync.Mutex
	answer   func(method string) reply
	requests []rpcRequest
}

func newFakeRPC(t testing.TB) *fakeRPC {
	f := &fakeRPC{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// script sets the answer for methods other than the ones Configure needs.
func (f *fakeRPC) script(answer func(method string) reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = answer
	f.requests = nil
}

// called reports whether a request for method arrived since the last
// script (Configure's eth_chainId is not recorded).
func (f *fakeRPC) called(method string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.requests {
		if r.Method == method {
			return true
		}
	}
	return false
}

// requestFor returns the last request for method.
func (f *fakeRPC) requestFor(method string) (rpcRequest, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if f.requests[i].Method == method {
			return f.requests[i], true
		}
	}
	return rpcRequest{}, false
}

func (f *fakeRPC) replyTo(method string) reply {
	f.mu.Lock()
	answer := f.answer
	f.mu.Unlock()
	if answer != nil {
		return answer(method)
	}
	switch method {
	case "eth_chainId":
		return reply{result: "0x385"}
	case "eth_getBlockByNumber":
		return reply{result: nil}
	default:
		return reply{code: -32601, message: "the method " + method + " does not exist/is not available"}
	}
}

func (f *fakeRPC) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var reqs []rpcRequest
	batch := len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '['
	if batch {
		err = json.Unmarshal(body, &reqs)
	} else {
		var one rpcRequest
		err = json.Unmarshal(body, &one)
		reqs = []rpcRequest{one}
	}
	if err != nil || len(reqs) == 0 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var outs []map[string]any
	for _, req := range reqs {
		if req.Method != "eth_chainId" {
			f.mu.Lock()
			f.requests = append(f.requests, req)
			f.mu.Unlock()
		}
		rep := f.replyTo(req.Method)
		if rep.delay > 0 {
			time.Sleep(rep.delay)
		}
		switch {
		case rep.hangup:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
				}
			}
			return
		case rep.garbage:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("<html>not json"))
			return
		case rep.status != 0:
			http.Error(w, http.StatusText(rep.status), rep.status)
			return
		}
		out := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		if rep.code != 0 {
			out["error"] = map[string]any{"code": rep.code, "message": rep.message}
		} else {
			out["result"] = rep.result
		}
		outs = append(outs, out)
	}
	w.Header().Set("Content-Type", "application/json")
	if batch {
		_ = json.NewEncoder(w).Encode(outs)
	} else {
		_ = json.NewEncoder(w).Encode(outs[0])
	}
}
