package sequencer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// fakeClock fires its timers only when the test says so.
type fakeClock struct {
	now    time.Time
	timers []func()
}

func (c *fakeClock) Now() time.Time                      { return c.now }
func (c *fakeClock) AfterFunc(_ time.Duration, f func()) { c.timers = append(c.timers, f) }

// queue is the loop: posted events wait until the test dispatches them.
type queue struct{ events []loop.Event }

func (q *queue) Post(ev loop.Event) { q.events = append(q.events, ev) }

type flags map[string][]byte

func (f flags) Flag(name string) ([]byte, error)    { return f[name], nil }
func (f flags) SetFlag(name string, v []byte) error { f[name] = v; return nil }

type labels struct{ head eth.L1BlockRef }

func (l *labels) Head() eth.L1BlockRef { return l.head }

// refusing refuses the first n payloads and records each build's no-tx-pool.
type refusing struct {
	*sdktest.FakeEngine
	mu       sync.Mutex
	refuse   int
	noTxPool []bool
}

func (r *refusing) ForkchoiceUpdated(ctx context.Context, st engine.ForkchoiceState, a *eth.PayloadAttributes) (engine.ForkchoiceResult, error) {
	if a != nil {
		r.noTxPool = append(r.noTxPool, a.NoTxPool)
	}
	return r.FakeEngine.ForkchoiceUpdated(ctx, st, a)
}

func (r *refusing) NewPayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) (engine.PayloadStatus, error) {
	if r.refuse > 0 {
		r.refuse--
		return engine.PayloadStatus{Status: engine.StatusInvalid, ValidationError: "test refuses"}, nil
	}
	return r.FakeEngine.NewPayload(ctx, env)
}

type rig struct {
	s     *Sequencer
	clock *fakeClock
	q     *queue
	heads *heads.State
	eng   *refusing
	flags flags
}

// newRig wires a sequencer to the sdk's fakes, a real engine controller and
// head state, with the clock one hour past L2 genesis (it builds as fast as
// the timers are fired).
func newRig(t *testing.T, refuse int) *rig {
	t.Helper()
	chain := sdktest.NewL1Chain(3)
	rc := sdktest.TestRollupConfig(eth.HeaderRef(chain.Blocks[0].Header()))
	genesis := eth.L2BlockRef{Hash: rc.Genesis.L2.Hash, Number: 0, Time: rc.Genesis.L2Time, L1Origin: rc.Genesis.L1}
	st, err := heads.New(heads.At(genesis), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fe := sdktest.NewFakeEngine(genesis)
	fe.Origin = sdktest.FakeOrigin
	eng := &refusing{FakeEngine: fe, refuse: refuse}
	ctx := context.Background()
	der, sel := &sdktest.FakeDeriver{}, &sdktest.LazySelector{}
	for _, p := range []base.Plugin{der, sel} {
		if err := p.Configure(ctx, base.ConfigureRequest{Rollup: rc}); err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{clock: &fakeClock{now: time.Unix(int64(rc.Genesis.L2Time)+3600, 0)}, q: &queue{}, heads: st, eng: eng, flags: flags{}}
	r.s = New(Config{
		Rollup: rc, Selector: sel, Attributes: der, Builder: enginectl.New(enginectl.Config{Rollup: rc, Engine: eng, Heads: st}),
		L2: eng, L1: sdktest.NewFakeL1Source(chain), Labels: &labels{head: eth.HeaderRef(chain.Head().Header())}, Heads: st,
		Flags: r.flags, Loop: r.q, Clock: r.clock,
	})
	return r
}

// tick fires the pending timers and dispatches what they posted.
func (r *rig) tick(ctx context.Context) {
	timers := r.clock.timers
	r.clock.timers = nil
	for _, f := range timers {
		f()
	}
	events := r.q.events
	r.q.events = nil
	for _, ev := range events {
		r.s.OnEvent(ctx, ev)
	}
}

func (r *rig) until(t *testing.T, ctx context.Context, n uint64) {
	t.Helper()
	for i := 0; i < 200 && r.heads.Get().Unsafe.Number < n; i++ {
		r.tick(ctx)
	}
	if got := r.heads.Get().Unsafe.Number; got < n {
		t.Fatalf("unsafe head %d, want %d", got, n)
	}
}

// Enabled, the sequencer builds block after block on its timers, records
// the timing of each, and persists its state; stopped, it builds nothing;
// a start must name the unsafe head.
func TestSequencerBuildsStopsAndStarts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, 0)
	if err := r.s.Init(true, false); err != nil {
		t.Fatal(err)
	}
	r.until(t, ctx, 5)
	h := r.heads.Get().Unsafe
	if h.L1Origin.Number > 3 || len(r.s.Timings()) != int(h.Number) {
		t.Fatalf("head %v, %d timings", h, len(r.s.Timings()))
	}
	last, err := r.s.Stop()
	if err != nil || last != h.Hash || string(r.flags[flagSequencerActive]) != "0" {
		t.Fatalf("stop: %s %v, flag %q", last, err, r.flags[flagSequencerActive])
	}
	for i := 0; i < 5; i++ {
		r.tick(ctx)
	}
	if r.heads.Get().Unsafe != h {
		t.Fatal("a stopped sequencer built a block")
	}
	if err := r.s.Start(ctx, eth.L2BlockRef{}.Hash); err == nil {
		t.Fatal("start with a wrong unsafe head hash accepted")
	}
	if err := r.s.Start(ctx, h.Hash); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Start(ctx, h.Hash); err == nil {
		t.Fatal("second start accepted")
	}
	r.until(t, ctx, h.Number+2)

	// A restart keeps the admin's choice over the config's.
	r2 := newRig(t, 0)
	r2.flags[flagSequencerActive] = []byte("0")
	if err := r2.s.Init(true, false); err != nil || r2.s.Active() {
		t.Fatalf("restart after an admin stop: active %v, %v", r2.s.Active(), err)
	}
}

// A built payload the engine refuses is rebuilt with deposits only; when
// even that is refused, the unsafe chain goes back to the safe head; the
// sequencer goes on either way.
func TestSequencerInvalidPayload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, 1)
	if err := r.s.Init(true, false); err != nil {
		t.Fatal(err)
	}
	r.until(t, ctx, 2)
	if len(r.eng.noTxPool) < 2 || r.eng.noTxPool[0] || !r.eng.noTxPool[1] {
		t.Fatalf("builds' noTxPool %v: want the rebuild after the refusal without the pool", r.eng.noTxPool)
	}

	r = newRig(t, 2)
	if err := r.s.Init(true, false); err != nil {
		t.Fatal(err)
	}
	r.until(t, ctx, 1)
	if h := r.heads.Get(); h.Unsafe.Number != 1 || h.Safe.Number != 0 {
		t.Fatalf("heads after two refusals: %+v", h)
	}
}

// With a stop time the sequencer builds up to the block before it and no
// further.
func TestSequencerStopsAtItsStopTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, 0)
	stop := r.heads.Get().Unsafe.Time + 3*r.s.cfg.BlockTime // block 3
	r.s.stopAt, r.s.stopErr = &stop, errors.New("the chain left the OP Stack")
	if err := r.s.Init(true, false); err != nil {
		t.Fatal(err)
	}
	r.until(t, ctx, 2)
	for i := 0; i < 20; i++ {
		r.tick(ctx)
	}
	if got := r.heads.Get().Unsafe.Number; got != 2 || !r.s.stopped {
		t.Fatalf("unsafe head %d (stopped %v), want 2: block 3 is at the stop time", got, r.s.stopped)
	}
}
