package l1source

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/sdktest"
)

func request(n uint64) sdkl1.BlockDataRequest {
	return sdkl1.BlockDataRequest{Number: n, BatchInbox: testInbox, LogAddresses: []common.Address{testWatched}}
}

// checkData compares BlockData's answer with what the chain holds.
func checkData(t *testing.T, l1 *testL1, got *eth.L1BlockData, req sdkl1.BlockDataRequest) {
	t.Helper()
	c := l1.chain()
	b := c.Blocks[req.Number]
	want, err := sdktest.FilterBlockData(b, c.Receipts[req.Number], req)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Header.Hash() != b.Hash() {
		t.Fatalf("block %d: wrong header", req.Number)
	}
	if len(got.BatcherTxs) != len(want.BatcherTxs) || len(got.Receipts) != len(want.Receipts) {
		t.Fatalf("block %d: got %d txs, %d receipts; want %d, %d", req.Number, len(got.BatcherTxs), len(got.Receipts), len(want.BatcherTxs), len(want.Receipts))
	}
	for i, tx := range want.BatcherTxs {
		if got.BatcherTxs[i].Index != tx.Index || string(got.BatcherTxs[i].Raw) != string(tx.Raw) {
			t.Fatalf("block %d: batcher tx %d differs", req.Number, i)
		}
	}
	for i, r := range want.Receipts {
		g := got.Receipts[i]
		if g.TxIndex != r.TxIndex || g.Status != r.Status || len(g.Logs) != len(r.Logs) {
			t.Fatalf("block %d: receipt %d: %+v, want %+v", req.Number, i, g, r)
		}
		for j, l := range r.Logs {
			gl := g.Logs[j]
			if gl.Address != l.Address || gl.Index != l.Index || string(gl.Data) != string(l.Data) || !slices.Equal(gl.Topics, l.Topics) {
				t.Fatalf("block %d: log %d: %+v, want %+v", req.Number, j, gl, l)
			}
		}
	}
}

// The chain really holds what the tests rely on.
func TestL1HasBatcherTxsAndLogs(t *testing.T) {
	l1 := shared(t)
	src := configured(t, map[string]any{"rpc": l1.HTTP})
	data, err := src.BlockData(context.Background(), request(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(data.BatcherTxs) != 1 || len(data.Receipts) != 1 || len(data.Receipts[0].Logs) != 1 {
		t.Fatalf("block 3: %d batcher txs, %d receipts; want 1, 1 with a log", len(data.BatcherTxs), len(data.Receipts))
	}
	if l := data.Receipts[0].Logs[0]; l.Topics[0] != eventTopic || l.Data[0] != 3 {
		t.Fatalf("unexpected log %+v", l)
	}
	checkData(t, l1, data, request(3))
}

// Corrupted answers are never passed on: with a second endpoint the fetch
// moves there, and the liar is demoted (asked last afterwards).
func TestCorruptionFailsOver(t *testing.T) {
	l1 := shared(t)
	for _, tc := range []struct {
		name   string
		mode   proxyMode
		method string
	}{
		{"receipts", corruptReceipts, "eth_getBlockReceipts"},
		{"header", corruptHeader, "eth_getBlockByNumber"},
		{"transaction", corruptTx, "eth_getBlockByNumber"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := newProxy(t, l1.HTTP)
			bad.set(tc.mode, -1, tc.method)
			src := configured(t, map[string]any{"rpcs": []string{bad.srv.URL, l1.HTTP}, "cache_bytes": 0})
			ctx := context.Background()
			data, err := src.BlockData(ctx, request(6))
			if err != nil {
				t.Fatal(err)
			}
			checkData(t, l1, data, request(6))
			if bad.count(tc.method) == 0 {
				t.Fatal("the corrupting endpoint was not asked first")
			}
			before := bad.requests.Load()
			data, err = src.BlockData(ctx, request(9))
			if err != nil {
				t.Fatal(err)
			}
			checkData(t, l1, data, request(9))
			if bad.requests.Load() != before {
				t.Fatal("the demoted endpoint was asked before the healthy one")
			}
		})
	}
}

// With only a corrupting endpoint the answer is an error naming the
// endpoint and the block, never data.
func TestCorruptionAloneIsAnError(t *testing.T) {
	l1 := shared(t)
	for _, tc := range []struct {
		mode   proxyMode
		method string
	}{{corruptReceipts, "eth_getBlockReceipts"}, {corruptHeader, "eth_getBlockByNumber"}, {corruptTx, "eth_getBlockByNumber"}} {
		bad := newProxy(t, l1.HTTP)
		bad.set(tc.mode, -1, tc.method)
		src := configured(t, map[string]any{"rpc": bad.srv.URL, "retries": 1, "cache_bytes": 0})
		data, err := src.BlockData(context.Background(), request(6))
		if data != nil || !errors.Is(err, eth.ErrTemporary) || !errors.Is(err, ErrBadResponse) {
			t.Fatalf("mode %d: got %v, %v", tc.mode, data != nil, err)
		}
		if !strings.Contains(err.Error(), redact(bad.srv.URL)) || !strings.Contains(err.Error(), "#6") {
			t.Fatalf("error names neither endpoint nor block: %v", err)
		}
	}
}

// A 429 with Retry-After is honoured on the only endpoint.
func TestRetryAfter(t *testing.T) {
	l1 := shared(t)
	p := newProxy(t, l1.HTTP)
	p.set(tooMany, 2, "")
	src := configured(t, map[string]any{"rpc": p.srv.URL, "cache_bytes": 0})
	start := time.Now()
	data, err := src.BlockData(context.Background(), request(5))
	if err != nil {
		t.Fatal(err)
	}
	checkData(t, l1, data, request(5))
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("retried after %s, before the Retry-After of 1s", el)
	}
}

