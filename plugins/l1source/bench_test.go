package l1source

import (
	"context"
	"testing"
)

// Benchmarks of BlockData against the in-process go-ethereum L1 over
// loopback HTTP: blocks of 16 transactions (a batcher tx in odd blocks, a
// watched log every third block), each fetched with its receipts and fully
// verified (header hash, transactions and receipts roots).
const (
	benchBlocks = 64
	benchTxs    = 16
)

var benchL1 *testL1

func benchChain(b *testing.B) *testL1 {
	if benchL1 == nil {
		l1, err := newL1()
		if err != nil {
			b.Fatal(err)
		}
		if err := l1.mine(benchBlocks, benchTxs); err != nil {
			l1.close()
			b.Fatal(err)
		}
		benchL1 = l1 // kept for the process: the benchmarks share it
	}
	return benchL1
}

func reportBlocks(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
}

// BenchmarkBlockDataCold: every call fetches and verifies (cache off).
func BenchmarkBlockDataCold(b *testing.B) {
	l1 := benchChain(b)
	src := configured(b, map[string]any{"rpc": l1.HTTP, "cache_bytes": 0})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := src.BlockData(ctx, request(uint64(1+i%benchBlocks))); err != nil {
			b.Fatal(err)
		}
	}
	reportBlocks(b)
}

// BenchmarkBlockDataCached: every block is in the cache (the number index
// vouches for it), so a call only filters and copies.
func BenchmarkBlockDataCached(b *testing.B) {
	l1 := benchChain(b)
	src := configured(b, map[string]any{"rpc": l1.HTTP, "prefetch": 0})
	ctx := context.Background()
	for n := uint64(1); n <= benchBlocks; n++ {
		if _, err := src.BlockData(ctx, request(n)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := src.BlockData(ctx, request(uint64(1+i%benchBlocks))); err != nil {
			b.Fatal(err)
		}
	}
	reportBlocks(b)
	if st := src.Stats(); st.CacheMisses > 2*benchBlocks {
		b.Fatalf("cache missed: %+v", st)
	}
}

// BenchmarkBlockDataWalk: derivation's pattern, a walk by increasing
// number from a cold cache with prefetching (default settings).
func BenchmarkBlockDataWalk(b *testing.B) {
	l1 := benchChain(b)
	ctx := context.Background()
	var src *Source
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := uint64(1 + i%benchBlocks)
		if n == 1 {
			b.StopTimer()
			if src != nil {
				_ = src.Close()
			}
			src = configured(b, map[string]any{"rpc": l1.HTTP})
			b.StartTimer()
		}
		if _, err := src.BlockData(ctx, request(n)); err != nil {
			b.Fatal(err)
		}
	}
	reportBlocks(b)
}
