package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/p2p"
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

// sequencer builds new L2 blocks when the node is the sequencer.
type sequencer struct {
	cfg        *rollup.Config
	eng        *enginectl.Controller
	heads      *heads.State
	store      *heads.Store
	view       *l1view.View
	l1         func() l1source.Source
	deriver    func() sdkderiver.Deriver
	selector   func() originselector.Selector
	gossip     func() p2p.Gossip // nil without p2p
	lp         *loop.Loop
	log        hclog.Logger
	metrics    *metrics.Metrics
	maxSafeLag uint64
	recover    bool
	sealMargin time.Duration

	active bool
	job    *buildJob
	// depositsOnly: the last build was invalid; build the next without the
	// tx pool (only what L1 forces), as op-node does.
	depositsOnly bool
	jobSeq       uint64
	retry        time.Duration
	pending      bool // a tick is scheduled

	// caches that keep per-block work off the L1 and engine
	originData *eth.L1BlockData
	sysCfgFor  common.Hash
	sysCfg     eth.SystemConfig

	timingsMu sync.Mutex
	timings   []BuildTiming
}

func (s *sequencer) OnEvent(ctx context.Context, ev loop.Event) {
	switch e := ev.(type) {
	case SequencerTick:
		s.pending = false
		s.startBuild(ctx)
	case SealBlock:
		if s.job != nil && s.job.seq == e.Seq {
			s.seal(ctx)
		}
	case loop.Shutdown:
		s.job = nil
	}
}

// scheduleTick asks for a build start after d (at most one pending).
func (s *sequencer) scheduleTick(d time.Duration) {
	if s.pending {
		return
	}
	s.pending = true
	time.AfterFunc(d, func() { _ = s.lp.Emit(context.Background(), SequencerTick{}) })
}

func slotTime(t uint64) time.Time { return time.Unix(int64(t), 0) }

// init restores whether the sequencer runs, from the store when a previous
// run left a record (so a restart never double-sequences), else from config.
func (s *sequencer) init(enabled, stopped bool) error {
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

func (s *sequencer) persistActive() error {
	v := "0"
	if s.active {
		v = "1"
	}
	return s.store.SetFlag(flagSequencerActive, []byte(v))
}

func (s *sequencer) start(_ context.Context, unsafeHead common.Hash) error {
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

func (s *sequencer) stop() (common.Hash, error) {
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
func (s *sequencer) fail(what string, err error) {
	s.job = nil
	if s.retry == 0 {
		s.retry = 50 * time.Millisecond
	} else if s.retry < 2*time.Second {
		s.retry *= 2
	}
	s.log.Warn("sequencer: "+what+" failed, retrying", "err", err, "in", s.retry)
	s.scheduleTick(s.retry)
}

// startBuild picks the origin, prepares the attributes and starts the
// engine's build of the next block.
func (s *sequencer) startBuild(ctx context.Context) {
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
	if wait := time.Until(slotTime(nextTime - s.cfg.BlockTime)); wait > 0 {
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
	res, err := s.deriver().BuildAttributes(ctx, sdkderiver.BuildRequest{
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
	delay := time.Until(slotTime(nextTime).Add(-s.sealMargin))
	if delay < 0 {
		delay = 0
	}
	time.AfterFunc(delay, func() { _ = s.lp.Emit(context.Background(), SealBlock{Seq: seq}) })
}

// onInvalid handles a built payload the engine refused: first rebuild the
// block with deposits only; if even that is invalid, reset the unsafe chain
// to the safe head so that the sequencer builds on what L1 vouches for.
func (s *sequencer) onInvalid(ctx context.Context, job *buildJob, err error) {
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
func (s *sequencer) pickOrigin(ctx context.Context, parent eth.L2BlockRef) (eth.L1BlockRef, error) {
	var current eth.L1BlockRef
	if s.originData != nil && s.originData.Header.Hash() == parent.L1Origin.Hash {
		current = s.originData.Ref()
	} else {
		var err error
		if current, err = s.l1().BlockRefByHash(ctx, parent.L1Origin.Hash); err != nil {
			return eth.L1BlockRef{}, fmt.Errorf("current origin %s: %w", parent.L1Origin, err)
		}
	}
	req := originselector.Request{UnsafeHead: parent, CurrentOrigin: current, L1Head: s.view.Head(), Recover: s.recover}
	switch {
	case s.view.Head().Number == current.Number+1:
		next := s.view.Head()
		req.NextOrigin = &next
	case s.view.Head().Number > current.Number+1:
		next, err := s.l1().BlockRefByNumber(ctx, current.Number+1)
		if err == nil {
			req.NextOrigin = &next
		} else if !isNotFound(err) {
			return eth.L1BlockRef{}, err
		}
	}
	origin, err := s.selector().NextL1Origin(ctx, req)
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
func (s *sequencer) originBlock(ctx context.Context, origin eth.L1BlockRef) (*eth.L1BlockData, error) {
	if s.originData != nil && s.originData.Header.Hash() == origin.Hash {
		return s.originData, nil
	}
	h := origin.Hash
	data, err := s.l1().BlockData(ctx, l1source.BlockDataRequest{
		Hash: &h, BatchInbox: s.cfg.BatchInboxAddress,
		LogAddresses: []common.Address{s.cfg.DepositContractAddress, s.cfg.L1SystemConfigAddress},
	})
	if err != nil {
		return nil, err
	}
	s.originData = data
	return data, nil
}

func (s *sequencer) parentSystemConfig(ctx context.Context, parent eth.L2BlockRef, engineTime *time.Duration) (eth.SystemConfig, error) {
	if s.sysCfgFor == parent.Hash {
		return s.sysCfg, nil
	}
	if parent.Hash == s.cfg.Genesis.L2.Hash {
		return s.cfg.Genesis.SystemConfig, nil
	}
	t := time.Now()
	c, err := s.engine().SystemConfigByL2Hash(ctx, parent.Hash)
	*engineTime += time.Since(t)
	if err != nil {
		return eth.SystemConfig{}, err
	}
	s.sysCfgFor, s.sysCfg = parent.Hash, c
	return c, nil
}

func (s *sequencer) engine() engine.Engine { return s.eng.Engine() }

// seal takes the built payload, inserts it, moves the unsafe head and
// publishes it; then the next build starts.
func (s *sequencer) seal(ctx context.Context) {
	job := s.job
	t0 := time.Now()
	env, err := s.eng.Engine().GetPayload(ctx, job.id, job.attrs.Timestamp)
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
		if err := s.gossip().Publish(ctx, env); err != nil {
			s.log.Warn("publishing the new block failed", "block", ref, "err", err)
		}
	}
	late := time.Since(slotTime(ref.Time))
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
	s.retry = 0
	s.scheduleTick(0)
}

const maxTimings = 4096

func (s *sequencer) recordTiming(t BuildTiming) {
	s.timingsMu.Lock()
	defer s.timingsMu.Unlock()
	s.timings = append(s.timings, t)
	if len(s.timings) > maxTimings {
		s.timings = s.timings[len(s.timings)-maxTimings:]
	}
}

// Timings returns the recorded build timings.
func (s *sequencer) Timings() []BuildTiming {
	s.timingsMu.Lock()
	defer s.timingsMu.Unlock()
	return append([]BuildTiming(nil), s.timings...)
}
