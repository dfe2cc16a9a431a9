// Package loop is the core's event loop: one goroutine owns every state
// transition. Other goroutines (the L1 watcher, gossip, timers, the RPC
// server) only send typed events; handlers registered with the loop react
// to them in order. Step requests coalesce: a full request channel means a
// step is already pending.
package loop

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Event is anything the loop dispatches. The name is for logs and metrics
// only; handlers dispatch on the Go type.
type Event interface {
	String() string
}

// Step asks the handlers to make progress (derivation, mostly).
type Step struct{}

func (Step) String() string { return "step" }

// Shutdown is dispatched once when the loop stops.
type Shutdown struct{}

func (Shutdown) String() string { return "shutdown" }

// Handler reacts to events. It runs on the loop goroutine: it may change
// state freely but must not block on another event.
type Handler interface {
	OnEvent(ctx context.Context, ev Event)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ev Event)

func (f HandlerFunc) OnEvent(ctx context.Context, ev Event) { f(ctx, ev) }

// Observer is told how long each dispatch took (a metrics hook).
type Observer func(event string, d time.Duration)

// Loop dispatches events to its handlers on one goroutine.
type Loop struct {
	log      hclog.Logger
	events   chan Event
	steps    chan struct{}
	observe  Observer
	mu       sync.Mutex
	handlers []Handler
	running  bool
	// done is closed when Run has returned: from then on nothing reads the
	// queue, and Emit returns at once instead of waiting for room.
	done chan struct{}
}

// ErrStopped is returned by Emit after the loop has stopped.
var ErrStopped = errors.New("loop stopped")

// New returns a loop with room for buffer queued events.
func New(log hclog.Logger, buffer int, observe Observer) *Loop {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if observe == nil {
		observe = func(string, time.Duration) {}
	}
	return &Loop{log: log, events: make(chan Event, buffer), steps: make(chan struct{}, 1), observe: observe, done: make(chan struct{})}
}

// Register adds a handler; handlers see events in registration order.
// Register before Run.
func (l *Loop) Register(h Handler) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running {
		panic("loop: Register after Run")
	}
	l.handlers = append(l.handlers, h)
}

// RequestStep asks for a step without ever blocking. Requests made while
// one is pending coalesce into it.
func (l *Loop) RequestStep() {
	select {
	case l.steps <- struct{}{}:
	default:
	}
}

// Emit queues an event, waiting while the queue is full, until ctx is done
// or the loop has stopped (ErrStopped): it never blocks after shutdown.
func (l *Loop) Emit(ctx context.Context, ev Event) error {
	select {
	case <-l.done:
		return fmt.Errorf("emit %s: %w", ev, ErrStopped)
	default:
	}
	select {
	case l.events <- ev:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("emit %s: %w", ev, ctx.Err())
	case <-l.done:
		return fmt.Errorf("emit %s: %w", ev, ErrStopped)
	}
}

// Post queues an event without ever blocking the caller: at once when there
// is room, else from a goroutine that waits for room until the loop stops.
// For inputs that must not be lost but come from callbacks that may not
// wait (timers, the plugin host's event hook).
func (l *Loop) Post(ev Event) {
	if l.TryEmit(ev) {
		return
	}
	go func() { _ = l.Emit(context.Background(), ev) }()
}

// Done is closed when Run has returned.
func (l *Loop) Done() <-chan struct{} { return l.done }

// TryEmit queues an event if there is room; false means it was dropped
// (callers use it for best-effort inputs such as gossip).
func (l *Loop) TryEmit(ev Event) bool {
	select {
	case l.events <- ev:
		return true
	default:
		return false
	}
}

// Run dispatches events until ctx is done, then dispatches Shutdown.
// Queued events are handled before pending steps, so that what happened
// outside is seen before deciding what to do next.
func (l *Loop) Run(ctx context.Context) {
	l.mu.Lock()
	l.running = true
	handlers := append([]Handler(nil), l.handlers...)
	l.mu.Unlock()
	defer close(l.done)
	for {
		select {
		case <-ctx.Done():
			l.dispatch(context.WithoutCancel(ctx), handlers, Shutdown{})
			return
		case ev := <-l.events:
			l.dispatch(ctx, handlers, ev)
			continue
		default:
		}
		select {
		case <-ctx.Done():
			l.dispatch(context.WithoutCancel(ctx), handlers, Shutdown{})
			return
		case ev := <-l.events:
			l.dispatch(ctx, handlers, ev)
		case <-l.steps:
			l.dispatch(ctx, handlers, Step{})
		}
	}
}

func (l *Loop) dispatch(ctx context.Context, handlers []Handler, ev Event) {
	start := time.Now()
	for _, h := range handlers {
		h.OnEvent(ctx, ev)
	}
	l.observe(ev.String(), time.Since(start))
}
