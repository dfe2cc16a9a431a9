package l1source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// fakeRPC is a minimal JSON-RPC server over HTTP (single and batch
// requests) whose methods are plain functions, for answers no real node
// gives: recorded vectors, synthetic blocks.
type fakeRPC struct {
	mu      sync.Mutex
	methods map[string]func(params []json.RawMessage) (any, *rpcErr)
	calls   map[string]int
	srv     *httptest.Server
}

type rpcErr struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcReq struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

type rpcResp struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcErr         `json:"error,omitempty"`
}

func newFakeRPC(t testing.TB) *fakeRPC {
	f := &fakeRPC{methods: map[string]func([]json.RawMessage) (any, *rpcErr){}, calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRPC) handle(method string, fn func(params []json.RawMessage) (any, *rpcErr)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.methods[method] = fn
}

func (f *fakeRPC) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeRPC) one(r rpcReq) rpcResp {
	f.mu.Lock()
	fn := f.methods[r.Method]
	f.calls[r.Method]++
	f.mu.Unlock()
	out := rpcResp{JSONRPC: "2.0", ID: r.ID}
	if fn == nil {
		out.Error = &rpcErr{Code: -32601, Message: "the method " + r.Method + " does not exist/is not available"}
		return out
	}
	res, err := fn(r.Params)
	if err != nil {
		out.Error = err
	} else if res == nil {
		out.Result = json.RawMessage("null")
	} else {
		out.Result = res
	}
	return out
}

func (f *fakeRPC) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		var reqs []rpcReq
		if err := json.Unmarshal(t, &reqs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := make([]rpcResp, len(reqs))
		for i, req := range reqs {
			out[i] = f.one(req)
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	var req rpcReq
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_ = json.NewEncoder(w).Encode(f.one(req))
}

// serveBlocks answers the block and receipt methods for blocks, as a node
// would (header fields, hash, full transactions or their hashes).
func (f *fakeRPC) serveBlocks(blocks []*types.Block, receipts [][]*types.Receipt) {
	find := func(p []json.RawMessage, byHash bool) int {
		if len(p) == 0 {
			return -1
		}
		for i, b := range blocks {
			if byHash {
				var h common.Hash
				if json.Unmarshal(p[0], &h) == nil && h == b.Hash() {
					return i
				}
				continue
			}
			var n string
			if json.Unmarshal(p[0], &n) == nil && (n == "latest" || n == "safe" || n == "finalized") && i == len(blocks)-1 {
				return i
			}
			if n == hexNum(b.NumberU64()) {
				return i
			}
		}
		return -1
	}
	full := func(p []json.RawMessage) bool {
		var v bool
		return len(p) > 1 && json.Unmarshal(p[1], &v) == nil && v
	}
	f.handle("eth_getBlockByHash", func(p []json.RawMessage) (any, *rpcErr) {
		if i := find(p, true); i >= 0 {
			return blockJSON(blocks[i], full(p)), nil
		}
		return nil, nil
	})
	f.handle("eth_getBlockByNumber", func(p []json.RawMessage) (any, *rpcErr) {
		if i := find(p, false); i >= 0 {
			return blockJSON(blocks[i], full(p)), nil
		}
		return nil, nil
	})
	f.handle("eth_getBlockReceipts", func(p []json.RawMessage) (any, *rpcErr) {
		i := find(p, true)
		if i < 0 {
			i = find(p, false)
		}
		if i < 0 {
			return nil, nil
		}
		return receipts[i], nil
	})
	f.handle("eth_chainId", func([]json.RawMessage) (any, *rpcErr) { return "0x5", nil })
}

func hexNum(n uint64) string { return fmt.Sprintf("0x%x", n) }

// blockJSON renders a block as eth_getBlockBy* does.
func blockJSON(b *types.Block, full bool) map[string]any {
	raw, _ := json.Marshal(b.Header())
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if full {
		txs := make([]any, len(b.Transactions()))
		for i, tx := range b.Transactions() {
			txs[i] = tx
		}
		m["transactions"] = txs
	} else {
		hashes := make([]common.Hash, len(b.Transactions()))
		for i, tx := range b.Transactions() {
			hashes[i] = tx.Hash()
		}
		m["transactions"] = hashes
	}
	m["uncles"] = []common.Hash{}
	if b.Header().WithdrawalsHash != nil {
		m["withdrawals"] = []any{}
	}
	return m
}
