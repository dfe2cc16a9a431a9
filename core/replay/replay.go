// Package replay runs derivers over recorded L1 data with no L1 node and no
// engine: the primary deriver's attributes make the L2 chain, and a second
// deriver, when given, is fed the same L1 blocks in the same order, is
// stepped on the primary's chain block by block (as the node's shadow mode
// does), and its attributes for each block are compared with the
// primary's on the same parent. A divergence is a block where the changed
// rule gives other attributes on the same history, not a consequence of an
// earlier divergence.
//
// Without an engine there are no state roots, hence no real L2 block
// hashes: each derived block gets a stand-in hash (see Chain) and the
// derivers are reset with ResetRequest.Offline, which tells them not to
// check batch parent hashes against it. Every other rule applies, and the
// parent data batch checks need (timestamps, L1 origins, sequence numbers,
// the transactions of overlapped span blocks) comes from the derived
// attributes themselves.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opalnode/opal/core/ab"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// L1 is the recorded L1 the replay reads, block after block
// (l1archive.Reader is one). Next returns io.EOF after the last block.
type L1 interface {
	Next() (*eth.L1BlockData, error)
}

// Chain turns derived attributes into the reference of the block built from
// them on their parent: a stand-in hash, and the L1 origin and sequence
// number of the attributes' L1-info deposit, as an engine would report
// them. It encodes a protocol rule (the deposit's layout), so the caller
// provides it.
type Chain func(parent eth.L2BlockRef, attrs *eth.PayloadAttributes) (eth.L2BlockRef, error)

// Options configure a Run.
type Options struct {
	Rollup *rollup.Config
	L1     L1
	Chain  Chain
	// Primary derives the chain; Shadow, optional, is compared with it.
	Primary, Shadow sdkderiver.Deriver
	// Derived is called with every block the primary derived (with its
	// reference on the stand-in chain) in order; an error stops the run.
	Derived func(res *sdkderiver.DerivedAttributes, ref eth.L2BlockRef) error
	// Diverged is called for every block where the shadow's attributes
	// differ from the primary's; an error stops the run.
	Diverged func(ab.Divergence) error
	// Progress, when set, is told the counts after every L1 block.
	Progress func(Stats)
	// Limit stops after this many L2 blocks (0: the whole archive).
	Limit uint64
}

// Stats count what a run went through.
type Stats struct {
	L1Blocks uint64 `json:"l1_blocks"`
	// Origin is the last L1 block the primary read.
	Origin eth.BlockID `json:"origin"`
	// L2Blocks the primary derived; Batches counts the last blocks of a
	// batch (IsLastInSpan) among them.
	L2Blocks uint64 `json:"l2_blocks"`
	Batches  uint64 `json:"batches"`
	// Compared and Diverged count the blocks of the shadow comparison.
	Compared uint64 `json:"compared,omitempty"`
	Diverged uint64 `json:"diverged,omitempty"`
	// FirstL2 and LastL2 bound the derived blocks.
	FirstL2 uint64 `json:"first_l2"`
	LastL2  uint64 `json:"last_l2"`
	// ShadowStopped says why the shadow stopped early, if it did.
	ShadowStopped string `json:"shadow_stopped,omitempty"`
}

// Run replays the archive through the derivers from the chain's genesis.
func Run(ctx context.Context, o Options) (Stats, error) {
	r := &run{o: o, shadowOn: o.Shadow != nil}
	err := r.run(ctx)
	return r.st, err
}

type run struct {
	o  Options
	st Stats
	// blocks read from the archive and not yet fed to every deriver:
	// blocks[i] is the archive's block base+i.
	blocks []*eth.L1BlockData
	base   int
	eof    bool
	// the index of the next block each deriver is fed (the first is the
	// reset's start block); shadowOn: there is a shadow and it has not
	// stopped.
	primaryAt, shadowAt int
	shadowOn            bool
}

