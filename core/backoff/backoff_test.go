package backoff

import (
	"context"
	"testing"
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
