package l1source

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/opalnode/opal/sdk/eth"
)

// Backoff between rounds over the endpoints: short enough that a blip
// costs little, doubling so that an outage is not hammered.
const (
	backoffBase = 250 * time.Millisecond
	backoffMax  = 5 * time.Second
)

// tracked is an endpoint with health: JSON-RPC or beacon.
type tracked interface{ healthOf() *health }

func (ep *endpoint) healthOf() *health { return &ep.health }

// failover runs try on the endpoints until one succeeds. In each round the
// healthy endpoints are tried in configured order, then the demoted ones;
// an endpoint that asked to wait (Retry-After) is skipped until then.
//
// A not-found answer ends the search without further rounds once every
// endpoint in the round had its say: the block does not exist (yet) as far
// as the endpoints know, and callers polling the tip need that answer fast.
// Other failures demote the endpoint and, when worth it (see retryable),
// lead to another round after a backoff, up to retries more rounds. When
// every round failed the error is eth.ErrTemporary wrapping the last one.
func failover[E tracked](ctx context.Context, what string, eps []E, retries int, try func(context.Context, E) error) error {
	var lastErr error
	for round := 0; ; round++ {
		var notFound error
		worthRetry, tried := false, 0
		for _, ep := range inHealthOrder(eps, time.Now()) {
			tried++
			err := guarded(ctx, ep, try)
			h := ep.healthOf()
			if err == nil {
				h.succeeded()
				return nil
			}
			if cerr := ctx.Err(); cerr != nil {
				return fmt.Errorf("%s: %w", what, cerr)
			}
			if errors.Is(err, eth.ErrNotFound) {
				h.succeeded()
				notFound = err
				continue
			}
			h.failed(time.Now(), errors.Is(err, ErrBadResponse))
			lastErr = err
			worthRetry = worthRetry || retryable(err)
		}
		if notFound != nil {
			return notFound
		}
		if tried == 0 {
			worthRetry = true
			if lastErr == nil {
				lastErr = errors.New("every endpoint asked to be left alone for a while (Retry-After)")
			}
		}
		if round >= retries || !worthRetry {
			return fmt.Errorf("%w: %s: every endpoint failed (%d rounds); last error: %w", eth.ErrTemporary, what, round+1, lastErr)
		}
		wait := max(backoff(round), untilAvailable(eps, time.Now()))
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w: %s: every endpoint failed and the deadline leaves no time to retry; last error: %w", eth.ErrTemporary, what, lastErr)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}

// guarded runs try, turning a panic inside a decoder fed by a misbehaving
// endpoint into bad data rather than a crash.
func guarded[E tracked](ctx context.Context, ep E, try func(context.Context, E) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: processing the answer panicked: %v", ErrBadResponse, r)
		}
	}()
	return try(ctx, ep)
}

// inHealthOrder returns the endpoints to try now: healthy ones in
// configured order, then demoted ones, soonest restored first. Endpoints
// that asked to wait are left out.
func inHealthOrder[E tracked](eps []E, now time.Time) []E {
	type ranked struct {
		ep      E
		demoted bool
		until   time.Time
		pos     int
	}
	rs := make([]ranked, 0, len(eps))
	for i, ep := range eps {
		demoted, until, ra := ep.healthOf().state(now)
		if now.Before(ra) {
			continue
		}
		rs = append(rs, ranked{ep, demoted, until, i})
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		switch {
		case a.demoted != b.demoted:
			if a.demoted {
				return 1
			}
			return -1
		case a.demoted && !a.until.Equal(b.until):
			return a.until.Compare(b.until)
		}
		return a.pos - b.pos
	})
	out := make([]E, len(rs))
	for i, r := range rs {
		out[i] = r.ep
	}
	return out
}

// untilAvailable is how long until some endpoint may be called again: 0
// when one may be called now.
func untilAvailable[E tracked](eps []E, now time.Time) time.Duration {
	var wait time.Duration = -1
	for _, ep := range eps {
		_, _, ra := ep.healthOf().state(now)
		d := max(ra.Sub(now), 0)
		if wait < 0 || d < wait {
			wait = d
		}
	}
	return max(wait, 0)
}

// backoff is the pause after round (0-based), with ±20% jitter so that
// several nodes behind one provider do not retry in lockstep.
func backoff(round int) time.Duration {
	d := backoffMax
	if round < 10 {
		d = min(backoffBase<<round, backoffMax)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
