package node

import (
	"context"
	"fmt"
	"time"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
)

// loadPlugins loads the configured plugins the node needs and makes their
// handles. Plugin events reach the loop without ever blocking the host; an
// exit under on_failure = "stop" fails the node.
func (n *Node) loadPlugins(ctx context.Context) error {
	specs, err := n.opts.Config.Specs(config.PluginConfigJSON)
	if err != nil {
		return err
	}
	var load []pluginhost.Spec
	for _, s := range specs {
		switch {
		case s.Kind == sdk.OriginSelector && !n.opts.Config.Sequencer.Enabled:
			continue // nothing to select origins for
		case s.Kind == sdk.Deriver && n.following():
			continue // follow mode takes the safe head from its source
		case s.Kind == sdk.P2P && s.Path == "":
			if _, ok := n.opts.Catalog.Lookup(sdk.P2P, s.Builtin); !ok {
				n.log.Info("no p2p plugin available: running without gossip")
				continue
			}
		}
		if err := n.opts.Config.NodeDefaults(&s); err != nil {
			return err
		}
		load = append(load, s)
	}
	n.host = pluginhost.New(pluginhost.Options{
		Catalog: n.opts.Catalog, Logger: n.log, Rollup: n.opts.Rollup, L1ChainConfig: n.opts.L1ChainConfig,
		Services: &n.hostSvc, SelfCommand: n.opts.SelfCommand,
		CallObserver: func(kind sdk.Kind, method string, d time.Duration, _ error) {
			n.metrics.PluginCalls.WithLabelValues(string(kind), method).Observe(d.Seconds())
		},
		Events: n.onPluginEvent,
	})
	if n.insts, err = n.host.Load(ctx, load); err != nil {
		return err
	}
	n.handles = n.host.Handles()
	required := []sdk.Kind{sdk.L1Source, sdk.Engine}
	if !n.following() {
		required = append(required, sdk.Deriver)
	}
	for _, k := range required {
		if _, ok := n.insts[k]; !ok {
			return fmt.Errorf("plugins.%s: the node cannot run without a %s plugin", k, k)
		}
	}
	return nil
}

// onPluginEvent is the host's event hook. It never blocks: events are
// posted to the loop (the derivation resets a restarted deriver there).
func (n *Node) onPluginEvent(ev pluginhost.Event) {
	switch e := ev.(type) {
	case pluginhost.Restarted:
		n.metrics.PluginRestarts.WithLabelValues(string(e.Kind)).Inc()
	case pluginhost.Exited:
		if !e.Restarting {
			n.fail(fmt.Errorf("plugin %s (%s) exited and plugins.%s.on_failure is \"stop\"", e.Kind, e.Name, e.Kind))
		}
	}
	if le, ok := ev.(loop.Event); ok && n.lp != nil {
		n.lp.Post(le)
	}
}
