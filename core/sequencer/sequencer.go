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
	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/rollup"
)

const flagSequencerActive = "sequencer_active"

// buildJob is the block being built.
type buildJob struct {
	seq     uint64
	id      engine.PayloadID
	parent  eth.L2BlockRef
	attrs   *eth.PayloadAttributes
	origin  eth.L1BlockRef
	sysCfg  eth.SystemConfig
	own     time.Duration // opal's own time so far (everything but engine calls)
	started time.Time
}

// BuildTiming is how long one sequenced block took, split into opal's own
// work and the engine's.
type BuildTiming struct {
	Number uint64
	Own    time.Duration
	Engine time.Duration
	// Late is how long after its slot time the block was inserted (0 when
	// on time).
	Late time.Duration
}

// Selector is the origin selector plugin.
type Selector interface {
	NextL1Origin(ctx context.Context, req originselector.Request) (eth.L1BlockRef, error)
}

// Attributes builds a new block's attributes (the deriver plugin).
type Attributes interface {
	BuildAttributes(ctx context.Context, req sdkderiver.BuildRequest) (*sdkderiver.BuildResult, error)
}

// Builder is engine control as block building needs it.
type Builder interface {
	StartBuild(ctx context.Context, parent eth.L2BlockRef, attrs *eth.PayloadAttributes) (engine.PayloadID, error)
	Insert(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error
	Forkchoice(ctx context.Context) error
}

// L2 reads the engine: the built payload and a parent's system config.
type L2 interface {
	GetPayload(ctx context.Context, id engine.PayloadID, timestamp uint64) (*eth.ExecutionPayloadEnvelope, error)
	SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error)
}

// L1 is the L1 source: origins and their data.
type L1 interface {
	BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
	BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error)
	BlockData(ctx context.Context, req l1source.BlockDataRequest) (*eth.L1BlockData, error)
}

// Labels is the L1 view's head.
type Labels interface {
	Head() eth.L1BlockRef
}

// Heads is the sequencer's access to the heads: it moves unsafe forward,
// and back to safe after a deposit-only block was refused.
type Heads interface {
	Get() heads.Heads
	SetUnsafe(ref eth.L2BlockRef, reason string) error
	Update(change func(h *heads.Heads), reason string) error
}

// Flags persist whether the sequencer runs, across restarts.
type Flags interface {
	Flag(name string) ([]byte, error)
	SetFlag(name string, v []byte) error
}

// Publisher gossips a sealed block.
type Publisher interface {
	Publish(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error
}

// Poster delivers timer events to the loop without blocking.
type Poster interface {
	Post(ev loop.Event)
}

// Clock is wall time and timers (a fake in tests).
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func())
}

type wallClock struct{}

func (wallClock) Now() time.Time                      { return time.Now() }
func (wallClock) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }

// Config of the sequencer.
type Config struct {
	Rollup     *rollup.Config
	Selector   Selector
	Attributes Attributes
	Builder    Builder
	L2         L2
	L1         L1
	Labels     Labels
	Heads      Heads
	Flags      Flags
	// Publisher may be nil (no p2p).
	Publisher Publisher
	Loop      Poster
	// Clock defaults to the wall clock.
	Clock   Clock
	Log     hclog.Logger
	Metrics *metrics.Metrics
	// MaxSafeLag pauses sequencing while unsafe - safe >= it (0: never).
	MaxSafeLag uint64
	// Recover builds deposit-only blocks (what derivation would produce).
	Recover bool
	// SealMargin is how long before the slot the block is sealed.
	SealMargin time.Duration
}

