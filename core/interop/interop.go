// Package interop holds what changes for the node when interop (from
// Lagoon) applies to its chain: the point where the cross-chain validity of
// executing messages is decided, and the notice of how this node decides it.
//
// Opal derives after Lagoon as a standalone op-node does: optimistically.
// It replaces no block on cross-chain grounds, because deciding needs the
// other chains of the dependency set. The MessageChecker interface is where
// such a decision can be supplied (a deny list from a supernode, an RPC
// validator): a denied derived block is replaced by a deposits-only block
// (the Holocene replacement, as op-node does with its SuperAuthority), and a
// denied unsafe block is dropped.
package interop

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// MessageChecker decides whether a block's executing messages are valid
// across the dependency set.
type MessageChecker interface {
	// Denied reports whether the block must not be part of the chain. An
	// error means no decision could be made (try again later).
	Denied(ctx context.Context, block eth.BlockID) (bool, error)
}

// Optimistic denies nothing: a standalone op-node's behaviour.
type Optimistic struct{}

// Denied implements MessageChecker.
func (Optimistic) Denied(context.Context, eth.BlockID) (bool, error) { return false, nil }

// Gate asks its checker only about blocks where interop rules apply: from
// Lagoon, on a chain whose dependency set holds another chain.
type Gate struct {
	cfg     *rollup.Config
	checker MessageChecker
}

// NewGate returns a gate over checker (nil: Optimistic).
func NewGate(cfg *rollup.Config, checker MessageChecker) *Gate {
	if checker == nil {
		checker = Optimistic{}
	}
	return &Gate{cfg: cfg, checker: checker}
}

// Applies reports whether interop rules apply to the block at time t.
func (g *Gate) Applies(t uint64) bool {
	return g != nil && g.cfg.IsInterop(t) && g.cfg.DependencySet.Interop()
}

// Denied asks the checker about the block at time t where interop applies.
func (g *Gate) Denied(ctx context.Context, block eth.BlockID, t uint64) (bool, error) {
	if !g.Applies(t) {
		return false, nil
	}
	denied, err := g.checker.Denied(ctx, block)
	if err != nil {
		return false, fmt.Errorf("interop message check of %s: %w", block, err)
	}
	return denied, nil
}

// Notice says once, when the node's unsafe head first reaches interop, how
// this node decides cross-chain validity. It is a loop handler.
type Notice struct {
	cfg *rollup.Config
	h   heads.View
	log hclog.Logger
	// follow is the follow source, when the node takes its safe head from
	// one.
	follow string
	said   bool
}

// NewNotice builds the notice for a chain.
func NewNotice(cfg *rollup.Config, h heads.View, log hclog.Logger, followSource string) *Notice {
	return &Notice{cfg: cfg, h: h, log: log, follow: followSource}
}

// OnEvent implements loop.Handler.
func (n *Notice) OnEvent(context.Context, loop.Event) { n.Check() }

// Check logs the notice if interop is now active and it was not said yet.
// It reports whether the notice has been given.
func (n *Notice) Check() bool {
	if n.said {
		return true
	}
	unsafe := n.h.Get().Unsafe
	if !n.cfg.IsInterop(unsafe.Time) || !n.cfg.DependencySet.Interop() {
		return false
	}
	n.said = true
	chains := n.cfg.DependencySet.Chains()
	if n.follow != "" {
		n.log.Info("interop (Lagoon) is active: safe and finalized heads come from the follow source, which checks executing messages",
			"dependency_set", chains, "source", n.follow, "block", unsafe.ID())
		return true
	}
	n.log.Warn("interop (Lagoon) is active: this node derives optimistically, as a standalone op-node does: executing messages are not checked and no block is replaced on cross-chain grounds, so its safe head is not verified across the dependency set; run with --l2.follow.source pointed at a verifying node to serve a verified safe head",
		"dependency_set", chains, "block", unsafe.ID())
	return true
}

// Startup logs the chain's Lagoon schedule and dependency set once at
// start, and warns when Lagoon is scheduled on a chain whose set is unknown
// (op-node refuses to start there; opal takes the chain to be in no set).
func (n *Notice) Startup() {
	if n.cfg.LagoonTime == nil {
		return
	}
	at := time.Unix(int64(*n.cfg.LagoonTime), 0).UTC().Format(time.RFC3339)
	switch set := n.cfg.DependencySet; {
	case set == nil:
		n.log.Warn("Lagoon is scheduled and no dependency set is known for this chain: its activation block will carry the upgrade bundle only, as on a chain in no set; set rollup.dependency_set if the chain is in one",
			"lagoon_time", *n.cfg.LagoonTime, "at", at, "chain", n.cfg.L2ChainID)
	default:
		n.log.Info("Lagoon scheduled", "lagoon_time", *n.cfg.LagoonTime, "at", at, "dependency_set", set.Chains(), "interop", set.Interop())
	}
}
