// Package node assembles opal: it loads the plugins, restores the heads,
// registers the core's components with the event loop and serves the RPC
// and metrics endpoints.
package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	osexec "os/exec"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/derive"
	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/finality"
	"github.com/opalnode/opal/core/follow"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/interop"
	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/core/sequencer"
	"github.com/opalnode/opal/core/superroot"
	"github.com/opalnode/opal/core/unsafesync"
	"github.com/opalnode/opal/sdk"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/p2p"
	"github.com/opalnode/opal/sdk/rollup"
)

// Options are what a node is built from.
type Options struct {
	Config        *config.Config
	Rollup        *rollup.Config
	L1ChainConfig *params.ChainConfig
	Catalog       *pluginhost.Catalog
	Logger        hclog.Logger
	Version       string
	// SelfCommand overrides how built-ins are re-executed as processes
	// (nil: this executable with `plugin serve`).
	SelfCommand func(kind sdk.Kind, name string) (*osexec.Cmd, error)
}

// Node is a running opal node.
type Node struct {
	opts    Options
	log     hclog.Logger
	metrics *metrics.Metrics
	store   *heads.Store
	writer  *heads.Writer
	tmpDir  string
	host    *pluginhost.Host
	insts   map[sdk.Kind]*pluginhost.Instance
	// handles are the plugins as the components use them (stable across
	// restarts, timed).
	handles pluginhost.Handles
	heads   *heads.State
	lp      *loop.Loop
	view    *l1view.View
	derive  *derive.Derivation // nil in follow mode
	follow  *follow.Follower   // follow mode only
	seq     *sequencer.Sequencer
	rpc     *rpcServer
	metSrv  *http.Server
	cancel  context.CancelFunc
	done    chan struct{}
}

// New opens the node's store; Start does the rest.
func New(opts Options) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	n := &Node{opts: opts, log: opts.Logger, metrics: metrics.New(), done: make(chan struct{})}
	dir := opts.Config.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "opal-data-")
		if err != nil {
			return nil, err
		}
		dir, n.tmpDir = tmp, tmp
		n.log.Info("no data dir given: using a temporary one, state is lost on exit", "dir", dir)
	}
	st, err := heads.Open(dir)
	if err != nil {
		return nil, err
	}
	n.store = st
	return n, nil
}

func (n *Node) l1() l1source.Source         { return n.handles.L1Source }
func (n *Node) engine() engine.Engine       { return n.handles.Engine }
func (n *Node) deriver() sdkderiver.Deriver { return n.handles.Deriver }
func (n *Node) selector() originselector.Selector {
	return n.handles.OriginSelector
}
func (n *Node) gossip() p2p.Gossip { return n.handles.P2P }

// pluginDefaults fills a plugin's config table with the node settings that
// concern it (flags like --l1 and --l2.jwt-secret), where the table does not
// set them itself.
func (n *Node) pluginDefaults(s *pluginhost.Spec) error {
	c := n.opts.Config
	defaults := map[string]any{}
	switch s.Kind {
	case sdk.L1Source:
		defaults["rpc"] = c.L1.RPC
		defaults["trust_rpc"] = c.L1.TrustRPC
		defaults["rpc_kind"] = c.L1.RPCKind
		if c.L1.Beacon != "" {
			defaults["beacon"] = c.L1.Beacon
		}
	case sdk.Engine:
		defaults["url"] = c.L2.Engine
		if c.L2.JWTSecret != "" {
			defaults["jwt_secret"] = c.L2.JWTSecret
		}
	case sdk.OriginSelector:
		defaults["l1_confs"] = c.Sequencer.L1Confs
	}
	var table map[string]any
	if len(s.Config) > 0 {
		if err := json.Unmarshal(s.Config, &table); err != nil {
			return fmt.Errorf("%s.config: %w", s.Key, err)
		}
	}
	if table == nil {
		table = map[string]any{}
	}
	for k, v := range defaults {
		if _, set := table[k]; !set {
			table[k] = v
		}
	}
	raw, err := json.Marshal(table)
	if err != nil {
		return err
	}
	s.Config = raw
	return nil
}

