package derive

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// syncStart finds where derivation restarts (op-node's FindL2Heads, in a
// simpler form): the heads whose L1 origins are still canonical, and the L1
// block a channel timeout before the safe head's origin, so that channels
// opened before it are read again.
type syncStart struct {
	cfg   *rollup.Config
	l1    L1
	l2    L2
	heads interface{ Get() heads.Heads }
	log   hclog.Logger
	// onReorg is told the L1 number below which derived data is still good.
	onReorg func(l1Number uint64)
}

type startPoint struct {
	heads heads.Heads
	req   sdkderiver.ResetRequest
}

// originState is what L1 says of an L2 block's L1 origin.
type originState int

const (
	originCanonical originState = iota
	// originAhead: L1 has no block at the origin's number yet (the L1 view
	// is behind the L2 chain), so the origin may still be canonical.
	originAhead
	// originForked: L1 has another block at that number.
	originForked
)

func (s *syncStart) origin(ctx context.Context, ref eth.L2BlockRef) (originState, error) {
	l1, err := s.l1.BlockRefByNumber(ctx, ref.L1Origin.Number)
	switch {
	case errors.Is(err, eth.ErrNotFound):
		return originAhead, nil
	case err != nil:
		return 0, err
	case l1.Hash == ref.L1Origin.Hash:
		return originCanonical, nil
	default:
		return originForked, nil
	}
}

// walkLimit bounds a walk as op-node does: a reorg deeper than a few
// sequencing windows of L2 blocks is not something to resolve automatically.
func (s *syncStart) walkLimit() uint64 {
	return s.cfg.SeqWindowSize * rollup.MaxReorgSeqWindows * 12 / s.cfg.BlockTime
}

// walkBack returns the highest block at or below ref whose origin is
// canonical, never going below floor; forked says it passed a block whose
// origin is on another L1 branch (an L1 reorg), not merely ahead of L1.
func (s *syncStart) walkBack(ctx context.Context, ref eth.L2BlockRef, floor eth.L2BlockRef) (_ eth.L2BlockRef, forked bool, _ error) {
	limit := s.walkLimit()
	for steps := uint64(0); ; steps++ {
		st, err := s.origin(ctx, ref)
		if err != nil {
			return eth.L2BlockRef{}, false, err
		}
		if st == originCanonical {
			return ref, forked, nil
		}
		forked = forked || st == originForked
		if ref.Number <= floor.Number {
			return eth.L2BlockRef{}, false, fmt.Errorf("L1 origin %s of block %s is not canonical, and it is at or below the finalized head %s: %w",
				ref.L1Origin, ref, floor, eth.ErrCritical)
		}
		if steps > limit {
			return eth.L2BlockRef{}, false, fmt.Errorf("reorg deeper than %d L2 blocks at %s: %w", limit, ref, eth.ErrCritical)
		}
		ref, err = s.l2.L2BlockRefByHash(ctx, ref.ParentHash)
		if err != nil {
			return eth.L2BlockRef{}, false, fmt.Errorf("walk back to %s: %w", ref.ParentHash, err)
		}
	}
}

// unsafeHead is the unsafe head sync start keeps, walking down from
// unsafe to floor (whose origin is canonical): blocks whose L1 origin is
// ahead of the L1 view are kept, as op-node's FindL2Heads keeps them
// ("plausible"), and only a block whose origin L1 contradicts drops it
// and everything above it.
func (s *syncStart) unsafeHead(ctx context.Context, unsafe, floor eth.L2BlockRef) (eth.L2BlockRef, error) {
	keep := unsafe
	limit := s.walkLimit()
	for ref, steps := unsafe, uint64(0); ref.Number > floor.Number; steps++ {
		st, err := s.origin(ctx, ref)
		if err != nil {
			return eth.L2BlockRef{}, err
		}
		if st == originCanonical {
			return keep, nil // the chain below builds on canonical L1
		}
		if steps > limit {
			return eth.L2BlockRef{}, fmt.Errorf("reorg deeper than %d L2 blocks at %s: %w", limit, ref, eth.ErrCritical)
		}
		parent, err := s.l2.L2BlockRefByHash(ctx, ref.ParentHash)
		if err != nil {
			return eth.L2BlockRef{}, fmt.Errorf("walk back to %s: %w", ref.ParentHash, err)
		}
		if st == originForked {
			keep = parent
		}
		ref = parent
	}
	return keep, nil
}

