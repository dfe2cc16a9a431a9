package ab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/backoff"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/metrics"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/rollup"
)

// Deriver is the shadow deriver as the shadow runner uses it.
type Deriver interface {
	Reset(ctx context.Context, req sdkderiver.ResetRequest) error
	AddL1Block(ctx context.Context, block *eth.L1BlockData) error
	Step(ctx context.Context, parent eth.L2BlockRef) (sdkderiver.StepResult, error)
	PayloadInvalid(ctx context.Context, attrs *sdkderiver.DerivedAttributes) error
}

// L1 reads L1 block data when the shadow catches up after a resync.
type L1 interface {
	BlockData(ctx context.Context, req l1source.BlockDataRequest) (*eth.L1BlockData, error)
}

// L2 reads the primary's chain when the shadow catches up after a resync.
type L2 interface {
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
}

// Sink keeps divergences (the bounded on-disk store).
type Sink interface {
	Put(d Divergence) error
}

// ShadowConfig configures a Shadow.
type ShadowConfig struct {
	Rollup *rollup.Config
	Shadow Deriver
	L1     L1
	L2     L2
	// Heads returns the primary's heads; it is called off the loop.
	Heads func() heads.Heads
	// ResetAt is the reset that restarts derivation at the safe head of h
	// (derive.ResetAt); a resync uses it.
	ResetAt func(ctx context.Context, h heads.Heads) (sdkderiver.ResetRequest, error)
	// Store keeps divergences; Report, when set, gets them as JSON lines.
	Store  Sink
	Report io.Writer
	// Primary and Name name the two derivers ("name version").
	Primary, Name string
	// MaxLag is how many L2 blocks the shadow may fall behind the primary
	// before it is dropped and resynced (default 1000).
	MaxLag uint64
	// CallTimeout bounds one call to the shadow: a longer call is a stall
	// (default 10s).
	CallTimeout time.Duration
	// Restart, when set, ends a stalled shadow (a plugin process: its host
	// restarts it and Restarted follows); it reports whether it could.
	Restart func() bool
	Log     hclog.Logger
	Metrics *metrics.Metrics
}

// Status is what opal_abStatus reports.
type Status struct {
	Primary string `json:"primary"`
	Shadow  string `json:"shadow"`
	// State: "waiting" (for the primary's first reset), "following" (the
	// shadow is fed as the primary is), "catching_up" (after a resync, on
	// the primary's chain without comparing), "resyncing" (dropped, to be
	// reset at the primary's safe head).
	State string `json:"state"`
	// ShadowHead is the L2 block the shadow derives on next.
	ShadowHead uint64 `json:"shadow_head"`
	// Lag is how many primary blocks wait for the shadow.
	Lag      uint64 `json:"lag"`
	Compared uint64 `json:"compared"`
	Diverged uint64 `json:"diverged"`
	FirstL2  uint64 `json:"first_l2"`
	LastL2   uint64 `json:"last_l2"`
	// LastDivergence is the last diverging L2 block, if any.
	LastDivergence *uint64 `json:"last_divergence,omitempty"`
	Resyncs        uint64  `json:"resyncs"`
	LastError      string  `json:"last_error,omitempty"`
}

type eventKind int

const (
	evReset eventKind = iota
	evFed
	evDerived
	evInvalid
)

type event struct {
	kind         eventKind
	req          sdkderiver.ResetRequest
	block        *eth.L1BlockData
	parent, next eth.L2BlockRef
	da           *sdkderiver.DerivedAttributes
}

// queued is a block the primary derived that the shadow has not yet
// compared.
type queued struct {
	parent, next eth.L2BlockRef
	da           *sdkderiver.DerivedAttributes
}

// eventBuffer bounds the events between the loop and the shadow's
// goroutine; when it is full the shadow has fallen behind and is resynced.
const eventBuffer = 4096

// stepsPerRound bounds the shadow's work between looks at new events.
const stepsPerRound = 64