// Dropped connections, 503s and hung requests are retried or failed over.
func TestTransientFailures(t *testing.T) {
	l1 := shared(t)
	t.Run("dropped", func(t *testing.T) {
		p := newProxy(t, l1.HTTP)
		p.set(dropConn, 3, "")
		src := configured(t, map[string]any{"rpc": p.srv.URL, "cache_bytes": 0})
		data, err := src.BlockData(context.Background(), request(7))
		if err != nil {
			t.Fatal(err)
		}
		checkData(t, l1, data, request(7))
	})
	t.Run("503-failover", func(t *testing.T) {
		down := newProxy(t, l1.HTTP)
		down.set(unavailable, -1, "")
		src := configured(t, map[string]any{"rpcs": []string{down.srv.URL, l1.HTTP}, "cache_bytes": 0})
		for n := uint64(1); n <= 3; n++ {
			data, err := src.BlockData(context.Background(), request(n))
			if err != nil {
				t.Fatal(err)
			}
			checkData(t, l1, data, request(n))
		}
	})
	t.Run("timeout", func(t *testing.T) {
		slow := newProxy(t, l1.HTTP)
		slow.set(hang, -1, "")
		src := configured(t, map[string]any{"rpcs": []string{slow.srv.URL, l1.HTTP}, "timeout": "200ms", "cache_bytes": 0})
		data, err := src.BlockData(context.Background(), request(4))
		if err != nil {
			t.Fatal(err)
		}
		checkData(t, l1, data, request(4))
		alone := configured(t, map[string]any{"rpc": slow.srv.URL, "timeout": "200ms", "retries": 1})
		_, err = alone.BlockRefByNumber(context.Background(), 4)
		if !errors.Is(err, eth.ErrTemporary) || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 200ms") {
			t.Fatalf("per-request timeout: %v", err)
		}
	})
	t.Run("all-down", func(t *testing.T) {
		a, b := newProxy(t, l1.HTTP), newProxy(t, l1.HTTP)
		a.set(unavailable, -1, "")
		b.set(dropConn, -1, "")
		src := configured(t, map[string]any{"rpcs": []string{a.srv.URL, b.srv.URL}, "retries": 1})
		_, err := src.BlockRefByNumber(context.Background(), 1)
		if !errors.Is(err, eth.ErrTemporary) || errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("want eth.ErrTemporary, got %v", err)
		}
	})
}

// Without eth_getBlockReceipts the receipts are read per transaction, and
// the endpoint is not asked for the missing method again.
func TestBlockReceiptsFallback(t *testing.T) {
	l1 := shared(t)
	p := newProxy(t, l1.HTTP)
	p.set(noBlockReceipts, -1, "")
	src := configured(t, map[string]any{"rpc": p.srv.URL, "cache_bytes": 0})
	for _, n := range []uint64{3, 6, 9} {
		data, err := src.BlockData(context.Background(), request(n))
		if err != nil {
			t.Fatal(err)
		}
		checkData(t, l1, data, request(n))
	}
	if got := p.count("eth_getBlockReceipts"); got != 1 {
		t.Fatalf("eth_getBlockReceipts asked %d times, want once", got)
	}
}

// A caller's cancellation is reported as such, not as a temporary failure.
func TestCallerCancellation(t *testing.T) {
	l1 := shared(t)
	p := newProxy(t, l1.HTTP)
	p.set(hang, -1, "")
	src := configured(t, map[string]any{"rpc": p.srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := src.BlockData(ctx, request(2))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the caller's deadline, got %v", err)
	}
}
