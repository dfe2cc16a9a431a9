// Package node assembles opal: it loads the plugins, restores the heads,
// builds the core's components, registers them with the event loop, and
// serves the RPC and metrics endpoints. It holds wiring only; what moves
// each head lives in the component packages (see ARCHITECTURE.md).
package node

import (
	"context"
	"fmt"
	"net/http"
	"os"
	osexec "os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/derive"
	"github.com/opalnode/opal/core/follow"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/hostsvc"
	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/core/rpc"
	"github.com/opalnode/opal/core/runtimecfg"
	"github.com/opalnode/opal/core/sequencer"
	"github.com/opalnode/opal/core/statuspage"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
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
	opts Options
	// halt: where derivation and the sequencer stop (a chain that left
	// the OP Stack, a fork this opal does not implement); nil for none.
	halt    *config.Halt
	log     hclog.Logger
	metrics *metrics.Metrics
	store   *heads.Store
	writer  *heads.Writer
	tmpDir  string
	dataDir string
	host    *pluginhost.Host
	hostSvc hostsvc.Service
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
	rtcfg   *runtimecfg.Loader // the unsafe block signer; nil when the L1 handle cannot read storage
	status  statusBoard
	shadow  *shadowMode // A/B; nil when off
	// deriveRate and seqActive feed the status page.
	deriveRate statuspage.Rate
	seqActive  atomic.Bool
	metAddr    string
	observe    derive.Observer // the shadow runner as derivation tells it; nil when off
	rpc        *rpc.Server
	metSrv     *http.Server
	cancel     context.CancelFunc
	done       chan struct{}

	failOnce sync.Once
	failed   chan struct{}
	failErr  error
}

// New opens the node's store; Start does the rest.
func New(opts Options) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	n := &Node{opts: opts, log: opts.Logger, metrics: metrics.New(), done: make(chan struct{}), failed: make(chan struct{}),
		deriveRate: statuspage.Rate{Window: time.Minute}}
	n.metrics.SetInfo(opts.Version)
	halt, err := config.ForkHalt(opts.Rollup, time.Now(), opts.Config.Rollup.ForkHorizon)
	if err != nil {
		return nil, err
	}
	if halt != nil {
		n.halt = halt
		n.log.Warn("this chain has a point opal will not derive or build past", "timestamp", halt.Time,
			"at", time.Unix(int64(halt.Time), 0).UTC().Format(time.RFC3339), "why", halt.Reason)
	}
	dir := opts.Config.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "opal-data-")
		if err != nil {
			return nil, err
		}
		dir, n.tmpDir = tmp, tmp
		n.log.Info("no data dir given: using a temporary one, state is lost on exit", "dir", dir)
	}
	n.dataDir = dir
	st, err := heads.Open(dir)
	if err != nil {
		return nil, err
	}
	n.store = st
	return n, nil
}

// Start loads the plugins, restores the heads and starts every component.
// Any failure leaves nothing running.
func (n *Node) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			n.Stop()
		}
	}()
	n.lp = loop.New(n.log.Named("loop"), 1024, func(ev string, d time.Duration) {
		n.metrics.LoopDispatch.WithLabelValues(ev).Observe(d.Seconds())
	})
	if err := n.loadPlugins(ctx); err != nil {
		return err
	}
	if err := n.loadShadow(ctx); err != nil {
		return err
	}
	start, err := heads.Recover(ctx, n.handles.Engine, n.store, n.opts.Rollup.Genesis.L2.Number, n.log)
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
	if n.observe, err = n.assembleShadow(); err != nil {
		return err
	}
	n.assemble()
	n.hostSvc.Ready(n.handles.L1Source, n.handles.Engine, n.heads)
	if n.seq != nil {
		if err := n.seq.Init(true, n.opts.Config.Sequencer.Stopped); err != nil {
			return err
		}
	}
	n.status.publish(n.snapshot())
	if err := n.startServers(); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go l1view.Watch(runCtx, n.handles.L1Source, n.lp, n.log.Named("l1"))
	if n.following() {
		if err := n.startFollowing(runCtx); err != nil {
			return err
		}
	}
	if n.handles.P2P != nil {
		go n.receiveGossip(runCtx)
	}
	if n.rtcfg != nil {
		n.rtcfg.Start(runCtx)
	}
	n.startShadow()
	go func() {
		defer close(n.done)
		n.lp.Run(runCtx)
	}()
	n.lp.RequestStep()
	h := n.heads.Get()
	n.log.Info("opal started", "unsafe", h.Unsafe, "safe", h.Safe, "finalized", h.Finalized,
		"sequencer", n.opts.Config.Sequencer.Enabled)
	n.metrics.SetUp(true)
	return nil
}

