package follow

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/eth"
)

func l1Hash(n uint64) common.Hash { return crypto.Keccak256Hash([]byte{'l', '1', byte(n)}) }
func l2Hash(n uint64) common.Hash { return crypto.Keccak256Hash([]byte{'l', '2', byte(n)}) }

func l1Ref(n uint64) eth.L1BlockRef { return eth.L1BlockRef{Hash: l1Hash(n), Number: n} }

// l2Ref is block n, with L1 origin n/2.
func l2Ref(n uint64) eth.L2BlockRef {
	return eth.L2BlockRef{Hash: l2Hash(n), Number: n, ParentHash: l2Hash(n - 1), L1Origin: l1Ref(n / 2).ID()}
}

type fakeL1 map[uint64]common.Hash

func (f fakeL1) BlockRefByNumber(_ context.Context, n uint64) (eth.L1BlockRef, error) {
	h, ok := f[n]
	if !ok {
		return eth.L1BlockRef{}, eth.ErrNotFound
	}
	return eth.L1BlockRef{Hash: h, Number: n}, nil
}

func canonicalL1(upTo uint64) fakeL1 {
	f := fakeL1{}
	for n := uint64(0); n <= upTo; n++ {
		f[n] = l1Hash(n)
	}
	return f
}

func status(localSafe, safe, fin, currentL1 uint64) Status {
	return Status{CurrentL1: l1Ref(currentL1), LocalSafe: l2Ref(localSafe), Safe: l2Ref(safe), Finalized: l2Ref(fin)}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	l1 := canonicalL1(20)
	reorged := canonicalL1(20)
	reorged[4] = common.Hash{4}
	noCurrent := status(10, 8, 4, 0)
	noCurrent.CurrentL1 = eth.L1BlockRef{}
	cases := []struct {
		name string
		st   Status
		l1   fakeL1
		want error
	}{
		{"valid", status(10, 8, 4, 12), l1, nil},
		{"source not deriving yet", noCurrent, l1, nil},
		{"safe above local-safe", status(8, 10, 4, 12), l1, ErrInvalidStatus},
		{"finalized above safe", status(10, 8, 9, 12), l1, ErrInvalidStatus},
		{"safe origin reorged here", status(10, 8, 4, 12), reorged, ErrNotCanonical},
		{"current L1 unknown here", status(10, 8, 4, 30), l1, eth.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Check(context.Background(), tc.st, tc.l1)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// fakeEngine's canonical chain is l2Ref(0..head), except where fork says.
type fakeEngine struct {
	head  uint64
	fork  map[uint64]common.Hash
	fcus  int
	state *heads.State
	seen  []heads.Heads
}

func (e *fakeEngine) L2BlockRefByNumber(_ context.Context, n uint64) (eth.L2BlockRef, error) {
	if n > e.head {
		return eth.L2BlockRef{}, eth.ErrNotFound
	}
	r := l2Ref(n)
	if h, ok := e.fork[n]; ok {
		r.Hash = h
	}
	return r, nil
}

func (e *fakeEngine) Forkchoice(context.Context) error {
	e.fcus++
	e.seen = append(e.seen, e.state.Get())
	return nil
}

func newHeads(t *testing.T, unsafe, safe uint64) *heads.State {
	t.Helper()
	s, err := heads.New(heads.Heads{Unsafe: l2Ref(unsafe), CrossUnsafe: l2Ref(unsafe), PendingSafe: l2Ref(safe), LocalSafe: l2Ref(safe),
		Safe: l2Ref(safe), Finalized: l2Ref(0)}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The follower drives the heads synchronously, as the loop would.
func TestFollower(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newHeads(t, 6, 2)
	eng := &fakeEngine{head: 6, state: st}
	var recorded []eth.L2BlockRef
	f := NewFollower(st, eng, hclog.NewNullLogger(), func(l2 eth.L2BlockRef, from eth.L1BlockRef) {
		recorded = append(recorded, l2)
		if from != l1Ref(9) && from != l1Ref(11) {
			t.Errorf("recorded with L1 %v", from)
		}
	})

	// The source is ahead of the unsafe chain: nothing moves until the
	// block arrives.
	f.OnEvent(ctx, Update{Status: status(10, 8, 4, 11)})
	if h := st.Get(); h.Safe.Number != 2 || eng.fcus != 0 {
		t.Fatalf("moved before the unsafe chain had the block: %+v", h)
	}
	eng.head = 10
	if err := st.SetUnsafe(l2Ref(10), "test"); err != nil {
		t.Fatal(err)
	}
	f.OnEvent(ctx, loop.Step{})
	h := st.Get()
	if h.LocalSafe != l2Ref(10) || h.PendingSafe != l2Ref(10) || h.Safe != l2Ref(8) || h.Finalized != l2Ref(4) || eng.fcus != 1 {
		t.Fatalf("heads after follow: %+v (fcus %d)", h, eng.fcus)
	}
	if f.CurrentL1() != l1Ref(11) || len(recorded) != 1 || recorded[0] != l2Ref(8) {
		t.Fatalf("current L1 %v, recorded %v", f.CurrentL1(), recorded)
	}
	if eng.seen[0].Safe != l2Ref(8) {
		t.Fatal("forkchoice was sent before the heads moved")
	}

	// A source behind this node moves nothing back.
	f.OnEvent(ctx, Update{Status: status(6, 6, 2, 9)})
	if h2 := st.Get(); h2 != h || eng.fcus != 1 {
		t.Fatalf("heads moved back: %+v", h2)
	}

	// A source whose safe block is not the local one is not followed.
	eng.fork = map[uint64]common.Hash{10: {0xbb}}
	if err := st.SetUnsafe(eth.L2BlockRef{Hash: common.Hash{0xcc}, Number: 12, ParentHash: common.Hash{0xbb}}, "test"); err != nil {
		t.Fatal(err)
	}
	eng.head = 12
	f.OnEvent(ctx, Update{Status: status(12, 10, 8, 13)})
	if h3 := st.Get(); h3.Safe != l2Ref(8) || eng.fcus != 1 {
		t.Fatalf("followed a chain that differs from the local one: %+v", h3)
	}
}

type syncStatusAPI struct{ st Status }

func (a *syncStatusAPI) SyncStatus() Status { return a.st }

type chanEmitter chan loop.Event

func (c chanEmitter) TryEmit(ev loop.Event) bool {
	select {
	case c <- ev:
		return true
	default:
		return false
	}
}

// The poller reads a real JSON-RPC source on loopback and hands on only
// what passes the checks.
func TestPollerOverRPC(t *testing.T) {
	t.Parallel()
	api := &syncStatusAPI{st: status(10, 8, 4, 11)}
	srv := rpc.NewServer()
	if err := srv.RegisterName("optimism", api); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close(); srv.Stop() })

	out := make(chanEmitter, 4)
	reports := make(chan error, 16)
	p, err := NewPoller(Config{URL: "http://" + ln.Addr().String(), Interval: time.Hour}, canonicalL1(20), out,
		func(_ Status, err error) { reports <- err })
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Poll(context.Background())
	if err != nil || got != api.st {
		t.Fatalf("poll: %+v, %v", got, err)
	}
	api.st = status(10, 8, 4, 11)
	api.st.Safe.L1Origin.Hash = common.Hash{9}
	if _, err := p.Poll(context.Background()); !errors.Is(err, ErrNotCanonical) {
		t.Fatalf("non-canonical source: %v", err)
	}
	// Run polls at once and emits only a checked status.
	api.st = status(10, 8, 4, 11)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	select {
	case ev := <-out:
		if u, ok := ev.(Update); !ok || u.Status != api.st {
			t.Fatalf("emitted %v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no status emitted")
	}
	if err := <-reports; err != nil {
		t.Fatalf("report: %v", err)
	}
	cancel()
	<-done
	// An unreachable source is an error, not a crash.
	bad, err := NewPoller(Config{URL: "http://127.0.0.1:1", Timeout: time.Second}, canonicalL1(1), out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Poll(context.Background()); err == nil {
		t.Fatal("unreachable source answered")
	}
}

// The reporter says each new kind of failure once, and the recovery once.
func TestReporter(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	r := Reporter(hclog.New(&hclog.LoggerOptions{Output: &buf}), "http://127.0.0.1:1")
	down := errors.New("connection refused")
	for range 3 {
		r(Status{}, down)
	}
	r(Status{}, ErrNotCanonical)
	r(status(4, 2, 0, 5), nil)
	r(status(4, 2, 0, 5), nil)
	out := buf.String()
	if strings.Count(out, "connection refused") != 1 || strings.Count(out, "not canonical") != 1 || strings.Count(out, "answers again") != 1 {
		t.Fatalf("log:\n%s", out)
	}
}