// Start loads the plugins, restores the heads and starts every component.
// Any failure leaves nothing running.
func (n *Node) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			n.Stop()
		}
	}()
	specs, err := n.opts.Config.Specs(config.PluginConfigJSON)
	if err != nil {
		return err
	}
	// Without a sequencer there is nothing to select origins for; without a
	// p2p section the node runs without gossip.
	var load []pluginhost.Spec
	for _, s := range specs {
		if s.Kind == sdk.OriginSelector && !n.opts.Config.Sequencer.Enabled {
			continue
		}
		// Follow mode takes the safe head from its source: no derivation.
		if s.Kind == sdk.Deriver && n.following() {
			continue
		}
		if s.Kind == sdk.P2P {
			if _, ok := n.opts.Catalog.Lookup(sdk.P2P, s.Builtin); !ok && s.Path == "" {
				n.log.Info("no p2p plugin available: running without gossip")
				continue
			}
		}
		if err := n.pluginDefaults(&s); err != nil {
			return err
		}
		load = append(load, s)
	}
	n.lp = loop.New(n.log.Named("loop"), 1024, func(ev string, d time.Duration) {
		n.metrics.LoopDispatch.WithLabelValues(ev).Observe(d.Seconds())
	})
	hostSvc := &hostService{l1: n.l1, engine: n.engine}
	n.host = pluginhost.New(pluginhost.Options{
		Catalog: n.opts.Catalog, Logger: n.log, Rollup: n.opts.Rollup, L1ChainConfig: n.opts.L1ChainConfig,
		Services: hostSvc, SelfCommand: n.opts.SelfCommand,
		CallObserver: func(kind sdk.Kind, method string, d time.Duration, _ error) {
			n.metrics.PluginCalls.WithLabelValues(string(kind), method).Observe(d.Seconds())
		},
		Events: func(ev pluginhost.Event) {
			if r, ok := ev.(pluginhost.Restarted); ok {
				n.metrics.PluginRestarts.WithLabelValues(string(r.Kind)).Inc()
			}
			// Never blocks the host: the event is queued, or handed to a
			// goroutine that waits for room until the loop stops.
			if le, ok := ev.(loop.Event); ok {
				n.lp.Post(le)
			}
		},
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
	start, err := n.recoverHeads(ctx)
	if err != nil {
		return err
	}
	n.writer = heads.NewWriter(n.store)
	n.heads, err = heads.New(start, n.writer, n.log.Named("heads"), func(head, reason string) {
		n.metrics.HeadChanges.WithLabelValues(head, reason).Inc()
	})
	if err != nil {
		return fmt.Errorf("restored heads: %w", err)
	}
	hostSvc.heads = n.heads
	n.assemble()
	if n.opts.Config.Sequencer.Enabled {
		if err := n.seq.Init(true, n.opts.Config.Sequencer.Stopped); err != nil {
			return err
		}
	}
	if err := n.startServers(); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go l1view.Watch(runCtx, n.l1(), n.lp, n.log.Named("l1"))
	if n.following() {
		if err := n.startFollowing(runCtx); err != nil {
			cancel()
			return err
		}
	}
	if g := n.gossip(); g != nil {
		go n.receiveGossip(runCtx)
	}
	go func() {
		defer close(n.done)
		n.lp.Run(runCtx)
	}()
	n.lp.RequestStep()
	h := n.heads.Get()
	n.log.Info("opal started", "unsafe", h.Unsafe, "safe", h.Safe, "finalized", h.Finalized,
		"sequencer", n.opts.Config.Sequencer.Enabled)
	return nil
}

// assemble builds the core components and registers them with the loop.
func (n *Node) assemble() {
	cfg := n.opts.Config
	n.view = l1view.New(n.metrics)

	var fin *finality.Finalizer
	eng := enginectl.New(enginectl.Config{Rollup: n.opts.Rollup, Engine: n.engine(), Heads: n.heads, Log: n.log.Named("engine"),
		Metrics: n.metrics, Messages: interop.NewGate(n.opts.Rollup, nil),
		SafeRecorder: func(l2 eth.L2BlockRef, from eth.L1BlockRef) {
			if err := n.writer.RecordSafeHead(from.ID(), l2.ID()); err != nil {
				n.log.Warn("safe head index not written", "err", err)
			}
			fin.Record(l2, from)
		}})
	fin = finality.New(finality.Config{Heads: n.heads, L1: n.l1(), Labels: n.view, Engine: eng, Log: n.log.Named("finality")})
	if !n.following() {
		n.derive = derive.New(derive.Config{
			Rollup: n.opts.Rollup, Deriver: n.deriver(), L1: n.l1(), L2: n.engine(), Engine: eng, Heads: n.heads,
			Labels: n.view, Loop: n.lp, Log: n.log.Named("derivation"), Metrics: n.metrics, Confs: cfg.Verifier.L1Confs,
			OnReorg: func(l1Number uint64) {
				if err := n.writer.TruncateSafeHeads(l1Number); err != nil {
					n.log.Warn("safe head index not truncated", "err", err)
				}
			},
		})
	} else {
		n.follow = follow.NewFollower(n.heads, followEngine{eng}, n.log.Named("follow"), func(l2 eth.L2BlockRef, from eth.L1BlockRef) {
			if err := n.writer.RecordSafeHead(from.ID(), l2.ID()); err != nil {
				n.log.Warn("safe head index not written", "err", err)
			}
		})
	}
	usCfg := unsafesync.Config{Engine: eng, Heads: n.heads, Log: n.log.Named("unsafe"), Metrics: n.metrics}
	if g := n.gossip(); g != nil {
		usCfg.Peers = g
	}
	us := unsafesync.New(usCfg)
	n.lp.Register(n.view)
	if n.derive != nil {
		n.lp.Register(n.derive)
		n.lp.Register(fin)
	} else {
		n.lp.Register(n.follow)
	}
	n.lp.Register(us)
	notice := interop.NewNotice(n.opts.Rollup, n.heads, n.log.Named("interop"), cfg.L2.Follow.Source)
	notice.Startup()
	n.lp.Register(notice)
	if cfg.Sequencer.Enabled {
		sc := sequencer.Config{
			Rollup: n.opts.Rollup, Selector: n.selector(), Attributes: n.deriver(), Builder: eng, L2: n.engine(), L1: n.l1(),
			Labels: n.view, Heads: n.heads, Flags: n.store, Loop: n.lp, Log: n.log.Named("sequencer"), Metrics: n.metrics,
			MaxSafeLag: cfg.Sequencer.MaxSafeLag, Recover: cfg.Sequencer.Recover, SealMargin: 50 * time.Millisecond,
		}
		if g := n.gossip(); g != nil {
			sc.Publisher = g
		}
		n.seq = sequencer.New(sc)
		n.lp.Register(n.seq)
	}
	n.lp.Register(loop.HandlerFunc(n.onAdmin))
	n.lp.Register(loop.HandlerFunc(func(_ context.Context, ev loop.Event) {
		h := n.heads.Get()
		for kind, ref := range map[string]eth.L2BlockRef{"unsafe": h.Unsafe, "safe": h.Safe, "finalized": h.Finalized, "pending_safe": h.PendingSafe} {
			n.metrics.Heads.WithLabelValues(kind).Set(float64(ref.Number))
		}
	}))
}

func (n *Node) onAdmin(ctx context.Context, ev loop.Event) {
	cmd, ok := ev.(AdminCommand)
	if !ok {
		return
	}
	err := cmd.Fn(ctx)
	n.log.Info("admin command", "name", cmd.Name, "err", err)
	cmd.Reply <- err
	n.lp.RequestStep()
}

// runOnLoop runs fn on the loop goroutine and waits for its result.
func (n *Node) runOnLoop(ctx context.Context, name string, fn func(context.Context) error) error {
	reply := make(chan error, 1)
	if err := n.lp.Emit(ctx, AdminCommand{Name: name, Fn: fn, Reply: reply}); err != nil {
		return err
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (n *Node) receiveGossip(ctx context.Context) {
	for ctx.Err() == nil {
		err := n.gossip().Payloads(ctx, func(r p2p.Received) {
			if !n.lp.TryEmit(unsafesync.Payload{Envelope: r.Envelope, Source: "p2p " + r.PeerID}) {
				n.metrics.UnsafePayloads.WithLabelValues("dropped_busy").Inc()
			}
		})
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("gossip stream ended, resubscribing", "err", err)
		time.Sleep(time.Second)
	}
}

// recoverHeads combines the engine's forkchoice with the stored heads: the
// engine says which blocks exist; the store remembers safe and finalized
// heads the engine may not label (op-geth keeps them, other engines may not).
func (n *Node) recoverHeads(ctx context.Context) (heads.Heads, error) {
	eng := n.engine()
	label := func(l eth.BlockLabel) (eth.L2BlockRef, error) {
		ref, err := eng.L2BlockRefByLabel(ctx, l)
		if errors.Is(err, eth.ErrNotFound) {
			return eng.L2BlockRefByNumber(ctx, n.opts.Rollup.Genesis.L2.Number)
		}
		return ref, err
	}
	unsafe, err := label(eth.Unsafe)
	if err != nil {
		return heads.Heads{}, fmt.Errorf("engine unsafe head: %w", err)
	}
	safe, err := label(eth.Safe)
	if err != nil {
		return heads.Heads{}, fmt.Errorf("engine safe head: %w", err)
	}
	fin, err := label(eth.Finalized)
	if err != nil {
		return heads.Heads{}, fmt.Errorf("engine finalized head: %w", err)
	}
	stored, ok, err := n.store.LoadHeads()
	if err != nil {
		return heads.Heads{}, err
	}
	canonical := func(r eth.L2BlockRef) bool {
		if r.Number > unsafe.Number {
			return false
		}
		got, err := eng.L2BlockRefByNumber(ctx, r.Number)
		return err == nil && got.Hash == r.Hash
	}
	if ok {
		if stored.Safe.Number > safe.Number && canonical(stored.Safe) {
			safe = stored.Safe
		}
		if stored.Finalized.Number > fin.Number && stored.Finalized.Number <= safe.Number && canonical(stored.Finalized) {
			fin = stored.Finalized
		}
		n.log.Info("restored heads", "stored_safe", stored.Safe, "engine_safe", safe)
	}
	if fin.Number > safe.Number {
		fin = safe
	}
	if safe.Number > unsafe.Number {
		safe = unsafe
	}
	return heads.Heads{Unsafe: unsafe, CrossUnsafe: unsafe, PendingSafe: safe, LocalSafe: safe, Safe: safe, Finalized: fin}, nil
}

// syncStatus implements statusSource.
func (n *Node) syncStatus() *SyncStatus {
	h := n.heads.Get()
	st := &SyncStatus{
		UnsafeL2: h.Unsafe, SafeL2: h.Safe, FinalizedL2: h.Finalized, PendingSafeL2: h.PendingSafe,
		CrossUnsafeL2: h.CrossUnsafe, LocalSafeL2: h.LocalSafe,
	}
	// The L1 view is owned by the loop; reading it from the RPC goroutine
	// goes through a command so it is never read mid-update.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = n.runOnLoop(ctx, "syncStatus", func(context.Context) error {
		st.HeadL1, st.SafeL1, st.FinalizedL1 = n.view.Head(), n.view.Safe(), n.view.Finalized()
		st.CurrentL1Finalized = n.view.Finalized()
		if n.derive != nil {
			st.CurrentL1 = n.derive.Origin()
		} else {
			st.CurrentL1 = n.follow.CurrentL1()
		}
		return nil
	})
	return st
}

func (n *Node) startServers() error {
	cfg := n.opts.Config
	apis := []rpc.API{
		{Namespace: "optimism", Service: &optimismAPI{cfg: n.opts.Rollup, status: n, engine: n.engine, store: n.store, flush: n.writer.Flush, version: n.opts.Version}},
		{Namespace: "opal", Service: &opalAPI{host: n.host}},
		{Namespace: "superroot", Service: superroot.NewAPI(n.opts.Rollup, n.superrootStatus,
			func() superroot.Chain { return n.engine() }, safeIndex{n})},
	}
	if cfg.RPC.EnableAdmin {
		apis = append(apis, rpc.API{Namespace: "admin", Service: &adminAPI{
			run: n.runOnLoop, seq: n.seq, derive: n.derive,
			postInput: func(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
				return n.lp.Emit(ctx, unsafesync.Payload{Envelope: env, Source: "admin"})
			},
		}})
	}
	srv, err := startRPC(cfg.RPC.Addr, cfg.RPC.Port, apis, n.log.Named("rpc"))
	if err != nil {
		return err
	}
	n.rpc = srv
	if cfg.Metrics.Enabled {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(n.metrics.Reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			for _, inst := range n.host.Instances() {
				if !inst.Status().Up {
					http.Error(w, "plugin "+string(inst.Spec.Kind)+" is down", http.StatusServiceUnavailable)
					return
				}
			}
			_, _ = w.Write([]byte("ok\n"))
		})
		if cfg.Metrics.Pprof {
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Metrics.Addr, strconv.Itoa(cfg.Metrics.Port)))
		if err != nil {
			return fmt.Errorf("metrics: listen: %w", err)
		}
		n.metSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = n.metSrv.Serve(ln) }()
		n.log.Info("metrics listening", "addr", "http://"+ln.Addr().String()+"/metrics")
	}
	return nil
}