// Failed is closed when the node stopped working on its own (a plugin with
// on_failure = "stop" exited); Err says why. The caller stops the node.
func (n *Node) Failed() <-chan struct{} { return n.failed }

// Err is why the node failed, or nil.
func (n *Node) Err() error {
	select {
	case <-n.failed:
		return n.failErr
	default:
		return nil
	}
}

// fail records the first fatal error and closes Failed.
func (n *Node) fail(err error) {
	n.failOnce.Do(func() {
		n.failErr = err
		n.log.Error("the node cannot go on", "err", err)
		close(n.failed)
	})
}

// RPCAddr is the address of the RPC listener.
func (n *Node) RPCAddr() string {
	if n.rpc == nil {
		return ""
	}
	return n.rpc.Addr()
}

// MetricsAddr is the address of the metrics listener (the status page is
// its root), or "" when it is off.
func (n *Node) MetricsAddr() string { return n.metAddr }

// Heads returns a snapshot of the heads.
func (n *Node) Heads() heads.Heads { return n.heads.Get() }

// UnsafeBlockSigner is the unsafe block signer last loaded from L1 and the
// L1 block it was read at; false before the first load (for status and
// RPC).
func (n *Node) UnsafeBlockSigner() (runtimecfg.Signer, bool) {
	if n.rtcfg == nil {
		return runtimecfg.Signer{}, false
	}
	return n.rtcfg.UnsafeBlockSigner()
}

// Stop stops everything Start started, in reverse order, and persists the
// heads.
func (n *Node) Stop() {
	n.metrics.SetUp(false)
	if n.cancel != nil {
		n.cancel()
		<-n.done
		if n.rtcfg != nil {
			n.rtcfg.Wait() // its L1 reads end before the plugins close
		}
		n.cancel = nil
	}
	n.stopShadow() // its reads of L1 and the engine end before the plugins close
	if n.rpc != nil {
		n.rpc.Close()
		n.rpc = nil
	}
	if n.metSrv != nil {
		_ = n.metSrv.Close()
		n.metSrv = nil
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
	ref, err := n.handles.Engine.L2BlockRefByNumber(ctx, number)
	return ref.Hash, err
}

// EngineBlockRef returns the engine's canonical L2 block at number.
func (n *Node) EngineBlockRef(ctx context.Context, number uint64) (eth.L2BlockRef, error) {
	return n.handles.Engine.L2BlockRefByNumber(ctx, number)
}

// PayloadByNumber returns the engine's canonical L2 block at number as a
// payload (for tools and tests relaying blocks).
func (n *Node) PayloadByNumber(ctx context.Context, number uint64) (*eth.ExecutionPayloadEnvelope, error) {
	return n.handles.Engine.PayloadByNumber(ctx, number)
}

// SequencerTimings returns how long each recently sequenced block took,
// split into opal's own work and the engine's (nil when not sequencing).
func (n *Node) SequencerTimings() []sequencer.BuildTiming {
	if n.seq == nil {
		return nil
	}
	return n.seq.Timings()
}

// Plugins returns the loaded plugin instances (status, and Kill for tests
// and operators).
func (n *Node) Plugins() map[sdk.Kind]*pluginhost.Instance { return n.host.Instances() }

// P2PStatus reports the p2p plugin's identity and peers; eth.ErrUnsupported
// when the node runs without p2p.
func (n *Node) P2PStatus(ctx context.Context) (p2p.Status, error) {
	if n.handles.P2P == nil {
		return p2p.Status{}, fmt.Errorf("%w: p2p is disabled", eth.ErrUnsupported)
	}
	return n.handles.P2P.Status(ctx)
}

// DerivationHalted is why derivation stopped for good (a critical error,
// or the chain's halt point), nil while it goes on or in follow mode.
func (n *Node) DerivationHalted() error {
	if n.derive == nil {
		return nil
	}
	return n.derive.Halted()
}