// Sequencer builds blocks. It runs on the loop goroutine, except Timings.
type Sequencer struct {
	cfg        *rollup.Config
	selector   Selector
	attrs      Attributes
	eng        Builder
	l2         L2
	l1         L1
	view       Labels
	heads      Heads
	store      Flags
	gossip     Publisher
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
		metrics: c.Metrics, maxSafeLag: c.MaxSafeLag, recover: c.Recover, sealMargin: c.SealMargin,
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

// fail handles a build error: back off and retry; the loop never stalls.
func (s *Sequencer) fail(what string, err error) {
	s.job = nil
	d := s.retry.Next()
	s.log.Warn("sequencer: "+what+" failed, retrying", "err", err, "in", d)
	s.scheduleTick(d)
}

// startBuild picks the origin, prepares the attributes and starts the
// engine's build of the next block.
func (s *Sequencer) startBuild(ctx context.Context) {
	if !s.active || s.job != nil {
		return
	}
	t0 := time.Now()
	var engineTime time.Duration
	h := s.heads.Get()
	parent := h.Unsafe
	if s.maxSafeLag > 0 && parent.Number >= h.Safe.Number+s.maxSafeLag {
		s.log.Debug("sequencer paused: too far ahead of the safe head", "unsafe", parent.Number, "safe", h.Safe.Number)
		s.scheduleTick(time.Duration(s.cfg.BlockTime) * time.Second)
		return
	}
	nextTime := parent.Time + s.cfg.BlockTime
	// Start building one block time before the slot (the whole slot for
	// transactions); not earlier.
	if wait := s.until(slotTime(nextTime - s.cfg.BlockTime)); wait > 0 {
		s.scheduleTick(wait)
		return
	}
	origin, err := s.pickOrigin(ctx, parent)
	if err != nil {
		s.fail("origin selection", err)
		return
	}
	data, err := s.originBlock(ctx, origin)
	if err != nil {
		s.fail("L1 origin data", err)
		return
	}
	sysCfg, err := s.parentSystemConfig(ctx, parent, &engineTime)
	if err != nil {
		s.fail("parent system config", err)
		return
	}
	res, err := s.attrs.BuildAttributes(ctx, sdkderiver.BuildRequest{
		Parent: parent, ParentSystemConfig: sysCfg, L1Origin: data, Timestamp: nextTime,
	})
	if err != nil {
		s.fail("attributes", err)
		return
	}
	attrs := res.Attributes
	if s.recover || s.depositsOnly {
		attrs.NoTxPool = true
	}
	if s.cfg.IsLagoonActivationBlock(nextTime) {
		// The deriver closed the pool (upgrade blocks take deposits only).
		s.log.Info("sequencing Lagoon upgrade block", "timestamp", nextTime, "deposits", len(attrs.Transactions), "no_tx_pool", attrs.NoTxPool)
	}
	te := time.Now()
	id, err := s.eng.StartBuild(ctx, parent, attrs)
	engineTime += time.Since(te)
	if err != nil {
		s.fail("build start", err)
		return
	}
	s.jobSeq++
	s.job = &buildJob{seq: s.jobSeq, id: id, parent: parent, attrs: attrs, origin: origin, sysCfg: res.SystemConfig, started: t0}
	s.job.own = time.Since(t0) - engineTime
	s.metrics.SeqBuildTime.WithLabelValues("start").Observe(time.Since(t0).Seconds())
	seq := s.jobSeq
	delay := s.until(slotTime(nextTime).Add(-s.sealMargin))
	if delay < 0 {
		delay = 0
	}
	s.clock.AfterFunc(delay, func() { s.lp.Post(Seal{Seq: seq}) })
}

// onInvalid handles a built payload the engine refused: first rebuild the
// block with deposits only; if even that is invalid, reset the unsafe chain
// to the safe head so that the sequencer builds on what L1 vouches for.
func (s *Sequencer) onInvalid(ctx context.Context, job *buildJob, err error) {
	if !job.attrs.NoTxPool {
		s.log.Error("built payload invalid; rebuilding with deposits only", "parent", job.parent, "err", err)
		s.depositsOnly = true
		s.fail("insert", err)
		return
	}
	h := s.heads.Get()
	s.log.Error("deposit-only payload invalid; resetting the unsafe chain to the safe head", "safe", h.Safe, "err", err)
	if rerr := s.heads.Update(func(h *heads.Heads) { h.Unsafe, h.CrossUnsafe, h.PendingSafe = h.Safe, h.Safe, h.Safe }, "sequencer reset after invalid payload"); rerr != nil {
		s.log.Error("reset to the safe head failed", "err", rerr)
	} else if ferr := s.eng.Forkchoice(ctx); ferr != nil {
		s.log.Warn("forkchoiceUpdated after the reset", "err", ferr)
	}
	s.depositsOnly = false
	s.fail("insert", err)
}

// pickOrigin asks the origin selector, with the L1 view the core holds.
func (s *Sequencer) pickOrigin(ctx context.Context, parent eth.L2BlockRef) (eth.L1BlockRef, error) {
	var current eth.L1BlockRef
	if s.originData != nil && s.originData.Header.Hash() == parent.L1Origin.Hash {
		current = s.originData.Ref()
	} else {
		var err error
		if current, err = s.l1.BlockRefByHash(ctx, parent.L1Origin.Hash); err != nil {
			return eth.L1BlockRef{}, fmt.Errorf("current origin %s: %w", parent.L1Origin, err)
		}
	}
	req := originselector.Request{UnsafeHead: parent, CurrentOrigin: current, L1Head: s.view.Head(), Recover: s.recover}
	switch {
	case s.view.Head().Number == current.Number+1:
		next := s.view.Head()
		req.NextOrigin = &next
	case s.view.Head().Number > current.Number+1:
		next, err := s.l1.BlockRefByNumber(ctx, current.Number+1)
		if err == nil {
			req.NextOrigin = &next
		} else if !errors.Is(err, eth.ErrNotFound) {
			return eth.L1BlockRef{}, err
		}
	}
	origin, err := s.selector.NextL1Origin(ctx, req)
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	// The core checks what the plugin says: the current or the next origin,
	// never newer than the block.
	if origin != current && (req.NextOrigin == nil || origin != *req.NextOrigin) {
		return eth.L1BlockRef{}, fmt.Errorf("origin selector returned %s, neither the current %s nor the next origin", origin, current)
	}
	if origin.Time > parent.Time+s.cfg.BlockTime {
		return eth.L1BlockRef{}, fmt.Errorf("origin selector returned %s, newer than the block", origin)
	}
	return origin, nil
}

// originBlock returns the origin's data, fetched once per epoch.
func (s *Sequencer) originBlock(ctx context.Context, origin eth.L1BlockRef) (*eth.L1BlockData, error) {
	if s.originData != nil && s.originData.Header.Hash() == origin.Hash {
		return s.originData, nil
	}
	h := origin.Hash
	data, err := s.l1.BlockData(ctx, l1source.BlockDataRequest{
		Hash: &h, BatchInbox: s.cfg.BatchInboxAddress,
		LogAddresses: []common.Address{s.cfg.DepositContractAddress, s.cfg.L1SystemConfigAddress},
	})
	if err != nil {
		return nil, err
	}
	s.originData = data
	return data, nil
}

func (s *Sequencer) parentSystemConfig(ctx context.Context, parent eth.L2BlockRef, engineTime *time.Duration) (eth.SystemConfig, error) {
	if s.sysCfgFor == parent.Hash {
		return s.sysCfg, nil
	}
	if parent.Hash == s.cfg.Genesis.L2.Hash {
		return s.cfg.Genesis.SystemConfig, nil
	}
	t := time.Now()
	c, err := s.l2.SystemConfigByL2Hash(ctx, parent.Hash)
	*engineTime += time.Since(t)
	if err != nil {
		return eth.SystemConfig{}, err
	}
	s.sysCfgFor, s.sysCfg = parent.Hash, c
	return c, nil
}

// seal takes the built payload, inserts it, moves the unsafe head and
// publishes it; then the next build starts.
func (s *Sequencer) seal(ctx context.Context) {
	job := s.job
	t0 := time.Now()
	env, err := s.l2.GetPayload(ctx, job.id, job.attrs.Timestamp)
	tGot := time.Now()
	if err != nil {
		s.fail("seal", err)
		return
	}
	if err := s.eng.Insert(ctx, env); err != nil {
		if errors.Is(err, enginectl.ErrPayloadInvalid) {
			s.onInvalid(ctx, job, err)
			return
		}
		s.fail("insert", err)
		return
	}
	s.depositsOnly = false
	tIns := time.Now()
	ref := eth.L2BlockRef{
		Hash: env.ExecutionPayload.BlockHash, Number: env.ExecutionPayload.BlockNumber,
		ParentHash: env.ExecutionPayload.ParentHash, Time: env.ExecutionPayload.Timestamp,
		L1Origin: job.origin.ID(),
	}
	if job.origin.Hash == job.parent.L1Origin.Hash {
		ref.SequenceNumber = job.parent.SequenceNumber + 1
	}
	if err := s.heads.SetUnsafe(ref, "sequenced"); err != nil {
		s.fail("unsafe head", err)
		return
	}
	tf := time.Now()
	if err := s.eng.Forkchoice(ctx); err != nil {
		s.log.Warn("forkchoiceUpdated after sealing", "err", err)
	}
	tFcu := time.Now()
	s.sysCfgFor, s.sysCfg = ref.Hash, job.sysCfg
	engineTime := tGot.Sub(t0) + tIns.Sub(tGot) + tFcu.Sub(tf)
	own := job.own + time.Since(t0) - engineTime
	if s.gossip != nil {
		if err := s.gossip.Publish(ctx, env); err != nil {
			s.log.Warn("publishing the new block failed", "block", ref, "err", err)
		}
	}
	late := s.clock.Now().Sub(slotTime(ref.Time))
	if late < 0 {
		late = 0
	}
	s.recordTiming(BuildTiming{Number: ref.Number, Own: own, Engine: engineTime, Late: late})
	kind := "normal"
	if len(env.ExecutionPayload.Transactions) == len(job.attrs.Transactions) {
		kind = "forced_only"
	}
	s.metrics.SeqBlocks.WithLabelValues(kind).Inc()
	s.metrics.SeqBuildTime.WithLabelValues("seal").Observe(tGot.Sub(t0).Seconds())
	s.metrics.SeqBuildTime.WithLabelValues("insert").Observe(tFcu.Sub(tGot).Seconds())
	s.metrics.SeqDrift.Set(float64(ref.Time) - float64(job.origin.Time))
	s.metrics.SeqOriginLag.Set(float64(s.view.Head().Number) - float64(job.origin.Number))
	s.job = nil
	s.retry.Reset()
	s.scheduleTick(0)
}

const maxTimings = 4096

func (s *Sequencer) recordTiming(t BuildTiming) {
	s.timingsMu.Lock()
	defer s.timingsMu.Unlock()
	s.timings = append(s.timings, t)
	if len(s.timings) > maxTimings {
		s.timings = s.timings[len(s.timings)-maxTimings:]
	}
}

// Timings returns the recorded build timings.
func (s *Sequencer) Timings() []BuildTiming {
	s.timingsMu.Lock()
	defer s.timingsMu.Unlock()
	return append([]BuildTiming(nil), s.timings...)
}