// Shadow runs a second deriver next to the primary: it implements
// derive.Observer, so it is told every input the primary's deriver gets
// (resets, L1 blocks, in order) and every block the primary derives, and
// on its own goroutine it gives the shadow the same inputs, steps it on the
// primary's chain and compares what both derive for each L2 block. The
// hooks never block the loop: when the shadow falls behind, fails, stalls
// or restarts, it is dropped and resynced to the primary's safe head.
type Shadow struct {
	c       ShadowConfig
	log     hclog.Logger
	events  chan event
	wake    chan struct{}
	overrun atomic.Bool
	restart atomic.Bool
	// primaryL1 is the last L1 block the primary was fed, set by the hooks
	// themselves so that it holds even when events were lost: a resync
	// reads L1 up to it and never beyond.
	primaryL1 atomic.Uint64

	mu     sync.Mutex
	status Status

	cancel context.CancelFunc
	done   chan struct{}

	// Worker state: the shadow's goroutine only.
	synced     bool // a reset (the primary's or a resync) is in effect
	needResync bool
	resyncAt   time.Time
	retry      backoff.Backoff
	cur        eth.L2BlockRef                // the parent the shadow steps on next
	held       *sdkderiver.DerivedAttributes // the shadow's attributes on cur, not yet compared
	items      []queued
	fed        []*eth.L1BlockData
	nextL1     uint64
	lastL1     common.Hash // hash of the last L1 block given to the shadow
	catchupTo  uint64      // after a resync: follow the primary's chain up to here
	stalls     int         // calls that timed out since the last comparison
}

// stallsBeforeRestart is how many calls may time out with no comparison
// between them before a shadow that can be restarted is: one slow call is
// not yet a hung plugin.
const stallsBeforeRestart = 2

// NewShadow returns a shadow runner; Start starts its goroutine.
func NewShadow(c ShadowConfig) *Shadow {
	if c.Log == nil {
		c.Log = hclog.NewNullLogger()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New()
	}
	if c.MaxLag == 0 {
		c.MaxLag = 1000
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = 10 * time.Second
	}
	return &Shadow{
		c: c, log: c.Log, events: make(chan event, eventBuffer), wake: make(chan struct{}, 1),
		status: Status{Primary: c.Primary, Shadow: c.Name, State: "waiting"},
		retry:  backoff.Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second},
		done:   make(chan struct{}),
	}
}

// Start runs the shadow until Stop. A report gets its run line first.
func (s *Shadow) Start() {
	s.writeReport(Run{Kind: KindRun, Primary: s.c.Primary, Shadow: s.c.Name})
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(ctx)
}

// Stop ends the goroutine and writes the final counts to the report.
func (s *Shadow) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	st := s.Status()
	s.writeReport(Run{Kind: KindRun, Primary: st.Primary, Shadow: st.Shadow, FirstL2: st.FirstL2, LastL2: st.LastL2,
		Compared: st.Compared, Diverged: st.Diverged})
}

// Status is a snapshot of the shadow's state (any goroutine).
func (s *Shadow) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	if st.LastDivergence != nil {
		v := *st.LastDivergence
		st.LastDivergence = &v
	}
	return st
}

// The derive.Observer hooks: called on the loop, they never block.

func (s *Shadow) Reset(req sdkderiver.ResetRequest) {
	s.primaryL1.Store(max(req.L1Start.Number, 1) - 1)
	s.post(event{kind: evReset, req: req})
}

func (s *Shadow) Fed(block *eth.L1BlockData) {
	s.primaryL1.Store(block.Header.Number.Uint64())
	s.post(event{kind: evFed, block: block})
}

func (s *Shadow) Derived(parent eth.L2BlockRef, da *sdkderiver.DerivedAttributes, next eth.L2BlockRef) {
	s.post(event{kind: evDerived, parent: parent, da: da, next: next})
}
func (s *Shadow) Invalid(parent eth.L2BlockRef, da *sdkderiver.DerivedAttributes) {
	s.post(event{kind: evInvalid, parent: parent, da: da})
}

// Restarted tells the shadow its plugin process came back with fresh
// state: it is resynced.
func (s *Shadow) Restarted() {
	s.restart.Store(true)
	s.poke()
}

func (s *Shadow) post(ev event) {
	select {
	case s.events <- ev:
	default:
		s.overrun.Store(true)
		s.poke()
	}
}

