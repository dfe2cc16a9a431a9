package l1source

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// flightGroup lets concurrent requests for the same block (a caller and
// the prefetcher, or two callers) share one fetch.
type flightGroup struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done chan struct{}
	val  *block
	err  error
}

// do runs fn once per key at a time; callers arriving meanwhile wait for
// its result. A waiter whose leader gave up (its context ended) while its
// own context is alive runs the fetch itself.
func (g *flightGroup) do(ctx context.Context, key string, fn func(context.Context) (*block, error)) (*block, error) {
	for {
		g.mu.Lock()
		if g.m == nil {
			g.m = map[string]*flight{}
		}
		if f, ok := g.m[key]; ok {
			g.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if f.err != nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				continue
			}
			return f.val, f.err
		}
		f := &flight{done: make(chan struct{})}
		g.m[key] = f
		g.mu.Unlock()

		g.run(ctx, key, f, fn)
		return f.val, f.err
	}
}

// busy reports whether a fetch for key is under way.
func (g *flightGroup) busy(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.m[key]
	return ok
}

// run calls fn for the flight and always releases its waiters, even if fn
// panics (the panic becomes the flight's error).
func (g *flightGroup) run(ctx context.Context, key string, f *flight, fn func(context.Context) (*block, error)) {
	defer func() {
		if r := recover(); r != nil {
			f.val, f.err = nil, fmt.Errorf("%w: fetching %s panicked: %v", ErrBadResponse, key, r)
		}
		g.mu.Lock()
		delete(g.m, key)
		g.mu.Unlock()
		close(f.done)
	}()
	f.val, f.err = fn(ctx)
}
