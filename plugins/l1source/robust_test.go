package l1source

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// Malformed answers of every kind are errors, never panics or data.
func TestMalformedAnswers(t *testing.T) {
	l1 := shared(t)
	c := l1.chain()
	good := blockJSON(c.Blocks[3], true)
	goodRaw, _ := json.Marshal(good)
	receipts, _ := json.Marshal(c.Receipts[3])
	with := func(key string, v any) json.RawMessage {
		var m map[string]any
		_ = json.Unmarshal(goodRaw, &m)
		if v == nil {
			delete(m, key)
		} else {
			m[key] = v
		}
		out, _ := json.Marshal(m)
		return out
	}
	blocks := []json.RawMessage{
		json.RawMessage(`123`), json.RawMessage(`"block"`), json.RawMessage(`[]`), json.RawMessage(`{}`),
		json.RawMessage(`{"number":"0x3"}`), json.RawMessage(`{"hash":"0xzz"}`),
		with("number", "0xffffffffffffffffffffffffffffffffffff"), with("hash", nil), with("parentHash", 7),
		with("transactions", []any{nil}), with("transactions", []any{123}), with("transactions", "x"),
		with("transactions", []any{map[string]any{"type": "0x3"}}), with("transactions", []any{map[string]any{"type": "0x99"}}),
		with("withdrawals", []any{nil}), with("logsBloom", "0x00"), with("baseFeePerGas", "-0x1"),
	}
	receiptDocs := []json.RawMessage{
		json.RawMessage(`5`), json.RawMessage(`[null]`), json.RawMessage(`[{}]`), json.RawMessage(`{"a":1}`),
		json.RawMessage(`[{"logs":[null],"cumulativeGasUsed":"0x1","logsBloom":"0x00","transactionHash":"0x00","gasUsed":"0x1"}]`),
		json.RawMessage(`[]`),
	}
	try := func(t *testing.T, block, rcpts json.RawMessage) {
		f := newFakeRPC(t)
		answer := func([]json.RawMessage) (any, *rpcErr) { return block, nil }
		f.handle("eth_getBlockByNumber", answer)
		f.handle("eth_getBlockByHash", answer)
		f.handle("eth_getBlockReceipts", func([]json.RawMessage) (any, *rpcErr) { return rcpts, nil })
		f.handle("eth_getTransactionReceipt", func([]json.RawMessage) (any, *rpcErr) { return json.RawMessage(`{"status":7}`), nil })
		src := configured(t, map[string]any{"rpc": f.srv.URL, "retries": 0, "cache_bytes": 0})
		ctx := context.Background()
		if data, err := src.BlockData(ctx, request(3)); err == nil || data != nil {
			t.Fatalf("block %.80s, receipts %.80s: accepted", block, rcpts)
		}
		claimed, herr := claimedHash("local", blockID{number: 3}, block)
		if herr == nil {
			_, _, herr = decodeHeader("local", blockID{number: 3}, block, claimed, false)
		}
		if herr != nil {
			if _, err := src.BlockRefByNumber(ctx, 3); err == nil {
				t.Fatalf("header %.80s accepted", block)
			}
			if _, err := src.BlockRefByLabel(ctx, eth.Safe); err == nil {
				t.Fatalf("header %.80s accepted as safe", block)
			}
		}
	}
	for _, b := range blocks {
		try(t, b, receipts)
	}
	for _, r := range receiptDocs {
		try(t, goodRaw, r)
	}
	// The good pair passes, proving the cases above fail for their flaw.
	f := newFakeRPC(t)
	f.handle("eth_getBlockByNumber", func([]json.RawMessage) (any, *rpcErr) { return json.RawMessage(goodRaw), nil })
	f.handle("eth_getBlockReceipts", func([]json.RawMessage) (any, *rpcErr) { return json.RawMessage(receipts), nil })
	src := configured(t, map[string]any{"rpc": f.srv.URL, "retries": 0})
	data, err := src.BlockData(context.Background(), request(3))
	if err != nil {
		t.Fatal(err)
	}
	checkData(t, l1, data, request(3))
}

// Malformed beacon answers are errors too.
func TestMalformedBeacon(t *testing.T) {
	s := setupBlobs(t)
	for _, tc := range []struct{ genesis, spec, sidecars string }{
		{`{"data":{"genesis_time":"abc"}}`, `{"data":{"SECONDS_PER_SLOT":"12"}}`, `{"data":[]}`},
		{`{"data":{"genesis_time":"1606824023"}}`, `{"data":{"SECONDS_PER_SLOT":"0"}}`, `{"data":[]}`},
		{`{"data":{"genesis_time":"1606824023"}}`, `{"data":{}}`, `{"data":[]}`},
		{`{"data":{"genesis_time":"1606824023"}}`, `{"data":{"SECONDS_PER_SLOT":12}}`, `{"data":[null, {"blob":"0x00"}]}`},
		{`{"data":{"genesis_time":1606824023}}`, `{"data":{"SECONDS_PER_SLOT":"12"}}`, `{"data":"x"}`},
		{`nope`, `nope`, `nope`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/eth/v1/beacon/genesis":
				_, _ = w.Write([]byte(tc.genesis))
			case "/eth/v1/config/spec":
				_, _ = w.Write([]byte(tc.spec))
			default:
				_, _ = w.Write([]byte(tc.sidecars))
			}
		}))
		src := configured(t, map[string]any{"rpc": s.rpc.srv.URL, "beacon": srv.URL, "retries": 0})
		data, err := src.BlockData(context.Background(), s.request())
		srv.Close()
		if data != nil || !errors.Is(err, eth.ErrTemporary) {
			t.Fatalf("%+v: %v, %v", tc, data != nil, err)
		}
	}
}

// rate_limit spaces requests per endpoint.
func TestRateLimit(t *testing.T) {
	l1 := shared(t)
	src := configured(t, map[string]any{"rpc": l1.HTTP, "rate_limit": 20, "cache_bytes": 0})
	start := time.Now()
	for i := 0; i < 40; i++ {
		if _, err := src.BlockRefByNumber(context.Background(), uint64(i%sharedBlocks)); err != nil {
			t.Fatal(err)
		}
	}
	// A burst of 20, then 20 more at 20/s.
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("40 requests in %s at 20/s", el)
	}
}

// Concurrent callers of the same block share one fetch and all get it.
func TestConcurrentCallers(t *testing.T) {
	l1 := shared(t)
	p := newProxy(t, l1.HTTP)
	src := configured(t, map[string]any{"rpc": p.srv.URL, "prefetch": 0})
	h := l1.chain().Blocks[8].Hash()
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			d, err := src.BlockData(context.Background(), sdkl1.BlockDataRequest{Hash: &h, BatchInbox: testInbox})
			if err == nil && d.Header.Hash() != h {
				err = errors.New("wrong block")
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := p.count("eth_getBlockByHash"); n > 2 {
		t.Fatalf("%d fetches of one block by 8 concurrent callers", n)
	}
}
