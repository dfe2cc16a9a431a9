package runtimecfg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/backoff"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
)

var (
	sysConfig = common.HexToAddress("0x00000000000000000000000000000000005c0f19")
	signerA   = common.HexToAddress("0x000000000000000000000000000000000000a11c")
	signerB   = common.HexToAddress("0x00000000000000000000000000000000000000b0")
)

func ref(n uint64) eth.L1BlockRef {
	return eth.L1BlockRef{Number: n, Hash: common.BigToHash(new(big.Int).SetUint64(1000 + n))}
}

func slotOf(a common.Address) common.Hash { return common.BytesToHash(a[:]) }

// fakeL1 has a head and a slot value per block, and fails the calls it is
// told to. It records the blocks the slot was read at.
type fakeL1 struct {
	mu       sync.Mutex
	head     uint64
	slot     func(block eth.L1BlockRef) common.Hash
	headErr  error
	storeErr error
	read     []eth.L1BlockRef
	byNumber []uint64
}

func (f *fakeL1) BlockRefByLabel(_ context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l != eth.Unsafe {
		return eth.L1BlockRef{}, fmt.Errorf("label %v: %w", l, eth.ErrInvalidArgument)
	}
	if f.headErr != nil {
		return eth.L1BlockRef{}, f.headErr
	}
	return ref(f.head), nil
}

func (f *fakeL1) BlockRefByNumber(_ context.Context, n uint64) (eth.L1BlockRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byNumber = append(f.byNumber, n)
	if n > f.head {
		return eth.L1BlockRef{}, eth.ErrNotFound
	}
	return ref(n), nil
}

func (f *fakeL1) StorageAt(_ context.Context, account common.Address, slot, block common.Hash) (common.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if account != sysConfig || slot != UnsafeBlockSignerSlot {
		return common.Hash{}, fmt.Errorf("read %s slot %s", account, slot)
	}
	if f.storeErr != nil {
		return common.Hash{}, f.storeErr
	}
	for n := uint64(0); n <= f.head; n++ {
		if ref(n).Hash == block {
			f.read = append(f.read, ref(n))
			return f.slot(ref(n)), nil
		}
	}
	return common.Hash{}, eth.ErrNotFound
}

func (f *fakeL1) set(change func(f *fakeL1)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeL1) reads() []eth.L1BlockRef {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]eth.L1BlockRef(nil), f.read...)
}

// fakeGossip records every signer it is given.
type fakeGossip struct {
	mu   sync.Mutex
	got  []common.Address
	fail error
}

func (g *fakeGossip) SetUnsafeBlockSigner(_ context.Context, a common.Address) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return g.fail
	}
	g.got = append(g.got, a)
	return nil
}

func (g *fakeGossip) signers() []common.Address {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]common.Address(nil), g.got...)
}

// fakeClock hands every wait to the test, which fires it (or not).
type fakeClock struct {
	waits chan wait
	done  chan struct{}
}

type wait struct {
	d    time.Duration
	fire chan time.Time
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	w := wait{d, make(chan time.Time, 1)}
	select {
	case c.waits <- w:
	case <-c.done:
	}
	return w.fire
}

// syncBuffer is a log sink the test may read while the loader writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

type outcome struct {
	s   Signer
	err error
}

// rig runs a loader on fakes; the test steps it one load at a time.
type rig struct {
	l1       *fakeL1
	gossip   *fakeGossip
	clock    *fakeClock
	logs     *syncBuffer
	outcomes chan outcome
	loader   *Loader
}

const (
	interval = 10 * time.Minute
	retryMin = time.Second
	retryMax = 8 * time.Second
)

