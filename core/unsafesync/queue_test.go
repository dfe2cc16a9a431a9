package unsafesync

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/eth"
)

func hash(n uint64, fork byte) common.Hash { return common.Hash{fork, byte(n)} }

func payload(n uint64, fork byte) *eth.ExecutionPayloadEnvelope {
	parentFork := fork
	if n == 1 {
		parentFork = 0
	}
	return &eth.ExecutionPayloadEnvelope{ExecutionPayload: &eth.ExecutionPayload{
		BlockHash: hash(n, fork), ParentHash: hash(n-1, parentFork), BlockNumber: n, Timestamp: 1000 + 2*n}}
}

// fakeEngine accepts every payload but those listed as invalid or denied.
type fakeEngine struct {
	inserted []uint64
	invalid  map[common.Hash]bool
	denied   map[common.Hash]bool
	fcus     int
}

func (e *fakeEngine) Denied(_ context.Context, p *eth.ExecutionPayload) error {
	if e.denied[p.BlockHash] {
		return enginectl.ErrPayloadInvalid
	}
	return nil
}

func (e *fakeEngine) Insert(_ context.Context, env *eth.ExecutionPayloadEnvelope) error {
	if e.invalid[env.ExecutionPayload.BlockHash] {
		return enginectl.ErrPayloadInvalid
	}
	e.inserted = append(e.inserted, env.ExecutionPayload.BlockNumber)
	return nil
}

func (e *fakeEngine) RefOf(_ context.Context, p *eth.ExecutionPayload) (eth.L2BlockRef, error) {
	return eth.L2BlockRef{Hash: p.BlockHash, Number: p.BlockNumber, ParentHash: p.ParentHash, Time: p.Timestamp}, nil
}

func (e *fakeEngine) Forkchoice(context.Context) error { e.fcus++; return nil }

type fakePeers struct{ asked [][2]uint64 }

func (p *fakePeers) RequestRange(_ context.Context, start, end uint64) error {
	p.asked = append(p.asked, [2]uint64{start, end})
	return nil
}

func setup(t *testing.T) (*Queue, *fakeEngine, *fakePeers, *heads.State, *metrics.Metrics) {
	t.Helper()
	g := eth.L2BlockRef{Hash: hash(0, 0), Time: 1000}
	st, err := heads.New(heads.At(g), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := &fakeEngine{invalid: map[common.Hash]bool{}, denied: map[common.Hash]bool{}}
	peers := &fakePeers{}
	m := metrics.New()
	return New(Config{Engine: eng, Heads: st, Peers: peers, Metrics: m}), eng, peers, st, m
}

// Payloads are inserted in order whatever order they arrive in; a gap is
// asked of peers once; payloads at or below the safe head are ignored.
func TestQueueOrdersAndFillsGaps(t *testing.T) {
	t.Parallel()
	q, eng, peers, st, m := setup(t)
	ctx := context.Background()
	q.OnEvent(ctx, Payload{Envelope: payload(3, 1)})
	q.OnEvent(ctx, Payload{Envelope: payload(1, 1)})
	if got := st.Get().Unsafe.Number; got != 1 || len(eng.inserted) != 1 {
		t.Fatalf("unsafe %d, inserted %v", got, eng.inserted)
	}
	if len(peers.asked) != 1 || peers.asked[0] != [2]uint64{1, 3} {
		t.Fatalf("gap requests %v, want [1,3)", peers.asked)
	}
	q.OnEvent(ctx, loop.Step{}) // nothing new: the gap is not asked again
	if len(peers.asked) != 1 {
		t.Fatalf("gap asked twice: %v", peers.asked)
	}
	// Still open after the re-ask delay: asked again (the answer was lost).
	now := time.Now()
	q.now = func() time.Time { return now.Add(reaskAfter) }
	q.OnEvent(ctx, loop.Step{})
	if len(peers.asked) != 2 || peers.asked[1] != [2]uint64{2, 3} {
		t.Fatalf("open gap not asked again: %v", peers.asked)
	}
	q.OnEvent(ctx, Payload{Envelope: payload(2, 1)})
	if h := st.Get().Unsafe; h.Number != 3 || h.Hash != hash(3, 1) || eng.fcus != 3 {
		t.Fatalf("unsafe %v after the gap filled (fcus %d)", h, eng.fcus)
	}
	q.OnEvent(ctx, Payload{Envelope: &eth.ExecutionPayloadEnvelope{ExecutionPayload: &eth.ExecutionPayload{BlockHash: hash(0, 0)}}})
	if metrics.CounterValue(m.UnsafePayloads.WithLabelValues("below_safe")) != 1 {
		t.Fatal("payload at the safe height not counted as ignored")
	}
}

// A payload the engine refuses, or the interop check denies, moves nothing;
// a payload on another parent waits.
func TestQueueRefusals(t *testing.T) {
	t.Parallel()
	q, eng, _, st, m := setup(t)
	ctx := context.Background()
	bad := payload(1, 1)
	eng.invalid[bad.ExecutionPayload.BlockHash] = true
	q.OnEvent(ctx, Payload{Envelope: bad})
	denied := payload(1, 2)
	eng.denied[denied.ExecutionPayload.BlockHash] = true
	q.OnEvent(ctx, Payload{Envelope: denied})
	orphan := payload(2, 3) // its parent (1, fork 3) never arrives
	q.OnEvent(ctx, Payload{Envelope: orphan})
	if st.Get().Unsafe.Number != 0 || len(eng.inserted) != 0 {
		t.Fatalf("heads moved: %+v, inserted %v", st.Get(), eng.inserted)
	}
	if metrics.CounterValue(m.UnsafePayloads.WithLabelValues("invalid")) != 1 || metrics.CounterValue(m.UnsafePayloads.WithLabelValues("denied")) != 1 {
		t.Fatal("refusals not counted")
	}
	if !errors.Is(eng.Denied(ctx, denied.ExecutionPayload), enginectl.ErrPayloadInvalid) {
		t.Fatal("fake")
	}
}
