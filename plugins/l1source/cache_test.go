package l1source

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func TestLRUBoundedInBytes(t *testing.T) {
	c := newLRU(3 * (1000 + entryOverhead))
	key := func(i byte) cacheKey { return cacheKey{kindBlock, common.Hash{i}} }
	for i := byte(0); i < 3; i++ {
		c.add(key(i), i, 1000)
	}
	if _, ok := c.get(key(0)); !ok { // 0 is now the most recent
		t.Fatal("entry 0 missing")
	}
	c.add(key(3), byte(3), 1000) // evicts 1, the least recently used
	if _, ok := c.get(key(1)); ok {
		t.Fatal("entry 1 not evicted")
	}
	for _, i := range []byte{0, 2, 3} {
		if v, ok := c.get(key(i)); !ok || v.(byte) != i {
			t.Fatalf("entry %d lost", i)
		}
	}
	c.add(key(9), byte(9), 1<<20) // larger than the budget: not stored
	if _, ok := c.get(key(9)); ok {
		t.Fatal("oversized entry stored")
	}
	c.add(key(4), byte(4), 2500) // needs all three others evicted
	st := c.stats()
	if st.CacheBytes > st.CacheMaxBytes || st.CacheEvictions != 4 || st.CacheHits != 4 || st.CacheMisses != 2 || st.CacheEntries != 1 {
		t.Fatalf("stats %+v", st)
	}
	var off *lru // caching off
	off.add(key(1), 1, 1)
	if _, ok := off.get(key(1)); ok || off.stats() != (Stats{}) {
		t.Fatal("nil cache stored something")
	}
}

// Cached blocks are served without asking the endpoint, and the counters
// show it.
func TestCachedBlockData(t *testing.T) {
	l1 := shared(t)
	p := newProxy(t, l1.HTTP)
	src := configured(t, map[string]any{"rpc": p.srv.URL, "prefetch": 0})
	ctx := context.Background()
	for n := uint64(1); n <= 6; n++ {
		if _, err := src.BlockData(ctx, request(n)); err != nil {
			t.Fatal(err)
		}
	}
	asked := p.requests.Load()
	for n := uint64(1); n <= 6; n++ {
		data, err := src.BlockData(ctx, request(n))
		if err != nil {
			t.Fatal(err)
		}
		checkData(t, l1, data, request(n))
		h := data.Header.Hash()
		if _, err := src.BlockRefByHash(ctx, h); err != nil {
			t.Fatal(err)
		}
		if _, err := src.BlockRefByNumber(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if p.requests.Load() != asked {
		t.Fatalf("%d requests for cached blocks", p.requests.Load()-asked)
	}
	if st := src.Stats(); st.CacheHits < 18 || st.CacheBytes == 0 || st.CacheEntries == 0 {
		t.Fatalf("stats %+v", st)
	}
	// Callers get copies: altering an answer does not alter the cache.
	a, _ := src.BlockData(ctx, request(3))
	a.Receipts[0].Logs[0].Data[0] ^= 0xff
	a.BatcherTxs[0].Raw[0] ^= 0xff
	b, _ := src.BlockData(ctx, request(3))
	checkData(t, l1, b, request(3))
}

// A caller walking by number gets the next blocks prefetched.
func TestPrefetch(t *testing.T) {
	l1 := shared(t)
	p := newProxy(t, l1.HTTP)
	src := configured(t, map[string]any{"rpc": p.srv.URL, "prefetch": 4})
	ctx := context.Background()
	for n := uint64(1); n <= 2; n++ {
		if _, err := src.BlockData(ctx, request(n)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for src.Stats().Prefetched < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("prefetched %d blocks, want 4", src.Stats().Prefetched)
		}
		time.Sleep(10 * time.Millisecond)
	}
	hits := src.Stats().CacheHits
	for n := uint64(3); n <= 6; n++ {
		data, err := src.BlockData(ctx, request(n))
		if err != nil {
			t.Fatal(err)
		}
		checkData(t, l1, data, request(n))
	}
	if got := src.Stats().CacheHits - hits; got < 4 {
		t.Fatalf("%d of the 4 prefetched blocks came from the cache", got)
	}
}

// Caching off means every call reaches the endpoint and nothing is kept.
func TestCacheOff(t *testing.T) {
	l1 := shared(t)
	p := newProxy(t, l1.HTTP)
	src := configured(t, map[string]any{"rpc": p.srv.URL, "cache_bytes": 0})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := src.BlockData(ctx, request(2)); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.count("eth_getBlockByNumber"); got != 2 {
		t.Fatalf("%d block requests, want 2", got)
	}
	if st := src.Stats(); st.CacheEntries != 0 || st.Prefetched != 0 {
		t.Fatalf("stats %+v", st)
	}
}
