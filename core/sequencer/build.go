package sequencer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
)

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
	if s.stopAt != nil && nextTime >= *s.stopAt {
		if !s.stopped {
			s.stopped = true
			s.log.Error("sequencer stopped: the next block is past where this opal may build", "parent", parent, "timestamp", nextTime, "err", s.stopErr)
		}
		return
	}
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
		switch err := s.gossip.Publish(ctx, env); {
		case err == nil:
			s.unpublished = false
		case errors.Is(err, eth.ErrUnsupported):
			// No signing key: say it once, not at every block.
			if !s.unpublished {
				s.log.Warn("the sequencer's blocks are not gossiped", "err", err)
			}
			s.unpublished = true
		default:
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