func (s *Shadow) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Shadow) run(ctx context.Context) {
	defer close(s.done)
	idle := false
	for {
		if idle {
			var timer *time.Timer
			var expired <-chan time.Time
			if s.needResync {
				timer = time.NewTimer(time.Until(s.resyncAt))
				expired = timer.C
			}
			select {
			case <-ctx.Done():
				return
			case ev := <-s.events:
				s.handle(ctx, ev)
			case <-s.wake:
			case <-expired:
			}
			if timer != nil {
				timer.Stop()
			}
		}
		if !s.drain(ctx) {
			return
		}
		if s.overrun.Swap(false) {
			drainAll(s.events)
			// Whatever was lost, the primary's heads are a sound place to
			// start again from.
			s.synced = true
			s.desync(fmt.Errorf("fell behind: more than %d events queued", eventBuffer))
		}
		if s.restart.Swap(false) {
			s.retry.Reset()
			s.desync(errors.New("the shadow deriver restarted"))
			s.resyncAt = time.Now()
		}
		if s.needResync && !time.Now().Before(s.resyncAt) {
			if err := s.resync(ctx); err != nil {
				s.desync(fmt.Errorf("resync: %w", err))
			}
		}
		idle = !s.work(ctx)
		s.publish()
	}
}

// drainAll empties a channel of queued events (they are stale after an
// overrun).
func drainAll(ch chan event) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// drain handles the queued events; false when the context ended.
func (s *Shadow) drain(ctx context.Context) bool {
	for i := 0; i < eventBuffer; i++ {
		select {
		case <-ctx.Done():
			return false
		case ev := <-s.events:
			s.handle(ctx, ev)
		default:
			return true
		}
	}
	return ctx.Err() == nil
}

func (s *Shadow) handle(ctx context.Context, ev event) {
	switch ev.kind {
	case evReset:
		// The primary started over: so does the shadow, on the same reset.
		s.synced, s.needResync, s.held, s.items, s.fed, s.catchupTo = true, false, nil, nil, nil, 0
		if err := s.reset(ctx, ev.req); err != nil {
			s.desync(fmt.Errorf("reset: %w", err))
		}
	case evFed:
		if !s.synced || s.needResync {
			return // a resync reads L1 itself
		}
		if uint64(len(s.fed)) >= s.c.MaxLag {
			// Keep memory bounded: the oldest blocks are read from L1
			// again when the shadow gets to them.
			s.fed = append(s.fed[:0], s.fed[len(s.fed)/2:]...)
		}
		s.fed = append(s.fed, ev.block)
	case evDerived:
		if !s.synced {
			return
		}
		if uint64(len(s.items)) >= s.c.MaxLag {
			s.items = nil
			s.desync(fmt.Errorf("fell behind the primary by more than %d L2 blocks", s.c.MaxLag))
			return
		}
		s.items = append(s.items, queued{parent: ev.parent, next: ev.next, da: ev.da})
	case evInvalid:
		// The engine rejected the primary's attributes on parent: tell the
		// shadow about its own, if it derived them.
		if s.synced && !s.needResync && s.held != nil && s.cur.Number == ev.parent.Number {
			held := s.held
			s.held = nil
			if err := s.call(ctx, func(ctx context.Context) error { return s.c.Shadow.PayloadInvalid(ctx, held) }); err != nil {
				s.desync(fmt.Errorf("payload invalid: %w", err))
			}
		}
	}
}

// reset resets the shadow deriver and positions its inputs at req.
func (s *Shadow) reset(ctx context.Context, req sdkderiver.ResetRequest) error {
	if err := s.call(ctx, func(ctx context.Context) error { return s.c.Shadow.Reset(ctx, req) }); err != nil {
		return err
	}
	s.cur, s.held = req.SafeHead, nil
	s.nextL1, s.lastL1 = req.L1Start.Number, req.L1Start.ParentHash
	if req.L1Start.Number == 0 {
		s.lastL1 = common.Hash{}
	}
	return nil
}

// desync drops the shadow's state; it is resynced after a growing delay.
func (s *Shadow) desync(err error) {
	if !s.synced {
		return
	}
	if !s.needResync {
		s.log.Warn("A/B shadow deriver dropped; it will be resynced to the primary's safe head", "shadow", s.c.Name, "err", err)
	}
	s.needResync, s.held, s.fed = true, nil, nil
	s.resyncAt = time.Now().Add(s.retry.Next())
	s.c.Metrics.ABResyncs.Inc()
	s.mu.Lock()
	s.status.Resyncs++
	s.status.LastError = err.Error()
	s.mu.Unlock()
}

