package node

import (
	"context"
	"time"

	"github.com/opalnode/opal/core/derive"
	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/finality"
	"github.com/opalnode/opal/core/follow"
	"github.com/opalnode/opal/core/interop"
	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/runtimecfg"
	"github.com/opalnode/opal/core/sequencer"
	"github.com/opalnode/opal/core/unsafesync"
	"github.com/opalnode/opal/sdk/eth"
)

// assemble builds the core's components on the plugin handles and the
// heads, and registers them with the loop. Who moves which head:
//
//	unsafe       sequencer (sealed blocks), unsafesync (gossip), enginectl (derived blocks)
//	pending-safe, local-safe, safe
//	             enginectl (derived blocks), follow (follow mode); derive takes
//	             pending-safe back to safe when a pre-Holocene span is invalid
//	finalized    finality (L1 finality), follow (follow mode)
//	all at once  derive (sync start after a reset)
func (n *Node) assemble() {
	cfg := n.opts.Config
	n.view = l1view.New(n.metrics)
	var fin *finality.Finalizer
	eng := enginectl.New(enginectl.Config{
		Rollup: n.opts.Rollup, Engine: n.handles.Engine, Heads: n.heads, Log: n.log.Named("engine"), Metrics: n.metrics,
		Messages: interop.NewGate(n.opts.Rollup, nil),
		SafeRecorder: func(l2 eth.L2BlockRef, from eth.L1BlockRef) {
			n.recordSafeHead(l2, from)
			fin.Record(l2, from)
		},
	})
	fin = finality.New(finality.Config{Heads: n.heads, L1: n.handles.L1Source, Labels: n.view, Engine: eng, Log: n.log.Named("finality")})

	n.lp.Register(n.view)
	if !n.following() {
		n.derive = derive.New(derive.Config{
			Rollup: n.opts.Rollup, Deriver: n.handles.Deriver, L1: n.handles.L1Source, L2: n.handles.Engine, Engine: eng,
			Heads: n.heads, Labels: n.view, Loop: n.lp, Log: n.log.Named("derivation"), Metrics: n.metrics,
			Confs: cfg.Verifier.L1Confs, Observer: n.observe, StopAt: n.stopAt(), StopErr: n.haltErr(),
			OnReorg: func(l1Number uint64) {
				if err := n.writer.TruncateSafeHeads(l1Number); err != nil {
					n.log.Warn("safe head index not truncated", "err", err)
				}
			},
		})
		n.lp.Register(n.derive)
		n.lp.Register(fin)
	} else {
		n.follow = follow.NewFollower(n.heads, followEngine{eng}, n.log.Named("follow"), n.recordSafeHead)
		n.lp.Register(n.follow)
	}
	us := unsafesync.Config{Engine: eng, Heads: n.heads, Log: n.log.Named("unsafe"), Metrics: n.metrics}
	if n.handles.P2P != nil {
		us.Peers = n.handles.P2P
	}
	n.lp.Register(unsafesync.New(us))
	notice := interop.NewNotice(n.opts.Rollup, n.heads, n.log.Named("interop"), cfg.L2.Follow.Source)
	notice.Startup()
	n.lp.Register(notice)
	if cfg.Sequencer.Enabled {
		sc := sequencer.Config{
			Rollup: n.opts.Rollup, Selector: n.handles.OriginSelector, Attributes: n.handles.Deriver, Builder: eng,
			L2: n.handles.Engine, L1: n.handles.L1Source, Labels: n.view, Heads: n.heads, Flags: n.store, Loop: n.lp,
			Log: n.log.Named("sequencer"), Metrics: n.metrics, MaxSafeLag: cfg.Sequencer.MaxSafeLag,
			Recover: cfg.Sequencer.Recover, SealMargin: 50 * time.Millisecond, StopAt: n.stopAt(), StopErr: n.haltErr(),
		}
		if n.handles.P2P != nil {
			sc.Publisher = n.handles.P2P
		}
		n.seq = sequencer.New(sc)
		n.lp.Register(n.seq)
	}
	n.assembleRuntimeConfig()
	n.lp.Register(loop.HandlerFunc(n.onAdmin))
	// Last: after every dispatch, publish what readers off the loop see.
	n.lp.Register(loop.HandlerFunc(func(context.Context, loop.Event) {
		h := n.heads.Get()
		for kind, ref := range map[string]eth.L2BlockRef{"unsafe": h.Unsafe, "safe": h.Safe, "finalized": h.Finalized, "pending_safe": h.PendingSafe} {
			n.metrics.Heads.WithLabelValues(kind).Set(float64(ref.Number))
		}
		n.status.publish(n.snapshot())
		if n.seq != nil {
			n.seqActive.Store(n.seq.Active())
		}
	}))
}

// assembleRuntimeConfig builds the loader of the unsafe block signer,
// which the p2p plugin (when there is one) is given after every load.
func (n *Node) assembleRuntimeConfig() {
	l1, ok := n.handles.L1Source.(runtimecfg.L1)
	if !ok {
		return
	}
	rc := runtimecfg.Config{
		L1: l1, SystemConfig: n.opts.Rollup.L1SystemConfigAddress, Confs: n.opts.Config.Verifier.L1Confs,
		Interval: n.opts.Config.L1.RuntimeConfigReloadInterval, Log: n.log.Named("runtimecfg"),
	}
	if n.handles.P2P != nil {
		rc.Gossip = n.handles.P2P
	}
	n.rtcfg = runtimecfg.New(rc)
	n.lp.Register(n.rtcfg)
}

func (n *Node) recordSafeHead(l2 eth.L2BlockRef, from eth.L1BlockRef) {
	if err := n.writer.RecordSafeHead(from.ID(), l2.ID()); err != nil {
		n.log.Warn("safe head index not written", "err", err)
	}
}

// stopAt is the timestamp of the node's halt, if it has one.
func (n *Node) stopAt() *uint64 {
	if n.halt == nil {
		return nil
	}
	t := n.halt.Time
	return &t
}

// haltErr is the node's halt as an error, nil without one.
func (n *Node) haltErr() error {
	if n.halt == nil {
		return nil
	}
	return n.halt
}