func newRig(t *testing.T, change func(c *Config)) *rig {
	t.Helper()
	r := &rig{
		l1:       &fakeL1{head: 100, slot: func(eth.L1BlockRef) common.Hash { return slotOf(signerA) }},
		gossip:   &fakeGossip{},
		clock:    &fakeClock{waits: make(chan wait), done: make(chan struct{})},
		logs:     &syncBuffer{},
		outcomes: make(chan outcome, 16),
	}
	c := Config{
		L1: r.l1, SystemConfig: sysConfig, Confs: 4, Interval: interval, Gossip: r.gossip,
		Log:   hclog.New(&hclog.LoggerOptions{Output: r.logs, Level: hclog.Debug}),
		Retry: backoff.Backoff{Min: retryMin, Max: retryMax}, Clock: r.clock,
		Report: func(s Signer, err error) { r.outcomes <- outcome{s, err} },
	}
	if change != nil {
		change(&c)
	}
	r.loader = New(c)
	ctx, cancel := context.WithCancel(context.Background())
	r.loader.Start(ctx)
	t.Cleanup(func() {
		cancel()
		close(r.clock.done)
		r.loader.Wait()
	})
	return r
}

// The safety net of every step: a loader that hangs fails the test instead
// of hanging it.
const stuck = 10 * time.Second

// next is the outcome of the next load.
func (r *rig) next(t *testing.T) outcome {
	t.Helper()
	select {
	case o := <-r.outcomes:
		return o
	case <-time.After(stuck):
		t.Fatal("no load")
		return outcome{}
	}
}

// wait is the loader's next wait.
func (r *rig) wait(t *testing.T) wait {
	t.Helper()
	select {
	case w := <-r.clock.waits:
		return w
	case <-time.After(stuck):
		t.Fatal("the loader does not wait")
		return wait{}
	}
}

// One load and the wait after it, for each outcome of the calls.
func TestLoad(t *testing.T) {
	t.Parallel()
	boom := fmt.Errorf("connection refused: %w", eth.ErrTemporary)
	refused := errors.New("closed")
	cases := []struct {
		name      string
		change    func(c *Config)
		l1        func(f *fakeL1)
		gossip    error
		wantErr   error
		wantAt    uint64 // the block the slot was read at (when loaded)
		wantAddr  common.Address
		wantSet   []common.Address
		wantWait  time.Duration
		wantLog   string
		nilGossip bool
	}{
		{name: "at the head less the confirmations", wantAt: 96, wantAddr: signerA, wantSet: []common.Address{signerA}, wantWait: interval, wantLog: "unsafe block signer loaded"},
		{name: "without confirmations at the head", change: func(c *Config) { c.Confs = 0 }, wantAt: 100, wantAddr: signerA, wantSet: []common.Address{signerA}, wantWait: interval},
		{name: "L1 shorter than the confirmations: at the head", l1: func(f *fakeL1) { f.head = 3 }, wantAt: 3, wantAddr: signerA, wantSet: []common.Address{signerA}, wantWait: interval},
		{name: "the address is the slot's low 20 bytes", l1: func(f *fakeL1) {
			f.slot = func(eth.L1BlockRef) common.Hash {
				return common.HexToHash("0xffffffffffffffffffffffff000000000000000000000000000000000000a11c")
			}
		}, wantAt: 96, wantAddr: signerA, wantSet: []common.Address{signerA}, wantWait: interval},
		{name: "a zero slot is handed over, with a warning", l1: func(f *fakeL1) { f.slot = func(eth.L1BlockRef) common.Hash { return common.Hash{} } },
			wantAt: 96, wantAddr: common.Address{}, wantSet: []common.Address{{}}, wantWait: interval, wantLog: "slot is zero"},
		{name: "no p2p plugin", nilGossip: true, wantAt: 96, wantAddr: signerA, wantWait: interval},
		{name: "reload once", change: func(c *Config) { c.Interval = 0 }, wantAt: 96, wantAddr: signerA, wantSet: []common.Address{signerA}},
		{name: "the head fails", l1: func(f *fakeL1) { f.headErr = boom }, wantErr: eth.ErrTemporary, wantWait: retryMin, wantLog: "reading the L1 head"},
		{name: "the storage read fails", l1: func(f *fakeL1) { f.storeErr = boom }, wantErr: eth.ErrTemporary, wantWait: retryMin, wantLog: "retrying"},
		{name: "the plugin refuses the signer", gossip: refused, wantErr: refused, wantAt: 96, wantAddr: signerA, wantWait: retryMin, wantLog: "p2p plugin"},
		{name: "the source cannot read storage", l1: func(f *fakeL1) { f.storeErr = l1source.ErrStorageUnsupported },
			wantErr: l1source.ErrStorageUnsupported, wantWait: interval, wantLog: "gossip cannot be verified"},
		{name: "cannot read storage, no p2p", nilGossip: true, l1: func(f *fakeL1) { f.storeErr = l1source.ErrStorageUnsupported },
			wantErr: l1source.ErrStorageUnsupported, wantWait: interval, wantLog: "the unsafe block signer is not loaded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, func(c *Config) {
				if tc.change != nil {
					tc.change(c)
				}
				if tc.l1 != nil {
					tc.l1(c.L1.(*fakeL1))
				}
				c.Gossip.(*fakeGossip).fail = tc.gossip
				if tc.nilGossip {
					c.Gossip = nil
				}
			})
			o := r.next(t)
			switch {
			case tc.wantErr == nil && o.err != nil:
				t.Fatalf("load: %v", o.err)
			case tc.wantErr != nil && !errors.Is(o.err, tc.wantErr):
				t.Fatalf("load: %v, want %v", o.err, tc.wantErr)
			}
			s, ok := r.loader.UnsafeBlockSigner()
			if loaded := tc.wantAt != 0; ok != loaded || ok && (s.Address != tc.wantAddr || s.L1 != ref(tc.wantAt)) {
				t.Fatalf("signer %+v (%v), want %s at %d", s, ok, tc.wantAddr, tc.wantAt)
			}
			if got := r.gossip.signers(); fmt.Sprint(got) != fmt.Sprint(tc.wantSet) {
				t.Fatalf("handed over %v, want %v", got, tc.wantSet)
			}
			r.l1.set(func(f *fakeL1) {
				// The confirmed block is asked by number; the head itself is not.
				if byNumber := tc.wantAt == 96; byNumber != (len(f.byNumber) == 1) && tc.wantAt != 0 {
					t.Errorf("asked by number for %v, reading at %d", f.byNumber, tc.wantAt)
				}
			})
			if tc.wantWait > 0 {
				if w := r.wait(t); w.d != tc.wantWait {
					t.Fatalf("waits %v, want %v", w.d, tc.wantWait)
				}
			}
			if tc.wantLog != "" && r.logs.count(tc.wantLog) != 1 {
				t.Fatalf("log does not say %q once:\n%s", tc.wantLog, r.logs.b.String())
			}
		})
	}
}