// resync resets the shadow at the primary's safe head; it then catches up
// on the primary's chain and L1 until it meets the primary's blocks.
func (s *Shadow) resync(ctx context.Context) error {
	h := s.c.Heads()
	at := heads.At(h.Safe)
	at.Finalized = h.Finalized
	var req sdkderiver.ResetRequest
	err := s.call(ctx, func(ctx context.Context) (err error) { req, err = s.c.ResetAt(ctx, at); return err })
	if err != nil {
		return err
	}
	if err := s.reset(ctx, req); err != nil {
		return err
	}
	s.needResync, s.fed, s.catchupTo = false, nil, h.PendingSafe.Number
	s.log.Info("A/B shadow deriver resynced", "shadow", s.c.Name, "safe", req.SafeHead, "l1_start", req.L1Start.ID(), "catch_up_to", s.catchupTo)
	return nil
}

// work steps the shadow; false when it has to wait for the primary.
func (s *Shadow) work(ctx context.Context) bool {
	if !s.synced || s.needResync {
		return false
	}
	for i := 0; i < stepsPerRound; i++ {
		for len(s.items) > 0 && s.items[0].parent.Number < s.cur.Number {
			s.items = s.items[1:] // before the shadow's start (a resync)
		}
		if s.held != nil {
			if len(s.items) > 0 && s.items[0].parent.Number == s.cur.Number {
				it := s.items[0]
				s.items = s.items[1:]
				if it.parent.Hash != s.cur.Hash {
					s.desync(fmt.Errorf("the shadow derived on %s, the primary on %s", s.cur, it.parent))
					return false
				}
				s.compare(it, s.held)
				s.held, s.cur = nil, it.next
				continue
			}
			if s.cur.Number < s.catchupTo {
				var next eth.L2BlockRef
				err := s.call(ctx, func(ctx context.Context) (err error) {
					next, err = s.c.L2.L2BlockRefByNumber(ctx, s.cur.Number+1)
					return err
				})
				if err == nil && next.ParentHash != s.cur.Hash {
					err = fmt.Errorf("L2 block %s does not build on %s", next, s.cur)
				}
				if err != nil {
					s.desync(fmt.Errorf("catch up: %w", err))
					return false
				}
				s.held, s.cur = nil, next
				continue
			}
			return false // the primary has not derived this block yet
		}
		var res sdkderiver.StepResult
		cur := s.cur
		if err := s.call(ctx, func(ctx context.Context) (err error) { res, err = s.c.Shadow.Step(ctx, cur); return err }); err != nil {
			s.desync(fmt.Errorf("step: %w", err))
			return false
		}
		switch res.Outcome {
		case sdkderiver.Attributes:
			if res.Attributes == nil || res.Attributes.Attributes == nil {
				s.desync(errors.New("step: attributes outcome without attributes"))
				return false
			}
			if res.Attributes.Parent != cur {
				s.desync(fmt.Errorf("step: attributes for parent %s, asked for %s", res.Attributes.Parent, cur))
				return false
			}
			s.held = res.Attributes
		case sdkderiver.NeedL1:
			fed, err := s.feed(ctx)
			if err != nil {
				s.desync(fmt.Errorf("feed L1: %w", err))
				return false
			}
			if !fed {
				return false
			}
		}
	}
	return true
}