// block returns the archive's i-th block (from genesis), reading ahead as
// needed; nil at the end of the archive.
func (r *run) block(i int) (*eth.L1BlockData, error) {
	for i-r.base >= len(r.blocks) {
		if r.eof {
			return nil, nil
		}
		d, err := r.o.L1.Next()
		if errors.Is(err, io.EOF) {
			r.eof = true
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r.blocks = append(r.blocks, d)
	}
	return r.blocks[i-r.base], nil
}

// trim forgets the blocks every deriver has been fed.
func (r *run) trim() {
	low := r.primaryAt
	if r.shadowOn {
		low = min(low, r.shadowAt)
	}
	if n := low - r.base; n > 64 {
		r.blocks = append(r.blocks[:0:0], r.blocks[n:]...)
		r.base = low
	}
}

// start reads up to the genesis L1 block and resets the derivers there.
func (r *run) start(ctx context.Context) (eth.L2BlockRef, error) {
	g := r.o.Rollup.Genesis
	var first *eth.L1BlockData
	for {
		d, err := r.o.L1.Next()
		if errors.Is(err, io.EOF) {
			return eth.L2BlockRef{}, fmt.Errorf("the archive ends before the chain's genesis L1 block %d", g.L1.Number)
		}
		if err != nil {
			return eth.L2BlockRef{}, err
		}
		if n := d.Header.Number.Uint64(); n > g.L1.Number {
			return eth.L2BlockRef{}, fmt.Errorf("the archive starts at L1 block %d, after the chain's genesis L1 block %d: replay starts at genesis", n, g.L1.Number)
		} else if n == g.L1.Number {
			first = d
			break
		}
	}
	if ref := first.Ref(); ref.Hash != g.L1.Hash {
		return eth.L2BlockRef{}, fmt.Errorf("the archive's L1 block %d is %s, the chain's genesis L1 block is %s: another L1 or another chain", ref.Number, ref.Hash, g.L1.Hash)
	}
	r.blocks = []*eth.L1BlockData{first}
	genesis := eth.L2BlockRef{Hash: g.L2.Hash, Number: g.L2.Number, Time: g.L2Time, L1Origin: g.L1}
	req := sdkderiver.ResetRequest{SafeHead: genesis, SystemConfig: g.SystemConfig, L1Start: first.Ref(), L1SystemConfig: g.SystemConfig, Offline: true}
	if err := r.o.Primary.Reset(ctx, req); err != nil {
		return eth.L2BlockRef{}, fmt.Errorf("primary deriver: reset: %w", err)
	}
	if r.o.Shadow != nil {
		if err := r.o.Shadow.Reset(ctx, req); err != nil {
			return eth.L2BlockRef{}, fmt.Errorf("shadow deriver: reset: %w", err)
		}
	}
	return genesis, nil
}

func (r *run) run(ctx context.Context) error {
	parent, err := r.start(ctx)
	if err != nil {
		return err
	}
	r.st.FirstL2 = parent.Number + 1
	for r.o.Limit == 0 || r.st.L2Blocks < r.o.Limit {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := r.o.Primary.Step(ctx, parent)
		if err != nil {
			return fmt.Errorf("primary deriver: step on L2 block %d: %w", parent.Number, err)
		}
		r.st.Origin = res.Origin.ID()
		switch res.Outcome {
		case sdkderiver.NeedL1:
			done, err := r.feedPrimary(ctx)
			if err != nil || done {
				return err
			}
		case sdkderiver.Attributes:
			a := res.Attributes
			if a == nil || a.Attributes == nil || a.Parent != parent {
				return fmt.Errorf("primary deriver: attributes for a parent it was not given (want %s)", parent.ID())
			}
			ref, err := r.o.Chain(parent, a.Attributes)
			if err != nil {
				return fmt.Errorf("primary deriver: L2 block %d: %w", parent.Number+1, err)
			}
			if r.shadowOn {
				if err := r.compare(ctx, a); err != nil {
					return err
				}
			}
			r.st.L2Blocks++
			r.st.LastL2 = ref.Number
			if a.IsLastInSpan {
				r.st.Batches++
			}
			if r.o.Derived != nil {
				if err := r.o.Derived(a, ref); err != nil {
					return err
				}
			}
			parent = ref
		}
	}
	return nil
}

// feedPrimary gives the primary its next L1 block; done at the archive's
// end.
func (r *run) feedPrimary(ctx context.Context) (bool, error) {
	d, err := r.block(r.primaryAt)
	if err != nil || d == nil {
		return true, err
	}
	r.primaryAt++
	if err := r.o.Primary.AddL1Block(ctx, d); err != nil {
		return false, fmt.Errorf("primary deriver: L1 block %d: %w", d.Header.Number, err)
	}
	r.st.L1Blocks++
	r.trim()
	if r.o.Progress != nil {
		r.o.Progress(r.st)
	}
	return false, nil
}

// compare steps the shadow on the primary's parent until it has
// attributes, and records how they differ from the primary's. A shadow
// that fails or runs out of L1 first is reported and stopped; the primary
// goes on.
func (r *run) compare(ctx context.Context, want *sdkderiver.DerivedAttributes) error {
	parent := want.Parent
	for {
		res, err := r.o.Shadow.Step(ctx, parent)
		if err != nil {
			r.stopShadow(fmt.Sprintf("step on L2 block %d: %v", parent.Number, err))
			return nil
		}
		switch res.Outcome {
		case sdkderiver.NeedL1:
			d, err := r.block(r.shadowAt)
			if err != nil {
				return err
			}
			r.shadowAt++
			if d == nil {
				r.stopShadow(fmt.Sprintf("the archive ended before it derived L2 block %d", want.Parent.Number+1))
				return r.diverged(want, []ab.FieldDiff{{Field: "attributes", A: "derived", B: "none"}})
			}
			if err := r.o.Shadow.AddL1Block(ctx, d); err != nil {
				r.stopShadow(fmt.Sprintf("L1 block %d: %v", d.Header.Number, err))
				return nil
			}
		case sdkderiver.Attributes:
			got := res.Attributes
			if got == nil || got.Attributes == nil || got.Parent != parent {
				r.stopShadow(fmt.Sprintf("attributes for a parent it was not given (want %s)", parent.ID()))
				return nil
			}
			r.st.Compared++
			if diffs := ab.Compare(want.Attributes, got.Attributes); len(diffs) > 0 {
				return r.diverged(want, diffs)
			}
			return nil
		}
	}
}

func (r *run) diverged(want *sdkderiver.DerivedAttributes, diffs []ab.FieldDiff) error {
	r.st.Diverged++
	if r.o.Diverged == nil {
		return nil
	}
	return r.o.Diverged(ab.NewDivergence(want.Parent, want.Attributes.Timestamp, want.DerivedFrom, diffs))
}

func (r *run) stopShadow(why string) {
	r.shadowOn = false
	r.st.ShadowStopped = why
}
