package ab

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/core/heads"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/rollup"
)

// testChain is a made-up L1 whose block n carries what derives L2 block n,
// and the L2 chain the primary builds from it.
type testChain struct {
	l1 []*types.Header
}

func newTestChain(n int) *testChain {
	c := &testChain{}
	parent := common.Hash{}
	for i := 0; i <= n; i++ {
		h := &types.Header{Number: big.NewInt(int64(i)), ParentHash: parent, Time: uint64(i), Difficulty: common.Big0}
		c.l1 = append(c.l1, h)
		parent = h.Hash()
	}
	return c
}

func (c *testChain) l1Ref(n uint64) eth.L1BlockRef {
	h := c.l1[n]
	return eth.L1BlockRef{Hash: h.Hash(), Number: n, ParentHash: h.ParentHash, Time: h.Time}
}

func (c *testChain) l1Data(n uint64) *eth.L1BlockData { return &eth.L1BlockData{Header: c.l1[n]} }

func l2Ref(n uint64) eth.L2BlockRef {
	ref := eth.L2BlockRef{Number: n, Hash: common.Hash{0x12, byte(n >> 8), byte(n)}}
	if n > 0 {
		ref.ParentHash = common.Hash{0x12, byte((n - 1) >> 8), byte(n - 1)}
	}
	return ref
}

func (c *testChain) BlockData(_ context.Context, req l1source.BlockDataRequest) (*eth.L1BlockData, error) {
	if req.Number >= uint64(len(c.l1)) {
		return nil, eth.ErrNotFound
	}
	return c.l1Data(req.Number), nil
}

func (c *testChain) L2BlockRefByNumber(_ context.Context, n uint64) (eth.L2BlockRef, error) {
	return l2Ref(n), nil
}

// testDeriver derives L2 block n once it has L1 block n. A variant moves
// the timestamp of every block its rule picks.
type testDeriver struct {
	chain   *testChain
	variant func(n uint64) bool

	mu     sync.Mutex
	have   map[uint64]bool
	fail   atomic.Int32 // steps that fail next
	stall  chan struct{}
	stuck  atomic.Bool // a step is waiting on stall
	steps  atomic.Int64
	resets atomic.Int32
}

func (d *testDeriver) Reset(_ context.Context, req sdkderiver.ResetRequest) error {
	d.resets.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.have = map[uint64]bool{}
	return nil
}

func (d *testDeriver) AddL1Block(_ context.Context, b *eth.L1BlockData) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.have[b.Header.Number.Uint64()] = true
	return nil
}

func (d *testDeriver) Step(ctx context.Context, parent eth.L2BlockRef) (sdkderiver.StepResult, error) {
	d.steps.Add(1)
	d.mu.Lock()
	stall := d.stall
	d.mu.Unlock()
	if stall != nil {
		d.stuck.Store(true)
		defer d.stuck.Store(false)
		select {
		case <-stall:
		case <-ctx.Done():
			return sdkderiver.StepResult{}, ctx.Err()
		}
	}
	if d.fail.Load() > 0 {
		d.fail.Add(-1)
		return sdkderiver.StepResult{}, errors.New("deriver broke")
	}
	n := parent.Number + 1
	d.mu.Lock()
	ok := d.have[n]
	d.mu.Unlock()
	if !ok {
		return sdkderiver.StepResult{Outcome: sdkderiver.NeedL1}, nil
	}
	ts := 1000 + n
	if d.variant != nil && d.variant(n) {
		ts++
	}
	gas := uint64(30_000_000)
	return sdkderiver.StepResult{Outcome: sdkderiver.Attributes, Attributes: &sdkderiver.DerivedAttributes{
		Attributes: &eth.PayloadAttributes{Timestamp: ts, Transactions: [][]byte{{byte(n)}}, GasLimit: &gas, NoTxPool: true},
		Parent:     parent, DerivedFrom: d.chain.l1Ref(n), IsLastInSpan: true,
	}}, nil
}

