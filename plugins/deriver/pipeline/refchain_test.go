package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/opalnode/opal/plugins/deriver/internal/refchain"
)

// loadRefchain returns the reference chain, loaded once per test binary.
func loadRefchain(tb testing.TB) *refchain.Chain { return refchain.Shared(tb) }

// deriveRefchain runs a fresh pipeline over the reference L1 chain until it
// has derived n blocks, calling check on each result. The parents are the
// reference's own blocks, as an engine that built the attributes would give.
func deriveRefchain(tb testing.TB, c *refchain.Chain, n int, check func(i int, res *Result)) {
	tb.Helper()
	ctx := context.Background()
	p, err := New(Config{Rollup: c.Rollup, L1: c.L1Config})
	if err != nil {
		tb.Fatal(err)
	}
	next := c.L1Index(c.Genesis.L1Origin.Number)
	sys := c.Rollup.Genesis.SystemConfig
	if err := p.Reset(c.Genesis, sys, c.L1[next].Ref(), sys); err != nil {
		tb.Fatal(err)
	}
	derived := 0
	for steps := 0; derived < n; steps++ {
		if steps > 1_000_000 {
			tb.Fatalf("no progress after %d steps, %d blocks derived", steps, derived)
		}
		parent := c.Parent(uint64(derived + 1))
		out, res, err := p.Step(ctx, parent)
		if err != nil {
			tb.Fatalf("step on parent %d: %v", parent.Number, err)
		}
		switch out {
		case NeedL1:
			if next >= len(c.L1) {
				tb.Fatalf("L1 exhausted at origin %s after %d blocks", p.Origin(), derived)
			}
			if err := p.AddL1Block(c.L1[next]); err != nil {
				tb.Fatal(err)
			}
			next++
		case Attributes:
			check(derived, res)
			derived++
		}
	}
}

// compareBlock lists the differences between derived attributes and the
// reference block: refchain's comparison, plus the header extraData the
// engine would write from the EIP-1559 params and min base fee.
func compareBlock(c *refchain.Chain, res *Result, want refchain.Block) []string {
	diffs := c.Compare(res.Attributes, want)
	if extra := engineExtraData(c.Rollup, res.Attributes); !bytes.Equal(extra, want.ExtraData) {
		diffs = append(diffs, fmt.Sprintf("extraData from eip1559Params/minBaseFee %x, want %x", extra, []byte(want.ExtraData)))
	}
	if res.Parent.Hash != want.ParentHash {
		diffs = append(diffs, fmt.Sprintf("parent %s, want %s", res.Parent.Hash, want.ParentHash))
	}
	return diffs
}

// TestRefchain derives L2 blocks 1..600 of the reference chain and compares
// each one with the block the reference op-node derived.
func TestRefchain(t *testing.T) {
	c := loadRefchain(t)
	matched, failed := 0, 0
	deriveRefchain(t, c, len(c.L2), func(i int, res *Result) {
		diffs := compareBlock(c, res, c.L2[i])
		if len(diffs) == 0 {
			matched++
			return
		}
		failed++
		if failed <= 10 {
			t.Errorf("L2 block %d: %v", i+1, diffs)
		}
	})
	t.Logf("%d of %d blocks match the reference", matched, len(c.L2))
	if failed > 0 {
		t.Fatalf("%d blocks differ", failed)
	}
}

// BenchmarkRefchain derives the 600 reference blocks end to end, from the
// fed L1 block data to attributes, per iteration.
func BenchmarkRefchain(b *testing.B) {
	c := loadRefchain(b)
	b.ReportAllocs()
	for b.Loop() {
		deriveRefchain(b, c, len(c.L2), func(int, *Result) {})
	}
}
