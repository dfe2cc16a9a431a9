// Package sequencer builds new L2 blocks on slot time when the node is the
// sequencer: it asks the origin selector for each block's L1 origin (and
// checks the answer), has the deriver build the attributes, starts the
// engine's build one block time before the slot and seals at the slot. It
// moves the unsafe head.
package sequencer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/backoff"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

const flagSequencerActive = "sequencer_active"

// Sequencer builds blocks. It runs on the loop goroutine, except Timings.
type Sequencer struct {
	cfg      *rollup.Config
	selector Selector
	attrs    Attributes
	eng      Builder
	l2       L2
	l1       L1
	view     Labels
	heads    Heads
	store    Flags
	gossip   Publisher
	// unpublished: the last publish was refused as unsupported (logged once).
	unpublished bool
	// stopAt: no block at or past it (stopErr says why); stopped once
	// reached (logged once).
	stopAt     *uint64
	stopErr    error
	stopped    bool
	lp         Poster
	clock      Clock
	log        hclog.Logger
	metrics    *metrics.Metrics
	maxSafeLag uint64
	recover    bool
	sealMargin time.Duration
	retry      backoff.Backoff

	active bool
	job    *buildJob
	// depositsOnly: the last build was invalid; build the next without the
	// tx pool (only what L1 forces), as op-node does.
	depositsOnly bool
	jobSeq       uint64
	pending      bool // a tick is scheduled

	// caches that keep per-block work off the L1 and engine
	originData *eth.L1BlockData
	sysCfgFor  common.Hash
	sysCfg     eth.SystemConfig

	timingsMu sync.Mutex
	timings   []BuildTiming
}

// New returns a stopped sequencer; Init decides whether it runs.
func New(c Config) *Sequencer {
	if c.Clock == nil {
		c.Clock = wallClock{}
	}
	if c.Log == nil {
		c.Log = hclog.NewNullLogger()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New()
	}
	return &Sequencer{cfg: c.Rollup, selector: c.Selector, attrs: c.Attributes, eng: c.Builder, l2: c.L2, l1: c.L1,
		view: c.Labels, heads: c.Heads, store: c.Flags, gossip: c.Publisher, lp: c.Loop, clock: c.Clock, log: c.Log,
		metrics: c.Metrics, maxSafeLag: c.MaxSafeLag, recover: c.Recover, sealMargin: c.SealMargin, stopAt: c.StopAt, stopErr: c.StopErr,
		retry: backoff.Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second}}
}

// OnEvent implements loop.Handler.
func (s *Sequencer) OnEvent(ctx context.Context, ev loop.Event) {
	switch e := ev.(type) {
	case Tick:
		s.pending = false
		s.startBuild(ctx)
	case Seal:
		if s.job != nil && s.job.seq == e.Seq {
			s.seal(ctx)
		}
	case loop.Shutdown:
		s.job = nil
	}
}

// scheduleTick asks for a build start after d (at most one pending).
func (s *Sequencer) scheduleTick(d time.Duration) {
	if s.pending {
		return
	}
	s.pending = true
	s.clock.AfterFunc(d, func() { s.lp.Post(Tick{}) })
}

func slotTime(t uint64) time.Time { return time.Unix(int64(t), 0) }

func (s *Sequencer) until(t time.Time) time.Duration { return t.Sub(s.clock.Now()) }

// Init restores whether the sequencer runs, from the store when a previous
// run left a record (so a restart never double-sequences), else from config.
func (s *Sequencer) Init(enabled, stopped bool) error {
	v, err := s.store.Flag(flagSequencerActive)
	if err != nil {
		return err
	}
	s.active = enabled && !stopped
	if v != nil {
		s.active = enabled && string(v) == "1"
	}
	if s.active {
		s.scheduleTick(0)
	}
	s.log.Info("sequencer", "enabled", enabled, "active", s.active)
	return nil
}

// Active reports whether the sequencer runs.
func (s *Sequencer) Active() bool { return s.active }

func (s *Sequencer) persistActive() error {
	v := "0"
	if s.active {
		v = "1"
	}
	return s.store.SetFlag(flagSequencerActive, []byte(v))
}

// Start starts sequencing on unsafeHead, which must be the unsafe head
// (admin_startSequencer).
func (s *Sequencer) Start(_ context.Context, unsafeHead common.Hash) error {
	if s.active {
		return errors.New("sequencer already running")
	}
	if h := s.heads.Get().Unsafe; h.Hash != unsafeHead {
		return fmt.Errorf("block hash %s does not match the unsafe head %s", unsafeHead, h)
	}
	s.active = true
	if err := s.persistActive(); err != nil {
		s.active = false
		return err
	}
	s.log.Info("sequencer started", "unsafe", s.heads.Get().Unsafe)
	s.scheduleTick(0)
	return nil
}

// Stop stops sequencing and returns the unsafe head (admin_stopSequencer).
func (s *Sequencer) Stop() (common.Hash, error) {
	if !s.active {
		return common.Hash{}, errors.New("sequencer not running")
	}
	s.active = false
	s.job = nil
	if err := s.persistActive(); err != nil {
		return common.Hash{}, err
	}
	h := s.heads.Get().Unsafe
	s.log.Info("sequencer stopped", "unsafe", h)
	return h.Hash, nil
}
