package derive

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/base"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// steps counts step requests: the test is the loop.
type steps struct{ n atomic.Int64 }

func (s *steps) RequestStep() { s.n.Add(1) }

type rig struct {
	d     *Derivation
	heads *heads.State
	view  *l1view.View
	src   *sdktest.FakeL1Source
	eng   *sdktest.FakeEngine
	m     *metrics.Metrics
	loop  *steps
	reorg []uint64
}

// newRig wires the driver to the sdk's fakes (an L1 chain, a deriver that
// derives one L2 block per L1 block, an in-memory engine) and a real engine
// controller and head state.
func newRig(t *testing.T, chain *sdktest.L1Chain) *rig {
	t.Helper()
	rc := sdktest.TestRollupConfig(eth.HeaderRef(chain.Blocks[0].Header()))
	genesis := eth.L2BlockRef{Hash: rc.Genesis.L2.Hash, Number: 0, Time: rc.Genesis.L2Time, L1Origin: rc.Genesis.L1}
	st, err := heads.New(heads.At(genesis), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := sdktest.NewFakeEngine(genesis)
	eng.Origin = sdktest.FakeOrigin
	src := sdktest.NewFakeL1Source(chain)
	r := &rig{heads: st, view: l1view.New(nil), src: src, eng: eng, m: metrics.New(), loop: &steps{}}
	ctl := enginectl.New(enginectl.Config{Rollup: rc, Engine: eng, Heads: st, Metrics: r.m})
	der := &sdktest.FakeDeriver{}
	if err := der.Configure(context.Background(), base.ConfigureRequest{Rollup: rc}); err != nil {
		t.Fatal(err)
	}
	r.d = New(Config{Rollup: rc, Deriver: der, L1: src, L2: eng, Engine: ctl, Heads: st, Labels: r.view,
		Loop: r.loop, Metrics: r.m, OnReorg: func(n uint64) { r.reorg = append(r.reorg, n) }})
	return r
}

// head tells the driver (and its view) the L1 head moved.
func (r *rig) head(ctx context.Context, ref eth.L1BlockRef) {
	ev := l1view.HeadChanged{Label: eth.Unsafe, Ref: ref}
	r.view.OnEvent(ctx, ev)
	r.d.OnEvent(ctx, ev)
}

// run dispatches steps while the driver asks for them.
func (r *rig) run(t *testing.T, ctx context.Context) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		before := r.loop.n.Load()
		r.d.OnEvent(ctx, loop.Step{})
		if r.loop.n.Load() == before {
			return
		}
	}
	t.Fatal("derivation kept asking for steps")
}

// The driver derives the chain up to the L1 head, one step dispatch at a
// time, and an L1 reorg below what it fed resets it: the safe head walks
// back to a block whose origin is still canonical and the fork is derived.
func TestDeriveAndReorg(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := sdktest.NewL1Chain(10)
	r := newRig(t, chain)
	r.head(ctx, eth.HeaderRef(chain.Head().Header()))
	r.run(t, ctx)
	if got := r.heads.Get().Safe.Number; got != 10 {
		t.Fatalf("safe head %d, want 10", got)
	}
	if r.d.Origin().Number != 10 {
		t.Fatalf("origin %v", r.d.Origin())
	}
	before := r.heads.Get().Safe

	fork := chain.Fork(8, 12, 7)
	r.src.SetChain(fork)
	r.head(ctx, eth.HeaderRef(fork.Head().Header()))
	r.run(t, ctx)
	after := r.heads.Get().Safe
	if after.Number != 12 || after.L1Origin.Hash != fork.Blocks[12].Hash() {
		t.Fatalf("safe head %v, want 12 on the fork", after)
	}
	if got, _ := r.eng.L2BlockRefByNumber(ctx, 7); got.L1Origin.Hash != chain.Blocks[7].Hash() {
		t.Fatalf("L2 block 7 origin %v, want the shared L1 block 7", got.L1Origin)
	}
	if got, _ := r.eng.L2BlockRefByNumber(ctx, 10); got.Hash == before.Hash {
		t.Fatal("L2 block 10 was not re-derived on the fork")
	}
	if metrics.CounterValue(r.m.Resets) == 0 || len(r.reorg) == 0 {
		t.Fatalf("resets %v, reorg notices %v", metrics.CounterValue(r.m.Resets), r.reorg)
	}
}