func (d *testDeriver) PayloadInvalid(context.Context, *sdkderiver.DerivedAttributes) error {
	return nil
}

// primary drives a deriver as core/derive does and tells the shadow.
type primary struct {
	t     *testing.T
	chain *testChain
	d     *testDeriver
	obs   *Shadow
	mu    sync.Mutex
	head  eth.L2BlockRef
}

func (p *primary) heads() heads.Heads {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := heads.At(p.head)
	// Safe trails pending-safe, as within a span batch: a resync catches up.
	if p.head.Number > 3 {
		h.Safe, h.LocalSafe, h.Finalized = l2Ref(p.head.Number-3), l2Ref(p.head.Number-3), l2Ref(0)
	}
	return h
}

func (p *primary) resetAt(_ context.Context, h heads.Heads) (sdkderiver.ResetRequest, error) {
	start := uint64(1)
	if h.Safe.Number > 4 {
		start = h.Safe.Number - 4
	}
	return sdkderiver.ResetRequest{SafeHead: h.Safe, L1Start: p.chain.l1Ref(start)}, nil
}

func (p *primary) start() {
	req, _ := p.resetAt(context.Background(), heads.At(l2Ref(0)))
	if err := p.d.Reset(context.Background(), req); err != nil {
		p.t.Fatal(err)
	}
	p.obs.Reset(req)
}

// run feeds L1 blocks from..to and derives what they give.
func (p *primary) run(from, to uint64) {
	ctx := context.Background()
	for n := from; n <= to; n++ {
		b := p.chain.l1Data(n)
		if err := p.d.AddL1Block(ctx, b); err != nil {
			p.t.Fatal(err)
		}
		p.obs.Fed(b)
		for {
			p.mu.Lock()
			parent := p.head
			p.mu.Unlock()
			res, err := p.d.Step(ctx, parent)
			if err != nil {
				p.t.Fatal(err)
			}
			if res.Outcome != sdkderiver.Attributes {
				break
			}
			next := l2Ref(parent.Number + 1)
			p.mu.Lock()
			p.head = next
			p.mu.Unlock()
			p.obs.Derived(parent, res.Attributes, next)
		}
	}
}

type reportBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (r *reportBuffer) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.Write(p)
}

func (r *reportBuffer) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.b.Bytes()...)
}