// Each reload reads L1 again and hands the plugin the signer of the time,
// a rotation included.
func TestReloadsEveryInterval(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	for round, l1 := range []struct {
		head   uint64
		signer common.Address
	}{{100, signerA}, {150, signerA}, {200, signerB}} {
		if round > 0 {
			r.l1.set(func(f *fakeL1) {
				f.head = l1.head
				f.slot = func(eth.L1BlockRef) common.Hash { return slotOf(l1.signer) }
			})
			w := r.wait(t)
			if w.d != interval {
				t.Fatalf("round %d: waited %v", round, w.d)
			}
			w.fire <- time.Now()
		}
		if o := r.next(t); o.err != nil || o.s.Address != l1.signer || o.s.L1 != ref(l1.head-4) {
			t.Fatalf("round %d: %+v", round, o)
		}
	}
	if got := r.gossip.signers(); fmt.Sprint(got) != fmt.Sprint([]common.Address{signerA, signerA, signerB}) {
		t.Fatalf("handed over %v", got)
	}
	if n := r.logs.count("unsafe block signer loaded"); n != 2 {
		t.Fatalf("%d info lines for two distinct signers", n)
	}
}

// Failures back off, doubling up to the maximum; a success resets the
// delay and the next wait is the interval again.
func TestRetriesBackOff(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config) { c.L1.(*fakeL1).storeErr = eth.ErrTemporary })
	var waits []time.Duration
	for len(waits) < 6 {
		if o := r.next(t); !errors.Is(o.err, eth.ErrTemporary) {
			t.Fatalf("load %d: %v", len(waits), o.err)
		}
		w := r.wait(t)
		waits = append(waits, w.d)
		if len(waits) == 6 {
			r.l1.set(func(f *fakeL1) { f.storeErr = nil })
		}
		w.fire <- time.Now()
	}
	if want := []time.Duration{retryMin, 2 * retryMin, 4 * retryMin, retryMax, retryMax, retryMax}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	if o := r.next(t); o.err != nil {
		t.Fatalf("after recovery: %v", o.err)
	}
	if w := r.wait(t); w.d != interval {
		t.Fatalf("after a success waits %v, want the interval", w.d)
	}
	r.l1.set(func(f *fakeL1) { f.storeErr = eth.ErrTemporary })
	r.loader.Reload()
	r.next(t)
	if w := r.wait(t); w.d != retryMin {
		t.Fatalf("the first retry after a success waits %v, want %v", w.d, retryMin)
	}
}