// A restarted deriver or engine is reset to the safe head; other kinds are
// not; an admin request resets too.
func TestResetOnRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := sdktest.NewL1Chain(4)
	r := newRig(t, chain)
	r.head(ctx, eth.HeaderRef(chain.Head().Header()))
	r.run(t, ctx)
	resets := metrics.CounterValue(r.m.Resets)
	for _, tc := range []struct {
		kind  sdk.Kind
		reset bool
	}{{sdk.OriginSelector, false}, {sdk.Deriver, true}, {sdk.Engine, true}} {
		r.d.OnEvent(ctx, pluginhost.Restarted{Kind: tc.kind})
		if r.d.needReset != tc.reset {
			t.Fatalf("%s restarted: needReset %v", tc.kind, r.d.needReset)
		}
		r.run(t, ctx)
		if r.heads.Get().Safe.Number != 4 {
			t.Fatalf("safe head after %s restart: %v", tc.kind, r.heads.Get().Safe)
		}
	}
	r.d.RequestReset()
	if !r.d.needReset {
		t.Fatal("admin reset not requested")
	}
	r.run(t, ctx)
	// The L1 head going below what was fed is an L1 reorg: reset.
	r.head(ctx, eth.HeaderRef(chain.Blocks[2].Header()))
	if !r.d.needReset {
		t.Fatal("L1 head below the fed blocks did not reset")
	}
	if metrics.CounterValue(r.m.Resets) != resets {
		t.Fatal("restarts counted as reset errors")
	}
}

// rejecting is an engine that rejects every derived block.
type rejecting struct{ Engine }

func (rejecting) ProcessDerived(context.Context, *sdkderiver.DerivedAttributes) error {
	return fmt.Errorf("%w: test engine says no", enginectl.ErrPayloadInvalid)
}

// userTx adds a non-deposit transaction to what a deriver derives, and
// counts what it is told of invalid payloads.
type userTx struct {
	Deriver
	invalid int
	add     bool
}

func (u *userTx) Step(ctx context.Context, parent eth.L2BlockRef) (sdkderiver.StepResult, error) {
	res, err := u.Deriver.Step(ctx, parent)
	if err == nil && u.add && res.Outcome == sdkderiver.Attributes {
		a := *res.Attributes.Attributes
		a.Transactions = append(append([][]byte(nil), a.Transactions...), []byte{0x02, 0xc0})
		da := *res.Attributes
		da.Attributes = &a
		res.Attributes = &da
	}
	return res, err
}

func (u *userTx) PayloadInvalid(ctx context.Context, a *sdkderiver.DerivedAttributes) error {
	u.invalid++
	return u.Deriver.PayloadInvalid(ctx, a)
}

// An invalid block with user transactions goes back to the deriver (which
// replaces it); an invalid block of deposits only halts derivation, as in
// op-node, instead of being rebuilt forever.
func TestInvalidDepositsOnlyBlockHalts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, withUserTx := range []bool{true, false} {
		chain := sdktest.NewL1Chain(4)
		r := newRig(t, chain)
		der := &userTx{Deriver: r.d.deriver, add: withUserTx}
		r.d.deriver, r.d.eng = der, rejecting{r.d.eng}
		r.head(ctx, eth.HeaderRef(chain.Head().Header()))
		r.d.OnEvent(ctx, loop.Step{})
		switch {
		case withUserTx && (r.d.halted != nil || der.invalid == 0):
			t.Fatalf("with a user tx: halted %v, deriver told %d times", r.d.halted, der.invalid)
		case !withUserTx && (!errors.Is(r.d.halted, eth.ErrCritical) || der.invalid != 0):
			t.Fatalf("deposits only: halted %v, deriver told %d times", r.d.halted, der.invalid)
		}
	}
}

