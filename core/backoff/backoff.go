// Package backoff is the core's one retry delay: exponential between a
// minimum and a maximum, reset after a success. It is a value with no
// clock, so components stay testable without sleeping; Wait sleeps for
// callers that run on their own goroutine.
package backoff

import (
	"context"
	"time"
)

// Backoff yields growing delays: Min, then ×Factor each time, capped at
// Max. The zero value is unusable; set Min and Max.
type Backoff struct {
	Min, Max time.Duration
	// Factor is the growth per failure; 0 (or anything up to 1) means 2.
	Factor float64

	cur time.Duration
}

// Next returns the delay before the next attempt and grows it.
func (b *Backoff) Next() time.Duration {
	if b.cur == 0 {
		b.cur = b.Min
	} else {
		f := b.Factor
		if f <= 1 {
			f = 2
		}
		next := time.Duration(float64(b.cur) * f)
		if next < b.cur { // overflow
			next = b.Max
		}
		b.cur = next
	}
	if b.cur > b.Max {
		b.cur = b.Max
	}
	return b.cur
}

// Current is the last delay Next returned (0 after Reset).
func (b *Backoff) Current() time.Duration { return b.cur }

// Reset starts again from Min (after a success).
func (b *Backoff) Reset() { b.cur = 0 }

// Wait sleeps for Next(), or until ctx ends (its error).
func (b *Backoff) Wait(ctx context.Context) error {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
