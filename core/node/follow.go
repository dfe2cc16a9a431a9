package node

import (
	"context"
	"time"

	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/follow"
	"github.com/opalnode/opal/sdk/eth"
)

// following reports whether the node runs in follow mode.
func (n *Node) following() bool { return n.opts.Config.L2.Follow.Source != "" }

// startFollowing starts polling the follow source.
func (n *Node) startFollowing(ctx context.Context) error {
	cfg := n.opts.Config.L2.Follow
	log := n.log.Named("follow")
	p, err := follow.NewPoller(follow.Config{
		URL: cfg.Source, Timeout: cfg.RPCTimeout,
		Interval: 2 * time.Duration(n.opts.Rollup.BlockTime) * time.Second,
	}, n.handles.L1Source, n.lp, follow.Reporter(log, cfg.Source))
	if err != nil {
		return err
	}
	log.Info("follow mode: safe and finalized heads come from the source, local derivation is off", "source", cfg.Source)
	go p.Run(ctx)
	return nil
}

// followEngine is engine control as the follower needs it.
type followEngine struct{ e *enginectl.Controller }

func (f followEngine) L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error) {
	return f.e.Engine().L2BlockRefByNumber(ctx, number)
}

func (f followEngine) Forkchoice(ctx context.Context) error { return f.e.Forkchoice(ctx) }