func setup(t *testing.T, blocks int, shadow *testDeriver, timeout time.Duration, opts ...func(*ShadowConfig)) (*primary, *Shadow, *Store, *reportBuffer) {
	t.Helper()
	chain := newTestChain(blocks)
	shadow.chain = chain
	p := &primary{t: t, chain: chain, d: &testDeriver{chain: chain}, head: l2Ref(0)}
	store, err := OpenStore(filepath.Join(t.TempDir(), "ab.db"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rep := &reportBuffer{}
	c := ShadowConfig{
		Rollup: &rollup.Config{}, Shadow: shadow, L1: chain, L2: chain, Heads: p.heads, ResetAt: p.resetAt,
		Store: store, Report: rep, Primary: "default 1", Name: "test 1", CallTimeout: timeout,
	}
	for _, o := range opts {
		o(&c)
	}
	s := NewShadow(c)
	s.retry.Min, s.retry.Max = time.Millisecond, 10*time.Millisecond
	p.obs = s
	s.Start()
	t.Cleanup(s.Stop)
	return p, s, store, rep
}

func waitFor(t *testing.T, s *Shadow, what string, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := s.Status()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; status %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestShadowSameRulesNeverDiverges(t *testing.T) {
	p, s, store, _ := setup(t, 300, &testDeriver{}, time.Second)
	p.start()
	p.run(1, 300)
	st := waitFor(t, s, "300 blocks compared", func(st Status) bool { return st.Compared == 300 })
	if st.Diverged != 0 || st.FirstL2 != 1 || st.LastL2 != 300 || st.Resyncs != 0 || st.State != "following" {
		t.Fatalf("status %+v", st)
	}
	if store.Count() != 0 {
		t.Fatalf("store holds %d divergences", store.Count())
	}
}

func TestShadowVariantDivergesWhereItsRuleBinds(t *testing.T) {
	every10 := func(n uint64) bool { return n%10 == 0 }
	p, s, store, rep := setup(t, 200, &testDeriver{variant: every10}, time.Second)
	p.start()
	p.run(1, 200)
	st := waitFor(t, s, "200 blocks compared", func(st Status) bool { return st.Compared == 200 })
	if st.Diverged != 20 || *st.LastDivergence != 200 {
		t.Fatalf("status %+v", st)
	}
	got, err := store.List(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 {
		t.Fatalf("store holds %d divergences, want 20", len(got))
	}
	for i, d := range got {
		if d.L2Block != uint64(10*(i+1)) || d.Field != "timestamp" || d.Fields[0].A != u64(1000+d.L2Block) || d.Time == nil {
			t.Fatalf("divergence %d: %+v", i, d)
		}
	}
	s.Stop()
	r, err := ReadReport(bytes.NewReader(rep.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Runs) != 2 || len(r.Divergences) != 20 || r.Runs[1].Compared != 200 || r.Runs[1].Diverged != 20 || r.Runs[0].Shadow != "test 1" {
		t.Fatalf("report: %d runs %+v, %d divergences", len(r.Runs), r.Runs, len(r.Divergences))
	}
}

// A shadow that fails is resynced at the primary's safe head, catches up
// and compares again; the primary never waits for it.
func TestShadowFailureResyncs(t *testing.T) {
	shadow := &testDeriver{}
	p, s, _, _ := setup(t, 400, shadow, time.Second)
	p.start()
	p.run(1, 100)
	waitFor(t, s, "100 compared", func(st Status) bool { return st.Compared == 100 })
	shadow.fail.Store(3) // the next three steps fail: resync, fail again, resync
	p.run(101, 110)
	waitFor(t, s, "the shadow resynced", func(st Status) bool { return st.Resyncs >= 2 && st.State == "following" })
	p.run(111, 400)
	st := waitFor(t, s, "block 400 compared", func(st Status) bool { return st.LastL2 == 400 })
	if st.Diverged != 0 || st.LastError == "" || shadow.resets.Load() < 3 {
		t.Fatalf("status %+v, resets %d", st, shadow.resets.Load())
	}
	// Every block after the resync is compared; of the ten before it only
	// those the shadow re-derived on catching up are not.
	if st.Compared < 390 || st.Compared >= 400 {
		t.Fatalf("compared %d", st.Compared)
	}
}

// A shadow stuck in a call holds nothing up: the hooks return at once, the
// events overflow, and once unstuck the shadow is resynced and goes on.
func TestShadowStallNeverBlocksThePrimary(t *testing.T) {
	shadow := &testDeriver{}
	blocks := eventBuffer + 1000
	p, s, _, _ := setup(t, blocks+50, shadow, time.Minute)
	p.start()
	p.run(1, 10)
	waitFor(t, s, "10 compared", func(st Status) bool { return st.Compared == 10 })
	stall := make(chan struct{})
	shadow.mu.Lock()
	shadow.stall = stall
	shadow.mu.Unlock()
	p.run(11, 20)
	waitFor(t, s, "the shadow stuck in a step", func(Status) bool { return shadow.stuck.Load() })
	// Every hook returns while the shadow is stuck: more events than the
	// buffer holds.
	p.run(21, uint64(blocks))
	if !s.overrun.Load() {
		t.Fatal("no overrun after more events than the buffer holds")
	}
	shadow.mu.Lock()
	shadow.stall = nil
	shadow.mu.Unlock()
	close(stall)
	waitFor(t, s, "the shadow caught up", func(st Status) bool {
		return st.State == "following" && st.ShadowHead == uint64(blocks)
	})
	p.run(uint64(blocks)+1, uint64(blocks)+50)
	st := waitFor(t, s, "the shadow comparing again", func(st Status) bool { return st.LastL2 == uint64(blocks)+50 })
	if st.Resyncs == 0 || st.Diverged != 0 || st.Compared < 60 {
		t.Fatalf("status %+v", st)
	}
}

func TestShadowRestartedResyncs(t *testing.T) {
	shadow := &testDeriver{}
	p, s, _, _ := setup(t, 100, shadow, time.Second)
	p.start()
	p.run(1, 50)
	waitFor(t, s, "50 compared", func(st Status) bool { return st.Compared == 50 })
	s.Restarted()
	waitFor(t, s, "a resync", func(st Status) bool { return st.Resyncs == 1 && st.State != "resyncing" })
	p.run(51, 100)
	st := waitFor(t, s, "block 100 compared", func(st Status) bool { return st.LastL2 == 100 })
	if st.Diverged != 0 || shadow.resets.Load() != 2 {
		t.Fatalf("status %+v, resets %d", st, shadow.resets.Load())
	}
}

func TestStoreIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ab.db")
	st, err := OpenStore(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(1); n <= 15; n++ {
		if err := st.Put(Divergence{Kind: KindDivergence, L2Block: n, Field: "timestamp"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Put(Divergence{Kind: KindDivergence, L2Block: 15, Field: "gas_limit"}); err != nil {
		t.Fatal(err)
	}
	if st.Count() != 10 {
		t.Fatalf("count %d, want 10", st.Count())
	}
	got, err := st.List(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || got[0].L2Block != 6 || got[9].L2Block != 15 || got[9].Field != "gas_limit" {
		t.Fatalf("kept %+v", got)
	}
	if got, _ := st.List(12, 2); len(got) != 2 || got[0].L2Block != 12 {
		t.Fatalf("list from 12: %+v", got)
	}
	st.Close()
	st, err = OpenStore(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Count() != 10 {
		t.Fatalf("count after reopening %d", st.Count())
	}
	if _, err := OpenStore(filepath.Join(t.TempDir(), "x.db"), 0); err == nil {
		t.Fatal("a zero bound is accepted")
	}
}

// A shadow that hangs in its calls is restarted (its plugin process killed)
// after two timeouts in a row, then resynced when it is back.
func TestShadowHungIsRestarted(t *testing.T) {
	shadow := &testDeriver{}
	restarts := make(chan struct{}, 4)
	var s *Shadow
	restart := func(c *ShadowConfig) {
		c.Restart = func() bool {
			// The host kills the process and starts a fresh one.
			shadow.mu.Lock()
			if shadow.stall != nil {
				close(shadow.stall)
				shadow.stall = nil
			}
			shadow.mu.Unlock()
			restarts <- struct{}{}
			s.Restarted()
			return true
		}
	}
	p, s, _, _ := setup(t, 100, shadow, 20*time.Millisecond, restart)
	p.start()
	p.run(1, 30)
	waitFor(t, s, "30 compared", func(st Status) bool { return st.Compared == 30 })
	shadow.mu.Lock()
	shadow.stall = make(chan struct{})
	shadow.mu.Unlock()
	p.run(31, 40)
	select {
	case <-restarts:
	case <-time.After(20 * time.Second):
		t.Fatal("a hung shadow was not restarted")
	}
	p.run(41, 100)
	st := waitFor(t, s, "block 100 compared", func(st Status) bool { return st.LastL2 == 100 })
	if st.Resyncs == 0 || st.Diverged != 0 || !strings.Contains(st.LastError, "stalled") && !strings.Contains(st.LastError, "restarted") {
		t.Fatalf("status %+v", st)
	}
}
