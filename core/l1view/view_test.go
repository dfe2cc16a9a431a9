package l1view

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
)

func TestViewKeepsTheLatestOfEachLabel(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	v := New(m)
	ctx := context.Background()
	v.OnEvent(ctx, HeadChanged{Label: eth.Unsafe, Ref: eth.L1BlockRef{Number: 9}})
	v.OnEvent(ctx, HeadChanged{Label: eth.Safe, Ref: eth.L1BlockRef{Number: 5}})
	v.OnEvent(ctx, HeadChanged{Label: eth.Finalized, Ref: eth.L1BlockRef{Number: 2}})
	v.OnEvent(ctx, loop.Step{})
	if v.Head().Number != 9 || v.Safe().Number != 5 || v.Finalized().Number != 2 {
		t.Fatalf("view %v %v %v", v.Head(), v.Safe(), v.Finalized())
	}
}

// fakeSource reports its labels, then streams updates and fails, once per
// subscription.
type fakeSource struct {
	mu   sync.Mutex
	subs int
}

func (f *fakeSource) BlockRefByLabel(_ context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	return eth.L1BlockRef{Number: map[eth.BlockLabel]uint64{eth.Unsafe: 10, eth.Safe: 6, eth.Finalized: 3}[l]}, nil
}

func (f *fakeSource) WatchHeads(ctx context.Context, fn func(l1source.HeadUpdate)) error {
	f.mu.Lock()
	f.subs++
	n := f.subs
	f.mu.Unlock()
	fn(l1source.HeadUpdate{Label: eth.Unsafe, Ref: eth.L1BlockRef{Number: 10 + uint64(n)}})
	if n >= 2 {
		<-ctx.Done()
		return ctx.Err()
	}
	return errors.New("subscription dropped")
}

type recorder struct {
	events chan loop.Event
	steps  int
	mu     sync.Mutex
}

func (r *recorder) Emit(_ context.Context, ev loop.Event) error { r.events <- ev; return nil }
func (r *recorder) RequestStep()                                { r.mu.Lock(); r.steps++; r.mu.Unlock() }

// Watch seeds the three labels, forwards updates with a step request, and
// subscribes again after the stream fails.
func TestWatchResubscribes(t *testing.T) {
	t.Parallel()
	src := &fakeSource{}
	out := &recorder{events: make(chan loop.Event, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Watch(ctx, src, out, hclog.NewNullLogger()); close(done) }()
	var got []HeadChanged
	deadline := time.After(10 * time.Second)
	for len(got) < 8 { // 3 labels + 1 update, twice
		select {
		case ev := <-out.events:
			got = append(got, ev.(HeadChanged))
		case <-deadline:
			t.Fatalf("events so far: %v", got)
		}
	}
	cancel()
	<-done
	if got[3].Ref.Number != 11 || got[7].Ref.Number != 12 || got[4].Label != eth.Unsafe || got[4].Ref.Number != 10 {
		t.Fatalf("events %v", got)
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.steps != 2 {
		t.Fatalf("%d step requests, want 2", out.steps)
	}
}
