package loop

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type named string

func (n named) String() string { return string(n) }

// Step requests made while one is pending coalesce and never block.
func TestStepsCoalesce(t *testing.T) {
	t.Parallel()
	l := New(nil, 8, nil)
	var steps atomic.Int64
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	pendingAfter := -1 // step requests still queued when the second step runs
	l.Register(HandlerFunc(func(ctx context.Context, ev Event) {
		if _, ok := ev.(Step); ok {
			switch steps.Add(1) {
			case 1:
				<-release // hold the first step while more are requested
			case 2:
				// Nothing requests steps any more: a coalescing loop has
				// none left, so this is the last step.
				pendingAfter = len(l.steps)
				cancel()
			}
		}
	}))
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	l.RequestStep()
	deadline := time.After(5 * time.Second)
	for steps.Load() == 0 {
		select {
		case <-deadline:
			t.Fatal("first step never ran")
		default:
			time.Sleep(time.Millisecond)
		}
	}
	for i := 0; i < 1000; i++ {
		l.RequestStep() // must not block
	}
	close(release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the requests during the first step gave no second step")
	}
	if n := steps.Load(); n != 2 || pendingAfter != 0 {
		t.Fatalf("1000 requests during a step gave %d steps after it and left %d pending, want exactly 1 and none", n-1, pendingAfter)
	}
}

// Events are handled in order by every handler, before pending steps, and
// Shutdown comes last.
func TestOrderAndShutdown(t *testing.T) {
	t.Parallel()
	l := New(nil, 16, nil)
	var mu sync.Mutex
	var seen []string
	stepped := make(chan struct{})
	for i := 0; i < 2; i++ {
		l.Register(HandlerFunc(func(ctx context.Context, ev Event) {
			mu.Lock()
			seen = append(seen, ev.String())
			mu.Unlock()
			if _, ok := ev.(Step); ok && i == 1 {
				close(stepped) // both handlers have seen the step
			}
		}))
	}
	for _, e := range []string{"a", "b", "c"} {
		if err := l.Emit(context.Background(), named(e)); err != nil {
			t.Fatal(err)
		}
	}
	l.RequestStep()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	select {
	case <-stepped:
	case <-time.After(5 * time.Second):
		t.Fatal("the requested step never ran")
	}
	cancel()
	<-done
	want := []string{"a", "a", "b", "b", "c", "c", "step", "step", "shutdown", "shutdown"}
	if len(seen) != len(want) {
		t.Fatalf("seen %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("seen %v, want %v", seen, want)
		}
	}
}

func TestTryEmitDropsWhenFull(t *testing.T) {
	t.Parallel()
	l := New(nil, 1, nil)
	if !l.TryEmit(named("x")) {
		t.Fatal("first event dropped")
	}
	if l.TryEmit(named("y")) {
		t.Fatal("second event queued beyond the buffer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := l.Emit(ctx, named("z")); err == nil {
		t.Fatal("Emit on a full queue returned without its context ending")
	}
}

// After the loop stops, Emit on a full queue returns ErrStopped at once
// (with a context that never ends), and Post never blocks; while it runs,
// what Post could not queue at once is delivered later.
func TestEmitAfterShutdownNeverBlocks(t *testing.T) {
	t.Parallel()
	l := New(nil, 1, nil)
	var mu sync.Mutex
	var seen []string
	release := make(chan struct{})
	l.Register(HandlerFunc(func(_ context.Context, ev Event) {
		if ev.String() == "first" {
			<-release // hold the loop so the queue fills
		}
		mu.Lock()
		seen = append(seen, ev.String())
		mu.Unlock()
	}))
	ctx, cancel := context.WithCancel(context.Background())
	go l.Run(ctx)
	if err := l.Emit(context.Background(), named("first")); err != nil {
		t.Fatal(err)
	}
	// The loop is busy with "first": fill the queue, then Post twice.
	deadline := time.Now().Add(5 * time.Second)
	for !l.TryEmit(named("filler")) {
		if time.Now().After(deadline) {
			t.Fatal("queue never had room")
		}
		runtime.Gosched()
	}
	l.Post(named("posted"))
	close(release)
	for {
		mu.Lock()
		n := len(seen)
		got := append([]string(nil), seen...)
		mu.Unlock()
		if n >= 3 {
			if got[len(got)-1] != "posted" {
				t.Fatalf("order %v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("posted event not delivered: %v", got)
		}
		runtime.Gosched()
	}
	cancel()
	<-l.Done()
	for l.TryEmit(named("fill")) {
	}
	if err := l.Emit(context.Background(), named("late")); !errors.Is(err, ErrStopped) {
		t.Fatalf("Emit after shutdown: %v", err)
	}
	l.Post(named("late")) // returns; its goroutine ends at once
}
