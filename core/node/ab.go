package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/opalnode/opal/core/ab"
	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/derive"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/core/rpc"
	"github.com/opalnode/opal/sdk"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
)

// shadowMode is A/B derivation in the running node: the shadow deriver in
// its own plugin host (its restarts never reach the primary's components),
// the runner, its store and its report.
type shadowMode struct {
	host   *pluginhost.Host
	inst   *pluginhost.Instance
	store  *ab.Store
	report *os.File
	runner atomic.Pointer[ab.Shadow]
	stop   sync.Once
}

// loadShadow loads the shadow deriver when [ab] names one. A shadow that
// cannot be loaded at start is a configuration error: the node does not
// start, and the error names ab.deriver.
func (n *Node) loadShadow(ctx context.Context) error {
	spec, on, err := n.opts.Config.ABSpec(config.PluginConfigJSON)
	if err != nil || !on {
		return err
	}
	if n.following() {
		return fmt.Errorf("ab.deriver: a node in follow mode derives nothing to compare")
	}
	sm := &shadowMode{}
	sm.host = pluginhost.New(pluginhost.Options{
		Catalog: n.opts.Catalog, Logger: n.log.Named("ab"), Rollup: n.opts.Rollup, L1ChainConfig: n.opts.L1ChainConfig,
		Services: &n.hostSvc, SelfCommand: n.opts.SelfCommand,
		Events: func(ev pluginhost.Event) {
			if _, ok := ev.(pluginhost.Restarted); ok {
				n.metrics.PluginRestarts.WithLabelValues("ab_deriver").Inc()
				if r := sm.runner.Load(); r != nil {
					r.Restarted()
				}
			}
		},
	})
	insts, err := sm.host.Load(ctx, []pluginhost.Spec{spec})
	if err != nil {
		return err
	}
	sm.inst = insts[sdk.Deriver]
	n.shadow = sm
	return nil
}

// assembleShadow builds the shadow runner; the derivation driver tells it
// every input and output of the primary. Nil when A/B is off.
func (n *Node) assembleShadow() (derive.Observer, error) {
	sm := n.shadow
	if sm == nil {
		return nil, nil
	}
	cfg := n.opts.Config.AB
	var err error
	if sm.store, err = ab.OpenStore(filepath.Join(n.dataDir, "ab.db"), cfg.StoreSize); err != nil {
		return nil, err
	}
	path := cfg.Report
	if path == "" {
		path = filepath.Join(n.dataDir, "ab-report.jsonl")
	}
	if sm.report, err = os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return nil, fmt.Errorf("ab.report: %w", err)
	}
	name := func(inst *pluginhost.Instance) string { return inst.Info.Name + " " + inst.Info.Version }
	l1, l2 := n.handles.L1Source, n.handles.Engine
	r := ab.NewShadow(ab.ShadowConfig{
		Rollup: n.opts.Rollup, Shadow: sm.host.Handles().Deriver, L1: l1, L2: l2, Heads: n.heads.Get,
		ResetAt: func(ctx context.Context, h heads.Heads) (sdkderiver.ResetRequest, error) {
			return derive.ResetAt(ctx, n.opts.Rollup, l1, l2, h)
		},
		Store: sm.store, Report: sm.report, Primary: name(n.insts[sdk.Deriver]), Name: name(sm.inst),
		MaxLag: cfg.MaxLag, CallTimeout: cfg.CallTimeout, Log: n.log.Named("ab"), Metrics: n.metrics,
		// A hung plugin process is killed; its host restarts it. An
		// in-process shadow cannot be (Kill reports false).
		Restart: sm.inst.Kill,
	})
	sm.runner.Store(r)
	n.log.Info("A/B: a shadow deriver runs next to the primary", "primary", name(n.insts[sdk.Deriver]), "shadow", name(sm.inst),
		"mode", sm.inst.Spec.Mode, "report", path)
	return r, nil
}

// startShadow starts the runner (after the loop's components exist).
func (n *Node) startShadow() {
	if n.shadow != nil {
		if r := n.shadow.runner.Load(); r != nil {
			r.Start()
		}
	}
}

// stopShadow stops the runner, then its plugin, store and report (once;
// readers of the status keep a valid, stopped shadow).
func (n *Node) stopShadow() {
	sm := n.shadow
	if sm == nil {
		return
	}
	sm.stop.Do(func() {
		if r := sm.runner.Load(); r != nil {
			r.Stop()
		}
		sm.host.Close()
		if sm.store != nil {
			_ = sm.store.Close()
		}
		if sm.report != nil {
			_ = sm.report.Close()
		}
	})
}

// abView is A/B as the RPC reads it.
type abView struct{ sm *shadowMode }

func (v abView) Status() ab.Status {
	if r := v.sm.runner.Load(); r != nil {
		return r.Status()
	}
	return ab.Status{}
}

func (v abView) Divergences(from uint64, limit int) ([]ab.Divergence, error) {
	return v.sm.store.List(from, limit)
}

func (v abView) Stored() int { return v.sm.store.Count() }

// abAPI is A/B for the RPC; nil when off.
func (n *Node) abAPI() rpc.AB {
	if n.shadow == nil {
		return nil
	}
	return abView{n.shadow}
}

// ABStatus is the shadow deriver's status; false when A/B is off.
func (n *Node) ABStatus() (ab.Status, bool) {
	if n.shadow == nil {
		return ab.Status{}, false
	}
	return abView{n.shadow}.Status(), true
}

// ShadowPlugin is the shadow deriver's plugin instance (status, and Kill
// for tests); nil when A/B is off.
func (n *Node) ShadowPlugin() *pluginhost.Instance {
	if n.shadow == nil {
		return nil
	}
	return n.shadow.inst
}
