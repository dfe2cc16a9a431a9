// Package heads holds the node's L2 heads and the rules between them:
// unsafe ≥ cross-unsafe ≥ pending-safe ≥ local-safe ≥ safe ≥ finalized (by
// number), finalized never moves back, and every change is handed to the
// persister before it is visible, logged with its reason and counted.
package heads

import (
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/sdk/eth"
)

// Heads is a snapshot of every head. Before interop, cross-unsafe equals
// unsafe and safe equals local-safe.
type Heads struct {
	Unsafe      eth.L2BlockRef `json:"unsafe"`
	CrossUnsafe eth.L2BlockRef `json:"crossUnsafe"`
	PendingSafe eth.L2BlockRef `json:"pendingSafe"`
	LocalSafe   eth.L2BlockRef `json:"localSafe"`
	Safe        eth.L2BlockRef `json:"safe"`
	Finalized   eth.L2BlockRef `json:"finalized"`
}

// At returns heads that all stand at ref (a chain at genesis, or a node
// that has just been reset to one block).
func At(ref eth.L2BlockRef) Heads {
	return Heads{Unsafe: ref, CrossUnsafe: ref, PendingSafe: ref, LocalSafe: ref, Safe: ref, Finalized: ref}
}

// ErrInvariant: a change would break the order of the heads.
var ErrInvariant = errors.New("head invariant violated")

// Check returns an error naming the first broken rule.
func (h Heads) Check() error {
	order := []struct {
		name string
		ref  eth.L2BlockRef
	}{
		{"unsafe", h.Unsafe}, {"cross-unsafe", h.CrossUnsafe}, {"pending-safe", h.PendingSafe},
		{"local-safe", h.LocalSafe}, {"safe", h.Safe}, {"finalized", h.Finalized},
	}
	for i := 1; i < len(order); i++ {
		if order[i].ref.Number > order[i-1].ref.Number {
			return fmt.Errorf("%w: %s %d is above %s %d", ErrInvariant,
				order[i].name, order[i].ref.Number, order[i-1].name, order[i-1].ref.Number)
		}
	}
	return nil
}

// Persister stores heads durably; a write either fully happens or not.
type Persister interface {
	SaveHeads(h Heads) error
}

// Counter counts head changes by head and reason (a metrics hook).
type Counter func(head, reason string)

// View is read access to the heads: what every reader holds (the RPC, the
// host service, notices). A snapshot is always consistent.
type View interface {
	Get() Heads
}

// State is the single owner of the heads. Only the core's loop goroutine
// changes it; readers take snapshots through View. The writers are narrow:
// each component that owns a transition declares, in its own package, the
// one or two methods it needs (enginectl: Update; unsafesync: SetUnsafe;
// finality: SetFinalized; derive: Reset; follow: Update), and is handed the
// State as that interface, so who moves which head is visible in its
// package's interface.
type State struct {
	mu    sync.RWMutex
	heads Heads
	store Persister
	log   hclog.Logger
	count Counter
}

// New returns a State starting at h, which must satisfy the invariants.
func New(h Heads, store Persister, log hclog.Logger, count Counter) (*State, error) {
	if err := h.Check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if count == nil {
		count = func(string, string) {}
	}
	return &State{heads: h, store: store, log: log, count: count}, nil
}

var _ View = (*State)(nil)

// Get returns a snapshot.
func (s *State) Get() Heads {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.heads
}

// apply validates next, persists it, then makes it visible.
func (s *State) apply(next Heads, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.heads
	if err := next.Check(); err != nil {
		return fmt.Errorf("%s: %w", reason, err)
	}
	if next.Finalized.Number < prev.Finalized.Number {
		return fmt.Errorf("%s: %w: finalized would move back from %d to %d", reason, ErrInvariant,
			prev.Finalized.Number, next.Finalized.Number)
	}
	if next == prev {
		return nil
	}
	if s.store != nil {
		if err := s.store.SaveHeads(next); err != nil {
			return fmt.Errorf("%s: persist heads: %w", reason, err)
		}
	}
	s.heads = next
	s.logChanges(prev, next, reason)
	return nil
}

func (s *State) logChanges(prev, next Heads, reason string) {
	changed := func(name string, a, b eth.L2BlockRef, msg string) {
		if a == b {
			return
		}
		s.count(name, reason)
		level := hclog.Debug
		if msg != "" {
			level = hclog.Info
		}
		if msg == "" {
			msg = name + " head updated"
		}
		s.log.Log(level, msg, "number", b.Number, "hash", b.Hash, "l1origin", b.L1Origin, "reason", reason)
	}
	changed("unsafe", prev.Unsafe, next.Unsafe, "unsafe head updated")
	changed("cross_unsafe", prev.CrossUnsafe, next.CrossUnsafe, "")
	changed("pending_safe", prev.PendingSafe, next.PendingSafe, "")
	changed("local_safe", prev.LocalSafe, next.LocalSafe, "")
	changed("safe", prev.Safe, next.Safe, "safe head updated")
	changed("finalized", prev.Finalized, next.Finalized, "finalized head updated")
}

// SetUnsafe moves the unsafe head (and cross-unsafe with it). A new unsafe
// head below the pending-safe head is refused: safe data is never dropped
// through the unsafe path.
func (s *State) SetUnsafe(ref eth.L2BlockRef, reason string) error {
	next := s.Get()
	next.Unsafe, next.CrossUnsafe = ref, ref
	return s.apply(next, reason)
}

// SetPendingSafe records that ref was derived (consolidated or built from
// derived attributes) but its span is not complete yet.
func (s *State) SetPendingSafe(ref eth.L2BlockRef, reason string) error {
	next := s.Get()
	next.PendingSafe = ref
	return s.apply(next, reason)
}

// PromoteSafe makes ref the local-safe and safe head (and pending-safe if it
// lags). Call it only after the engine accepted ref.
func (s *State) PromoteSafe(ref eth.L2BlockRef, reason string) error {
	next := s.Get()
	if next.PendingSafe.Number < ref.Number {
		next.PendingSafe = ref
	}
	next.LocalSafe, next.Safe = ref, ref
	return s.apply(next, reason)
}

// SetFinalized moves the finalized head forward.
func (s *State) SetFinalized(ref eth.L2BlockRef, reason string) error {
	next := s.Get()
	next.Finalized = ref
	return s.apply(next, reason)
}

// Update applies several changes as one transition (one write, one
// invariant check), e.g. a derived block that moves unsafe, pending-safe and
// safe together.
func (s *State) Update(change func(h *Heads), reason string) error {
	next := s.Get()
	change(&next)
	return s.apply(next, reason)
}

// Reset replaces every head at once (startup, L1 reorg, engine reset).
// Finalized still never moves back.
func (s *State) Reset(h Heads, reason string) error {
	return s.apply(h, reason)
}
