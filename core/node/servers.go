package node

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opalnode/opal/core/backoff"
	"github.com/opalnode/opal/core/rpc"
	"github.com/opalnode/opal/core/statuspage"
	"github.com/opalnode/opal/core/superroot"
	"github.com/opalnode/opal/core/unsafesync"
	"github.com/opalnode/opal/sdk/p2p"
)

// startServers starts the RPC listener and, when enabled, the metrics one.
func (n *Node) startServers() error {
	cfg := n.opts.Config
	apis := []gethrpc.API{
		{Namespace: "optimism", Service: rpc.NewOptimismAPI(n.opts.Rollup, &n.status, n.handles.Engine, safeIndex{n}, n.opts.Version)},
		{Namespace: "opal", Service: rpc.NewOpalAPI(n.host, n.abAPI())},
		{Namespace: "superroot", Service: superroot.NewAPI(n.opts.Rollup, n.superrootStatus, n.handles.Engine, safeIndex{n})},
	}
	if cfg.RPC.EnableAdmin {
		apis = append(apis, gethrpc.API{Namespace: "admin", Service: rpc.NewAdminAPI(admin{n})})
	}
	if admin, ok := n.handles.P2P.(rpc.P2PAdmin); ok {
		apis = append(apis, gethrpc.API{Namespace: "opp2p", Service: rpc.NewP2PAPI(admin)})
	}
	if cfg.RPC.EnableAdmin && !isLoopback(cfg.RPC.Addr) {
		n.log.Warn("the admin API is served on a non-loopback address: anyone who can reach it can stop the sequencer or post payloads",
			"addr", cfg.RPC.Addr)
	}
	lim := rpc.Limits{MaxRequestBytes: cfg.RPC.MaxRequestBytes, BatchLimit: cfg.RPC.BatchLimit,
		BatchMaxBytes: cfg.RPC.BatchMaxBytes, MaxConnections: cfg.RPC.MaxConnections}
	srv, err := rpc.Start(cfg.RPC.Addr, cfg.RPC.Port, apis, lim, n.log.Named("rpc"))
	if err != nil {
		return err
	}
	n.rpc = srv
	if !cfg.Metrics.Enabled {
		return nil
	}
	if n.handles.P2P != nil {
		n.metrics.WatchP2P(n.handles.P2P)
	}
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
	if cfg.Metrics.StatusPage {
		mux.Handle("/", statuspage.Handler(n.statusPage))
	}
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
	n.metAddr = ln.Addr().String()
	n.log.Info("metrics listening", "addr", "http://"+n.metAddr+"/metrics")
	if cfg.Metrics.StatusPage {
		n.log.Info("status page", "url", "http://"+n.metAddr+"/")
	}
	return nil
}

// receiveGossip hands validated gossip to the unsafe queue (dropped when
// the loop is too busy: gossip is best effort, gaps are asked for again),
// subscribing again with backoff when the stream ends.
func (n *Node) receiveGossip(ctx context.Context) {
	b := backoff.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	for ctx.Err() == nil {
		err := n.handles.P2P.Payloads(ctx, func(r p2p.Received) {
			if !n.lp.TryEmit(unsafesync.Payload{Envelope: r.Envelope, Source: "p2p " + r.PeerID}) {
				n.metrics.UnsafePayloads.WithLabelValues("dropped_busy").Inc()
			}
		})
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("gossip stream ended, resubscribing", "err", err)
		if b.Wait(ctx) != nil {
			return
		}
	}
}

// isLoopback reports whether a listen address only accepts local
// connections.
func isLoopback(addr string) bool {
	if addr == "localhost" {
		return true
	}
	ip := net.ParseIP(addr)
	return ip != nil && ip.IsLoopback()
}