// feed gives the shadow its next L1 block: the one the primary was fed,
// or after a resync one read from L1 (never beyond what the primary read).
func (s *Shadow) feed(ctx context.Context) (bool, error) {
	for len(s.fed) > 0 && s.fed[0].Header.Number.Uint64() < s.nextL1 {
		s.fed = s.fed[1:]
	}
	var data *eth.L1BlockData
	switch {
	case len(s.fed) > 0 && s.fed[0].Header.Number.Uint64() == s.nextL1:
		data, s.fed = s.fed[0], s.fed[1:]
	case s.nextL1 <= s.primaryL1.Load():
		err := s.call(ctx, func(ctx context.Context) (err error) {
			data, err = s.c.L1.BlockData(ctx, l1source.BlockDataRequest{
				Number: s.nextL1, BatchInbox: s.c.Rollup.BatchInboxAddress,
				LogAddresses: []common.Address{s.c.Rollup.DepositContractAddress, s.c.Rollup.L1SystemConfigAddress},
				Blobs:        true,
			})
			return err
		})
		if errors.Is(err, eth.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	default:
		return false, nil
	}
	ref := data.Ref()
	if s.nextL1 > 0 && ref.ParentHash != s.lastL1 {
		return false, fmt.Errorf("L1 block %s does not build on %s", ref, s.lastL1)
	}
	if err := s.call(ctx, func(ctx context.Context) error { return s.c.Shadow.AddL1Block(ctx, data) }); err != nil {
		return false, err
	}
	s.lastL1, s.nextL1 = ref.Hash, ref.Number+1
	return true, nil
}

// call runs one call to the shadow (or its inputs) under the call timeout.
func (s *Shadow) call(ctx context.Context, f func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, s.c.CallTimeout)
	defer cancel()
	err := f(cctx)
	if err != nil && cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		if s.stalls++; s.stalls >= stallsBeforeRestart && s.c.Restart != nil {
			s.stalls = 0
			if s.c.Restart() {
				s.log.Warn("A/B shadow deriver stalled: its process is restarted", "shadow", s.c.Name, "calls", stallsBeforeRestart, "timeout", s.c.CallTimeout)
			}
		}
		return fmt.Errorf("stalled for more than %v: %w", s.c.CallTimeout, err)
	}
	return err
}

// compare compares the primary's block with the shadow's attributes on the
// same parent and records a divergence.
func (s *Shadow) compare(it queued, shadow *sdkderiver.DerivedAttributes) {
	diffs := Compare(it.da.Attributes, shadow.Attributes)
	s.retry.Reset()
	s.stalls = 0
	number := it.parent.Number + 1
	if len(diffs) > 0 {
		d := NewDivergence(it.parent, it.da.Attributes.Timestamp, it.da.DerivedFrom, diffs)
		now := time.Now().UTC()
		d.Time = &now
		s.c.Metrics.ABDiverged.WithLabelValues(fieldLabel(d.Field)).Inc()
		s.log.Warn("A/B divergence", "l2_block", number, "field", d.Field, "primary", diffs[0].A, "shadow", diffs[0].B, "fields", len(diffs))
		if s.c.Store != nil {
			if err := s.c.Store.Put(d); err != nil {
				s.log.Warn("A/B divergence not stored", "l2_block", number, "err", err)
			}
		}
		s.writeReport(d)
	}
	// Counted last: whoever sees the count sees the divergence stored.
	s.c.Metrics.ABCompared.Inc()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Compared++
	if s.status.FirstL2 == 0 || number < s.status.FirstL2 {
		s.status.FirstL2 = number
	}
	s.status.LastL2 = number
	if len(diffs) > 0 {
		s.status.Diverged++
		s.status.LastDivergence = &number
	}
}

// fieldLabel is a field name as a metric label: transactions[i] counts
// under "transactions" so that the label set stays small.
func fieldLabel(f string) string {
	if i := strings.IndexByte(f, '['); i >= 0 {
		return f[:i]
	}
	return f
}

func (s *Shadow) writeReport(v any) {
	if s.c.Report == nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		_, err = s.c.Report.Write(append(b, '\n'))
	}
	if err != nil {
		s.log.Warn("A/B report not written", "err", err)
	}
}

// publish updates the status others read.
func (s *Shadow) publish() {
	state := "following"
	switch {
	case !s.synced:
		state = "waiting"
	case s.needResync:
		state = "resyncing"
	case s.cur.Number < s.catchupTo:
		state = "catching_up"
	}
	var lag uint64
	if n := len(s.items); n > 0 && s.items[n-1].next.Number > s.cur.Number {
		lag = s.items[n-1].next.Number - s.cur.Number
	}
	s.c.Metrics.ABLag.Set(float64(lag))
	s.mu.Lock()
	s.status.State, s.status.ShadowHead, s.status.Lag = state, s.cur.Number, lag
	s.mu.Unlock()
}