// Sync start keeps unsafe blocks whose L1 origin L1 does not have yet (the
// L1 view is behind), as op-node's FindL2Heads does: only an origin L1
// contradicts drops blocks. The safe head restarts below the origins it
// cannot confirm.
func TestSyncStartKeepsUnsafeAheadOfL1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := sdktest.NewL1Chain(10)
	r := newRig(t, chain)
	r.head(ctx, eth.HeaderRef(chain.Head().Header()))
	r.run(t, ctx)
	if h := r.heads.Get(); h.Unsafe.Number != 10 || h.Safe.Number != 10 {
		t.Fatalf("heads %v", h)
	}
	behind := chain.Fork(8, 7, 0) // L1 blocks 0..7 only
	if n := len(behind.Blocks); n != 8 {
		t.Fatalf("shortened L1 has %d blocks", n)
	}
	r.src.SetChain(behind)
	start, err := r.d.sync.find(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if start.heads.Unsafe.Number != 10 || start.heads.Safe.Number != 7 {
		t.Fatalf("sync start: unsafe %d safe %d, want the unsafe head 10 kept and safe 7", start.heads.Unsafe.Number, start.heads.Safe.Number)
	}
	if len(r.reorg) != 0 {
		t.Fatalf("an L1 view behind the chain truncated the safe-head index at %v", r.reorg)
	}
}

// spans marks blocks 1 and 2 as inside a span (not last), and the engine
// rejects block 3 once.
type spans struct {
	Deriver
}

func (s spans) Step(ctx context.Context, parent eth.L2BlockRef) (sdkderiver.StepResult, error) {
	res, err := s.Deriver.Step(ctx, parent)
	if err == nil && res.Outcome == sdkderiver.Attributes {
		da := *res.Attributes
		a := *da.Attributes
		a.Transactions = append(append([][]byte(nil), a.Transactions...), []byte{0x02, 0xc0})
		da.Attributes, da.IsLastInSpan = &a, parent.Number >= 2
		res.Attributes = &da
	}
	return res, err
}

type rejectOnce struct {
	Engine
	at       uint64
	rejected bool
}

func (r *rejectOnce) ProcessDerived(ctx context.Context, da *sdkderiver.DerivedAttributes) error {
	if !r.rejected && da.Parent.Number == r.at {
		r.rejected = true
		return fmt.Errorf("%w: test engine says no", enginectl.ErrPayloadInvalid)
	}
	return r.Engine.ProcessDerived(ctx, da)
}

// Before Holocene an invalid block inside a span batch drops the whole
// span: pending-safe goes back to the safe head before the deriver is told,
// as op-node's onBuildInvalid does.
func TestInvalidSpanBlockRewindsPendingSafe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := sdktest.NewL1Chain(6)
	r := newRig(t, chain)
	var seen []heads.Heads
	r.d.deriver = spans{r.d.deriver}
	r.d.eng = &rejectOnce{Engine: r.d.eng, at: 2}
	r.d.obs = observerFunc(func() { seen = append(seen, r.heads.Get()) })
	r.head(ctx, eth.HeaderRef(chain.Head().Header()))
	r.d.OnEvent(ctx, loop.Step{})
	if len(seen) != 1 {
		t.Fatalf("the deriver was told of %d invalid blocks, want 1", len(seen))
	}
	if h := seen[0]; h.PendingSafe != h.Safe || h.Safe.Number != 0 {
		t.Fatalf("when told: pending-safe %d, safe %d; want both at 0 (the span dropped)", h.PendingSafe.Number, h.Safe.Number)
	}
}

// observerFunc calls f when the engine rejected a block.
type observerFunc func()

func (observerFunc) Reset(sdkderiver.ResetRequest)                                         {}
func (observerFunc) Fed(*eth.L1BlockData)                                                  {}
func (observerFunc) Derived(eth.L2BlockRef, *sdkderiver.DerivedAttributes, eth.L2BlockRef) {}
func (f observerFunc) Invalid(eth.L2BlockRef, *sdkderiver.DerivedAttributes)               { f() }

// lying answers attributes that are not for the parent it was given.
type lying struct {
	Deriver
	mutate func(*sdkderiver.DerivedAttributes)
}

func (l lying) Step(ctx context.Context, parent eth.L2BlockRef) (sdkderiver.StepResult, error) {
	res, err := l.Deriver.Step(ctx, parent)
	if err == nil && res.Outcome == sdkderiver.Attributes {
		da := *res.Attributes
		l.mutate(&da)
		res.Attributes = &da
	}
	return res, err
}

