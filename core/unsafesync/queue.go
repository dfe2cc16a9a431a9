// Package unsafesync is the unsafe payload queue: blocks from gossip (or
// admin_postUnsafePayload) are inserted in order when they extend the
// unsafe head, held while a gap is open, and the gap is asked of peers. It
// moves the unsafe head.
package unsafesync

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/eth"
)

// maxQueuedPayloads bounds the unsafe payloads held while waiting for a gap
// to be filled.
const maxQueuedPayloads = 1024

// reaskAfter is how long a gap may stay open after it was asked for before
// it is asked for again (the answer was lost, or the peers that had it
// left, or the p2p plugin restarted).
const reaskAfter = 10 * time.Second

// Engine is what the queue asks of engine control.
type Engine interface {
	// Denied fails for a payload the interop message check refuses.
	Denied(ctx context.Context, p *eth.ExecutionPayload) error
	Insert(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error
	RefOf(ctx context.Context, p *eth.ExecutionPayload) (eth.L2BlockRef, error)
	Forkchoice(ctx context.Context) error
}

// Heads is the queue's access to the heads: it moves the unsafe head.
type Heads interface {
	Get() heads.Heads
	SetUnsafe(ref eth.L2BlockRef, reason string) error
}

// Peers fill gaps: blocks [start, end) arrive later as payloads.
type Peers interface {
	RequestRange(ctx context.Context, start, end uint64) error
}

// Config of the queue.
type Config struct {
	Engine Engine
	Heads  Heads
	// Peers may be nil (no p2p).
	Peers   Peers
	Log     hclog.Logger
	Metrics *metrics.Metrics
	// Now is the clock for re-asking (default time.Now).
	Now func() time.Time
}

// Queue inserts unsafe payloads that extend the unsafe head, in order, and
// asks for the missing ones. It runs on the loop goroutine.
type Queue struct {
	eng     Engine
	heads   Heads
	peers   Peers
	log     hclog.Logger
	metrics *metrics.Metrics
	queue   map[uint64][]*eth.ExecutionPayloadEnvelope
	asked   uint64    // highest number already requested
	askedAt time.Time // when it was
	now     func() time.Time
}

// New returns an empty queue.
func New(c Config) *Queue {
	if c.Log == nil {
		c.Log = hclog.NewNullLogger()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Queue{eng: c.Engine, heads: c.Heads, peers: c.Peers, log: c.Log, metrics: c.Metrics, now: c.Now}
}

// OnEvent implements loop.Handler.
func (u *Queue) OnEvent(ctx context.Context, ev loop.Event) {
	switch e := ev.(type) {
	case Payload:
		u.add(e.Envelope)
		u.drain(ctx)
	case loop.Step:
		if len(u.queue) > 0 {
			u.drain(ctx)
		}
	}
}

func (u *Queue) add(env *eth.ExecutionPayloadEnvelope) {
	p := env.ExecutionPayload
	h := u.heads.Get()
	if p.BlockNumber <= h.Safe.Number {
		u.metrics.UnsafePayloads.WithLabelValues("below_safe").Inc()
		return
	}
	if u.queue == nil {
		u.queue = map[uint64][]*eth.ExecutionPayloadEnvelope{}
	}
	for _, q := range u.queue[p.BlockNumber] {
		if q.ExecutionPayload.BlockHash == p.BlockHash {
			return
		}
	}
	if len(u.queue) >= maxQueuedPayloads {
		// Drop the furthest ones: the nearest are the ones to fill first.
		nums := u.numbers()
		delete(u.queue, nums[len(nums)-1])
		u.metrics.UnsafePayloads.WithLabelValues("dropped").Inc()
	}
	u.queue[p.BlockNumber] = append(u.queue[p.BlockNumber], env)
}

func (u *Queue) numbers() []uint64 {
	nums := make([]uint64, 0, len(u.queue))
	for n := range u.queue {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	return nums
}

// drain inserts queued payloads that extend the unsafe head.
func (u *Queue) drain(ctx context.Context) {
	for {
		h := u.heads.Get()
		for n := range u.queue {
			if n <= h.Unsafe.Number && n <= h.Safe.Number {
				delete(u.queue, n)
			}
		}
		cands := u.queue[h.Unsafe.Number+1]
		var next *eth.ExecutionPayloadEnvelope
		for _, c := range cands {
			if c.ExecutionPayload.ParentHash == h.Unsafe.Hash {
				next = c
				break
			}
		}
		if next == nil {
			u.requestGap(ctx, h.Unsafe.Number+1)
			return
		}
		delete(u.queue, h.Unsafe.Number+1)
		if err := u.eng.Denied(ctx, next.ExecutionPayload); err != nil {
			u.metrics.UnsafePayloads.WithLabelValues("denied").Inc()
			u.log.Warn("unsafe payload dropped", "block", next.ExecutionPayload.ID(), "err", err)
			return
		}
		if err := u.eng.Insert(ctx, next); err != nil {
			outcome := "error"
			if errors.Is(err, enginectl.ErrPayloadInvalid) {
				outcome = "invalid"
			}
			u.metrics.UnsafePayloads.WithLabelValues(outcome).Inc()
			u.log.Warn("unsafe payload not inserted", "block", next.ExecutionPayload.ID(), "err", err)
			return
		}
		ref, err := u.eng.RefOf(ctx, next.ExecutionPayload)
		if err != nil {
			u.log.Warn("inserted unsafe payload unreadable", "block", next.ExecutionPayload.ID(), "err", err)
			return
		}
		if err := u.heads.SetUnsafe(ref, "unsafe payload"); err != nil {
			u.log.Error("unsafe head not moved", "err", err)
			return
		}
		if err := u.eng.Forkchoice(ctx); err != nil {
			u.log.Warn("forkchoiceUpdated after unsafe payload", "err", err)
		}
		u.metrics.UnsafePayloads.WithLabelValues("inserted").Inc()
	}
}

// requestGap asks peers for the blocks between the unsafe head and the
// lowest queued payload.
func (u *Queue) requestGap(ctx context.Context, from uint64) {
	if u.peers == nil || len(u.queue) == 0 {
		return
	}
	nums := u.numbers()
	to := nums[0]
	now := u.now()
	if to <= from || to <= u.asked && now.Sub(u.askedAt) < reaskAfter {
		return
	}
	if err := u.peers.RequestRange(ctx, from, to); err != nil {
		u.log.Debug("range request failed", "from", from, "to", to, "err", err)
		return
	}
	u.log.Debug("asked peers for the unsafe gap", "from", from, "to", to)
	u.asked, u.askedAt = to, now
}
