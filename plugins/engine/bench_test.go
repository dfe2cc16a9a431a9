package engine

import (
	"context"
	"testing"

	"github.com/opalnode/opal/sdk/eth"
)

// BenchmarkBuildAndInsertBlock measures one block through the sequencer's
// Engine API flow against an in-process op-geth over loopback HTTP with
// JWT: forkchoiceUpdated with attributes, getPayload, newPayload and the
// head-only forkchoiceUpdated. Each block starts a new epoch, so it holds
// the L1-info deposit and one user deposit.
func BenchmarkBuildAndInsertBlock(b *testing.B) {
	g, e := startEngine(b)
	parent := genesisRef(g)
	origin := parent.L1Origin
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		l1 := l1Header(origin.Number+1, origin.Hash, parent.Time)
		a := attrsFor(b, g.Rollup, parent, l1, 0)
		b.StartTimer()
		env := buildBlock(b, e, parent, a)
		p := env.ExecutionPayload
		parent = eth.L2BlockRef{Hash: p.BlockHash, Number: p.BlockNumber, ParentHash: p.ParentHash, Time: p.Timestamp}
		origin = eth.BlockID{Hash: l1.Hash(), Number: l1.Number.Uint64()}
	}
}

// BenchmarkL2BlockRefByNumber measures the read the core makes most: a
// block reference with its L1-info deposit decoded (one batch request).
func BenchmarkL2BlockRefByNumber(b *testing.B) {
	g, e := startEngine(b)
	gen := genesisRef(g)
	l1 := l1Header(gen.L1Origin.Number+1, gen.L1Origin.Hash, gen.Time)
	buildBlock(b, e, gen, attrsFor(b, g.Rollup, gen, l1, 0))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.L2BlockRefByNumber(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
}