func (s *syncStart) find(ctx context.Context) (startPoint, error) {
	h := s.heads.Get()
	safe, forked, err := s.walkBack(ctx, h.Safe, h.Finalized)
	if err != nil {
		return startPoint{}, err
	}
	unsafe := h.Unsafe
	if safe != h.Safe && forked {
		s.log.Warn("L1 reorg below the safe head: safe head walked back", "from", h.Safe, "to", safe)
		unsafe = safe
		if s.onReorg != nil {
			s.onReorg(safe.L1Origin.Number)
		}
	} else {
		if safe != h.Safe {
			s.log.Info("the safe head's L1 origin is ahead of the L1 view: derivation restarts below it", "safe", h.Safe, "from", safe)
		}
		if unsafe, err = s.unsafeHead(ctx, h.Unsafe, safe); err != nil {
			return startPoint{}, err
		}
	}
	// The L2 block whose origin is a channel timeout before the safe head's:
	// derivation re-reads L1 from its origin, with its system config.
	originTime := uint64(0)
	if o, err := s.l1.BlockRefByNumber(ctx, safe.L1Origin.Number); err == nil {
		originTime = o.Time
	}
	back := s.cfg.ChannelTimeoutAt(originTime)
	target := s.cfg.Genesis.L1.Number
	if safe.L1Origin.Number > target+back {
		target = safe.L1Origin.Number - back
	}
	base, err := s.lastWithOriginAtMost(ctx, safe, target)
	if err != nil {
		return startPoint{}, err
	}
	l1Start, err := s.l1.BlockRefByHash(ctx, base.L1Origin.Hash)
	if err != nil {
		return startPoint{}, fmt.Errorf("L1 start block %s: %w", base.L1Origin, err)
	}
	baseCfg, err := s.systemConfig(ctx, base)
	if err != nil {
		return startPoint{}, err
	}
	safeCfg, err := s.systemConfig(ctx, safe)
	if err != nil {
		return startPoint{}, err
	}
	next := h
	next.Unsafe, next.CrossUnsafe = unsafe, unsafe
	next.PendingSafe, next.LocalSafe, next.Safe = safe, safe, safe
	if next.Finalized.Number > safe.Number {
		next.Finalized = safe
	}
	return startPoint{
		heads: next,
		req:   sdkderiver.ResetRequest{SafeHead: safe, SystemConfig: safeCfg, L1Start: l1Start, L1SystemConfig: baseCfg},
	}, nil
}

// fixedHeads are heads that sync start reads and never resets.
type fixedHeads heads.Heads

func (f fixedHeads) Get() heads.Heads                { return heads.Heads(f) }
func (f fixedHeads) Reset(heads.Heads, string) error { return errors.New("fixed heads are read-only") }

// ResetAt is the reset that restarts derivation at the safe head of h, as
// sync start finds it, without moving any head or touching the safe-head
// index: a shadow deriver (A/B) resyncs to the primary's safe head with it.
func ResetAt(ctx context.Context, cfg *rollup.Config, l1 L1, l2 L2, h heads.Heads) (sdkderiver.ResetRequest, error) {
	s := &syncStart{cfg: cfg, l1: l1, l2: l2, heads: fixedHeads(h), log: hclog.NewNullLogger()}
	start, err := s.find(ctx)
	if err != nil {
		return sdkderiver.ResetRequest{}, err
	}
	return start.req, nil
}

func (s *syncStart) systemConfig(ctx context.Context, ref eth.L2BlockRef) (eth.SystemConfig, error) {
	if ref.Hash == s.cfg.Genesis.L2.Hash {
		return s.cfg.Genesis.SystemConfig, nil
	}
	c, err := s.l2.SystemConfigByL2Hash(ctx, ref.Hash)
	if err != nil {
		return eth.SystemConfig{}, fmt.Errorf("system config at %s: %w", ref, err)
	}
	return c, nil
}

// lastWithOriginAtMost binary-searches the canonical chain below safe for
// the highest block whose L1 origin number is at most target (origins never
// decrease along the chain).
func (s *syncStart) lastWithOriginAtMost(ctx context.Context, safe eth.L2BlockRef, target uint64) (eth.L2BlockRef, error) {
	if safe.L1Origin.Number <= target {
		return safe, nil
	}
	lo, hi := s.cfg.Genesis.L2.Number, safe.Number // invariant: origin(lo) <= target < origin(hi)
	best, err := s.l2.L2BlockRefByNumber(ctx, lo)
	if err != nil {
		return eth.L2BlockRef{}, fmt.Errorf("L2 genesis: %w", err)
	}
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		ref, err := s.l2.L2BlockRefByNumber(ctx, mid)
		if err != nil {
			return eth.L2BlockRef{}, fmt.Errorf("L2 block %d: %w", mid, err)
		}
		if ref.L1Origin.Number <= target {
			lo, best = mid, ref
		} else {
			hi = mid
		}
	}
	return best, nil
}
