package node

import (
	"context"
	"time"

	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/core/statuspage"
	"github.com/opalnode/opal/sdk"
)

// statusPage builds the status page's data from what is safe to read off
// the loop: the published sync status, the plugin instances, the metrics
// and the components' own snapshots.
func (n *Node) statusPage(ctx context.Context) *statuspage.Page {
	st := n.status.SyncStatus()
	p := &statuspage.Page{Version: n.opts.Version, Time: time.Now().UTC()}
	if n.opts.Rollup.L2ChainID != nil {
		p.ChainID = n.opts.Rollup.L2ChainID.Uint64()
	}
	unsafe := st.UnsafeL2.Number
	for _, h := range []statuspage.Head{
		{Name: "unsafe", Ref: st.UnsafeL2}, {Name: "cross-unsafe", Ref: st.CrossUnsafeL2},
		{Name: "pending-safe", Ref: st.PendingSafeL2}, {Name: "local-safe", Ref: st.LocalSafeL2},
		{Name: "safe", Ref: st.SafeL2}, {Name: "finalized", Ref: st.FinalizedL2},
	} {
		if unsafe > h.Ref.Number {
			h.Behind = unsafe - h.Ref.Number
		}
		p.Heads = append(p.Heads, h)
	}
	p.L1 = statuspage.L1{Head: st.HeadL1, Safe: st.SafeL1, Finalized: st.FinalizedL1, Derived: st.CurrentL1}
	if st.HeadL1.Number > st.CurrentL1.Number {
		p.L1.Lag = st.HeadL1.Number - st.CurrentL1.Number
	}
	derived := uint64(metrics.CounterValue(n.metrics.DerivedBlocks))
	p.Derivation = statuspage.Derivation{Derived: derived, Rate: n.deriveRate.Observe(time.Now(), derived),
		Resets: uint64(metrics.CounterValue(n.metrics.Resets))}
	if err := n.DerivationHalted(); err != nil {
		p.Derivation.Halted = err.Error()
	}
	calls := n.pluginCalls()
	for _, k := range sdk.Kinds {
		inst, ok := n.host.Instances()[k]
		if !ok {
			continue
		}
		s := inst.Status()
		c := calls[string(k)]
		pl := statuspage.Plugin{Kind: s.Kind, Name: s.Name, Version: s.Version, Mode: s.Mode, ProtocolVersion: s.ProtocolVersion,
			Up: s.Up, Restarts: s.Restarts, LastError: s.LastError, Calls: c.count}
		if c.count > 0 {
			pl.MeanLatencyMs = c.sum / float64(c.count) * 1000
		}
		p.Plugins = append(p.Plugins, pl)
	}
	if sm := n.shadow; sm != nil {
		s := sm.inst.Status()
		p.Plugins = append(p.Plugins, statuspage.Plugin{Kind: "deriver (A/B shadow)", Name: s.Name, Version: s.Version, Mode: s.Mode,
			ProtocolVersion: s.ProtocolVersion, Up: s.Up, Restarts: s.Restarts, LastError: s.LastError})
		abst := abView{sm}.Status()
		p.AB = &abst
	}
	if n.seq != nil {
		seq := &statuspage.Sequencer{Active: n.seqActive.Load()}
		timings := n.seq.Timings()
		for _, t := range timings[max(0, len(timings)-20):] {
			seq.Builds = append(seq.Builds, statuspage.Build{Number: t.Number, OwnMs: msOf(t.Own), EngineMs: msOf(t.Engine), LateMs: msOf(t.Late)})
		}
		p.Sequencer = seq
	}
	if n.handles.P2P != nil {
		ps, err := n.handles.P2P.Status(ctx)
		if err != nil {
			p.P2P = &statuspage.P2P{Error: err.Error()}
		} else {
			p.P2P = &statuspage.P2P{PeerID: ps.PeerID, Peers: ps.ConnectedPeers, Addrs: ps.ListenAddrs}
		}
	}
	return p
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type callStats struct {
	count uint64
	sum   float64
}

// pluginCalls sums the plugin call histogram per plugin kind.
func (n *Node) pluginCalls() map[string]callStats {
	out := map[string]callStats{}
	mfs, err := n.metrics.Reg.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		if mf.GetName() != "opal_plugin_call_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var kind string
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" {
					kind = l.GetValue()
				}
			}
			c := out[kind]
			c.count += m.GetHistogram().GetSampleCount()
			c.sum += m.GetHistogram().GetSampleSum()
			out[kind] = c
		}
	}
	return out
}