// A retry never waits longer than the interval.
func TestRetryCappedAtTheInterval(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config) {
		c.Interval = 3 * time.Second
		c.L1.(*fakeL1).headErr = eth.ErrTemporary
	})
	var waits []time.Duration
	for range 4 {
		r.next(t)
		w := r.wait(t)
		waits = append(waits, w.d)
		w.fire <- time.Now()
	}
	if want := []time.Duration{retryMin, 2 * retryMin, 3 * time.Second, 3 * time.Second}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
}

// A source that cannot read storage is reported once, however often the
// loader tries again, and tried again only at the interval.
func TestUnsupportedLoggedOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config) { c.L1.(*fakeL1).storeErr = l1source.ErrStorageUnsupported })
	for range 3 {
		if o := r.next(t); !errors.Is(o.err, eth.ErrUnsupported) {
			t.Fatalf("load: %v", o.err)
		}
		w := r.wait(t)
		if w.d != interval {
			t.Fatalf("waits %v after unsupported, want the interval", w.d)
		}
		w.fire <- time.Now()
	}
	r.next(t)
	if n := r.logs.count("gossip cannot be verified"); n != 1 {
		t.Fatalf("said %d times that gossip cannot be verified", n)
	}
	if len(r.gossip.signers()) != 0 {
		t.Fatal("a signer was handed over")
	}
}

// Reload and a restarted p2p plugin load at once, during a wait or after
// a single load (interval 0); other plugins' restarts do not.
func TestReloadOnDemand(t *testing.T) {
	t.Parallel()
	for _, iv := range []time.Duration{interval, 0} {
		r := newRig(t, func(c *Config) { c.Interval = iv })
		r.next(t)
		if iv > 0 {
			r.wait(t) // never fired
		}
		r.loader.OnEvent(context.Background(), pluginhost.Restarted{Kind: sdk.Deriver})
		r.loader.OnEvent(context.Background(), loop.Step{})
		select {
		case o := <-r.outcomes:
			t.Fatalf("interval %v: loaded without cause: %+v", iv, o)
		default:
		}
		r.loader.OnEvent(context.Background(), pluginhost.Restarted{Kind: sdk.P2P})
		if o := r.next(t); o.err != nil {
			t.Fatal(o.err)
		}
		if got := len(r.gossip.signers()); got != 2 {
			t.Fatalf("interval %v: handed over %d times, want 2", iv, got)
		}
		if iv > 0 {
			r.wait(t)
		}
		select {
		case w := <-r.clock.waits:
			t.Fatalf("interval %v: an unexpected wait of %v", iv, w.d)
		default:
		}
	}
}

// Without a system config address nothing is read, and the reason logged.
func TestNoSystemConfig(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config) { c.SystemConfig = common.Address{} })
	r.loader.Wait()
	if len(r.l1.reads()) != 0 || r.logs.count("l1_system_config_address") != 1 {
		t.Fatalf("reads %v, log %s", r.l1.reads(), r.logs.b.String())
	}
	if _, ok := r.loader.UnsafeBlockSigner(); ok {
		t.Fatal("a signer without a system config")
	}
}
