// Package follow is follow mode (op-node's --l2.follow.source): the node
// takes its safe and finalized heads, and its current L1, from another rollup
// node's optimism_syncStatus instead of deriving them from L1. Unsafe blocks
// still arrive the usual way (gossip, or admin_postUnsafePayload), and the
// source's heads are only taken once their L1 origins are canonical on this
// node's own L1 and the blocks are this node's own canonical blocks.
//
// It is how a standalone node serves a verified safe head on a chain with
// interop (from Lagoon): pointed at a node that checks executing messages
// across the dependency set. It is also a light node: no batch derivation.
package follow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/eth"
)

// Status is the part of the source's optimism_syncStatus that follow mode
// uses (op-node's field names).
type Status struct {
	CurrentL1 eth.L1BlockRef `json:"current_l1"`
	LocalSafe eth.L2BlockRef `json:"local_safe_l2"`
	Safe      eth.L2BlockRef `json:"safe_l2"`
	Finalized eth.L2BlockRef `json:"finalized_l2"`
}

// L1 is the node's own view of L1, against which the source's answer is
// checked.
type L1 interface {
	BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
}

// Emitter hands checked statuses to the loop without blocking.
type Emitter interface {
	TryEmit(ev loop.Event) bool
}

// Config of the source poller.
type Config struct {
	// URL is the source node's RPC endpoint.
	URL string
	// Timeout bounds one optimism_syncStatus call (op-node's
	// --l2.follow.source.rpc-timeout, default 10s).
	Timeout time.Duration
	// Interval between polls; op-node polls every two L2 block times.
	Interval time.Duration
}

// ErrInvalidStatus: the source's heads are out of order.
var ErrInvalidStatus = errors.New("follow source: invalid sync status")

// ErrNotCanonical: an L1 block the source's heads rest on is not canonical
// on this node's L1 (the two nodes see different L1 chains, or L1 reorged).
var ErrNotCanonical = errors.New("follow source: L1 block not canonical here")

// Poller asks the source for its sync status, checks it, and hands it to the
// loop. It runs on its own goroutine: the checks call L1 and must not hold
// up the loop.
type Poller struct {
	cfg    Config
	client *rpc.Client
	l1     L1
	out    Emitter
	// report is told the outcome of every poll (for logs and metrics).
	report func(st Status, err error)
}

// NewPoller connects to the source (lazily: nothing is sent yet).
func NewPoller(cfg Config, l1 L1, out Emitter, report func(Status, error)) (*Poller, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 4 * time.Second
	}
	c, err := rpc.DialOptions(context.Background(), cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("l2.follow.source: %w", err)
	}
	if report == nil {
		report = func(Status, error) {}
	}
	return &Poller{cfg: cfg, client: c, l1: l1, out: out, report: report}, nil
}

// Run polls until ctx ends: once at once, then every Interval.
func (p *Poller) Run(ctx context.Context) {
	defer p.client.Close()
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		st, err := p.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		p.report(st, err)
		if err == nil {
			p.out.TryEmit(Update{Status: st})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll fetches the source's status and checks it: local-safe ≥ safe ≥
// finalized, and the L1 origin of each of them, and the current L1, are
// canonical on this node's L1 (op-node's followUpstream checks).
func (p *Poller) Poll(ctx context.Context) (Status, error) {
	cctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	var st Status
	if err := p.client.CallContext(cctx, &st, "optimism_syncStatus"); err != nil {
		return Status{}, fmt.Errorf("follow source: optimism_syncStatus: %w", err)
	}
	if err := Check(ctx, st, p.l1); err != nil {
		return Status{}, err
	}
	return st, nil
}

// Check applies the source checks to st.
func Check(ctx context.Context, st Status, l1 L1) error {
	if st.Safe.Number > st.LocalSafe.Number {
		return fmt.Errorf("%w: safe %d above local-safe %d", ErrInvalidStatus, st.Safe.Number, st.LocalSafe.Number)
	}
	if st.Finalized.Number > st.Safe.Number {
		return fmt.Errorf("%w: finalized %d above safe %d", ErrInvalidStatus, st.Finalized.Number, st.Safe.Number)
	}
	for _, h := range []struct {
		name string
		id   eth.BlockID
	}{
		{"local-safe L1 origin", st.LocalSafe.L1Origin}, {"safe L1 origin", st.Safe.L1Origin},
		{"finalized L1 origin", st.Finalized.L1Origin}, {"current L1", st.CurrentL1.ID()},
	} {
		if h.id.Hash == (eth.BlockID{}).Hash {
			if h.name == "current L1" {
				continue // a source that has not started deriving yet
			}
			return fmt.Errorf("%w: no %s", ErrInvalidStatus, h.name)
		}
		ref, err := l1.BlockRefByNumber(ctx, h.id.Number)
		if err != nil {
			return fmt.Errorf("follow source: %s %d: %w", h.name, h.id.Number, err)
		}
		if ref.Hash != h.id.Hash {
			return fmt.Errorf("%w: %s %s, this node's L1 has %s", ErrNotCanonical, h.name, h.id, ref.Hash)
		}
	}
	return nil
}

// Reporter logs each new kind of poll failure once, and when the source
// answers again: a source that is down does not flood the log.
func Reporter(log hclog.Logger, source string) func(Status, error) {
	var last string
	return func(st Status, err error) {
		switch {
		case err != nil && err.Error() != last:
			log.Warn("follow source not taken", "source", source, "err", err)
			last = err.Error()
		case err == nil && last != "":
			log.Info("follow source answers again", "safe", st.Safe.ID(), "finalized", st.Finalized.ID())
			last = ""
		}
	}
}
