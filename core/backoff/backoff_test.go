package backoff

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cases := []struct {
		name string
		b    Backoff
		want []time.Duration
	}{
		{"doubling to the cap", Backoff{Min: 50 * ms, Max: 300 * ms}, []time.Duration{50 * ms, 100 * ms, 200 * ms, 300 * ms, 300 * ms}},
		{"factor at most 1 means 2", Backoff{Min: 10 * ms, Max: time.Second, Factor: 1}, []time.Duration{10 * ms, 20 * ms, 40 * ms}},
		{"factor 3", Backoff{Min: 10 * ms, Max: time.Second, Factor: 3}, []time.Duration{10 * ms, 30 * ms, 90 * ms, 270 * ms, 810 * ms, time.Second}},
		{"min above max", Backoff{Min: 2 * time.Second, Max: time.Second}, []time.Duration{time.Second, time.Second}},
		{"overflow stays at max", Backoff{Min: time.Duration(1 << 62), Max: time.Duration(1<<63 - 1)}, []time.Duration{1 << 62, 1<<63 - 1, 1<<63 - 1}},
	}
	for _, tc := range cases {
		b := tc.b
		for i, w := range tc.want {
			if got := b.Next(); got != w {
				t.Fatalf("%s: delay %d is %v, want %v", tc.name, i, got, w)
			}
		}
		b.Reset()
		if b.Current() != 0 || b.Next() != tc.want[0] {
			t.Fatalf("%s: reset does not start again from the minimum", tc.name)
		}
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	t.Parallel()
	b := Backoff{Min: time.Hour, Max: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Wait(ctx); err != context.Canceled {
		t.Fatalf("wait on a cancelled context: %v", err)
	}
}

// Wait sleeps for each delay in turn, on synctest's fake clock (no real
// sleeping), and a cancel ends a wait early with the context's error.
func TestWaitSleepsTheDelays(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := Backoff{Min: time.Second, Max: 3 * time.Second}
		for _, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
			start := time.Now()
			if err := b.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := time.Since(start); got != want {
				t.Fatalf("waited %v, want %v", got, want)
			}
		}
		b.Reset()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel)
		start := time.Now()
		if err := b.Wait(ctx); err != context.Canceled {
			t.Fatalf("cancelled wait: %v", err)
		}
		if got := time.Since(start); got != 300*time.Millisecond {
			t.Fatalf("cancelled wait took %v, want the 300ms until the cancel", got)
		}
	})
}