// A deriver that claims attributes for a parent it was not given, or none
// at all, is a plugin fault: nothing is applied and it is reset.
func TestDeriverFaultIsNotApplied(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, mutate := range map[string]func(*sdkderiver.DerivedAttributes){
		"other parent":  func(da *sdkderiver.DerivedAttributes) { da.Parent.Hash[0] ^= 1 },
		"no attributes": func(da *sdkderiver.DerivedAttributes) { da.Attributes = nil },
		"old timestamp": func(da *sdkderiver.DerivedAttributes) {
			a := *da.Attributes
			a.Timestamp = da.Parent.Time
			da.Attributes = &a
		},
	} {
		chain := sdktest.NewL1Chain(4)
		r := newRig(t, chain)
		r.d.deriver = lying{r.d.deriver, mutate}
		r.head(ctx, eth.HeaderRef(chain.Head().Header()))
		r.d.OnEvent(ctx, loop.Step{})
		if h := r.heads.Get(); h.Unsafe.Number != 0 || h.PendingSafe.Number != 0 {
			t.Fatalf("%s: heads moved to unsafe %d, pending-safe %d", name, h.Unsafe.Number, h.PendingSafe.Number)
		}
		if !r.d.needReset || metrics.CounterValue(r.m.Resets) == 0 {
			t.Fatalf("%s: the deriver was not reset", name)
		}
	}
}

// A stop time (a chain that left the OP Stack, a fork opal lacks) halts
// derivation before the first block at or past it, with the reason given;
// the blocks before it are derived.
func TestStopAtHaltsBeforeTheBlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := sdktest.NewL1Chain(10)
	r := newRig(t, chain)
	genesis := r.heads.Get().Safe
	stop := genesis.Time + 4*r.d.cfg.BlockTime // block 4
	why := errors.New("the chain left the OP Stack")
	r.d.stopAt, r.d.stopErr = &stop, why
	r.head(ctx, eth.HeaderRef(chain.Head().Header()))
	r.run(t, ctx)
	if got := r.heads.Get().PendingSafe; got.Number != 3 {
		t.Fatalf("pending safe %v, want block 3, the last before the stop", got)
	}
	if !errors.Is(r.d.Halted(), why) {
		t.Fatalf("halted %v, want %v", r.d.Halted(), why)
	}
	r.d.OnEvent(ctx, loop.Step{})
	if got := r.heads.Get().PendingSafe; got.Number != 3 {
		t.Fatalf("derived past the stop: %v", got)
	}
}

// flaky fails every third ProcessDerived with a temporary error, as an
// unreachable engine does.
type flaky struct {
	Engine
	calls int
	seen  []*sdkderiver.DerivedAttributes
}

func (f *flaky) ProcessDerived(ctx context.Context, da *sdkderiver.DerivedAttributes) error {
	f.calls++
	f.seen = append(f.seen, da)
	if f.calls%3 == 0 {
		return fmt.Errorf("engine unreachable: %w", eth.ErrTemporary)
	}
	return f.Engine.ProcessDerived(ctx, da)
}

// Attributes the engine could not take for a temporary reason are applied
// on the retry, the same ones: the deriver has handed them out and does
// not derive them again, so asking it for new ones would skip a block (in
// Holocene, drop its batches).
func TestTemporaryEngineErrorRetriesTheSameAttributes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := sdktest.NewL1Chain(10)
	r := newRig(t, chain)
	eng := &flaky{Engine: r.d.eng}
	r.d.eng = eng
	r.head(ctx, eth.HeaderRef(chain.Head().Header()))
	for i := 0; i < 200 && r.heads.Get().Safe.Number < 10; i++ {
		r.d.retryAt = time.Time{} // no waiting for the backoff here
		r.d.OnEvent(ctx, loop.Step{})
	}
	if got := r.heads.Get().Safe.Number; got != 10 {
		t.Fatalf("safe head %d after %d engine calls, want 10", got, eng.calls)
	}
	for i := 2; i < len(eng.seen); i += 3 {
		if i+1 < len(eng.seen) && eng.seen[i+1] != eng.seen[i] {
			t.Fatalf("call %d failed; the retry applied other attributes (parent %v, not %v)", i+1, eng.seen[i+1].Parent, eng.seen[i].Parent)
		}
	}
}