// RPCAddr is the address of the RPC listener.
func (n *Node) RPCAddr() string {
	if n.rpc == nil {
		return ""
	}
	return n.rpc.Addr()
}

// Heads returns a snapshot of the heads.
func (n *Node) Heads() heads.Heads { return n.heads.Get() }

// Stop stops everything Start started, in reverse order.
func (n *Node) Stop() {
	if n.cancel != nil {
		n.cancel()
		<-n.done
	}
	if n.rpc != nil {
		n.rpc.close()
	}
	if n.metSrv != nil {
		_ = n.metSrv.Close()
	}
	if n.host != nil {
		n.host.Close()
	}
	if n.writer != nil {
		if err := n.writer.Close(); err != nil {
			n.log.Error("last head state not stored", "err", err)
		}
		n.writer = nil
	}
	if n.store != nil {
		_ = n.store.Close()
		n.store = nil
	}
	if n.tmpDir != "" {
		_ = os.RemoveAll(n.tmpDir)
	}
}

// EngineBlockHash returns the hash of the engine's canonical L2 block at
// number (for tests and tools comparing chains).
func (n *Node) EngineBlockHash(ctx context.Context, number uint64) (common.Hash, error) {
	ref, err := n.engine().L2BlockRefByNumber(ctx, number)
	return ref.Hash, err
}

// SequencerTimings returns how long each recently sequenced block took,
// split into opal's own work and the engine's (nil when not sequencing).
func (n *Node) SequencerTimings() []sequencer.BuildTiming {
	if n.seq == nil {
		return nil
	}
	return n.seq.Timings()
}

// EngineBlockRef returns the engine's canonical L2 block at number.
func (n *Node) EngineBlockRef(ctx context.Context, number uint64) (eth.L2BlockRef, error) {
	return n.engine().L2BlockRefByNumber(ctx, number)
}

// Plugins returns the loaded plugin instances (status, and Kill for tests
// and operators).
func (n *Node) Plugins() map[sdk.Kind]*pluginhost.Instance { return n.host.Instances() }

// PayloadByNumber returns the engine's canonical L2 block at number as a
// payload (for tools and tests relaying blocks).
func (n *Node) PayloadByNumber(ctx context.Context, number uint64) (*eth.ExecutionPayloadEnvelope, error) {
	return n.engine().PayloadByNumber(ctx, number)
}
