// Package rpc serves the node's JSON-RPC (HTTP and WebSocket on one port):
// optimism_* in op-node's shapes, opal_*, and admin_* when enabled. It reads
// what the loop publishes and sends commands to the loop; it never touches
// the loop's state itself.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/net/netutil"

	"github.com/opalnode/opal/core/ab"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// SyncStatus is optimism_syncStatus's answer, with op-node's JSON names.
type SyncStatus struct {
	CurrentL1          eth.L1BlockRef `json:"current_l1"`
	CurrentL1Finalized eth.L1BlockRef `json:"current_l1_finalized"`
	HeadL1             eth.L1BlockRef `json:"head_l1"`
	SafeL1             eth.L1BlockRef `json:"safe_l1"`
	FinalizedL1        eth.L1BlockRef `json:"finalized_l1"`
	UnsafeL2           eth.L2BlockRef `json:"unsafe_l2"`
	SafeL2             eth.L2BlockRef `json:"safe_l2"`
	FinalizedL2        eth.L2BlockRef `json:"finalized_l2"`
	PendingSafeL2      eth.L2BlockRef `json:"pending_safe_l2"`
	CrossUnsafeL2      eth.L2BlockRef `json:"cross_unsafe_l2"`
	LocalSafeL2        eth.L2BlockRef `json:"local_safe_l2"`
}

// OutputResponse is optimism_outputAtBlock's answer.
type OutputResponse struct {
	Version               eth.Bytes32    `json:"version"`
	OutputRoot            eth.Bytes32    `json:"outputRoot"`
	BlockRef              eth.L2BlockRef `json:"blockRef"`
	WithdrawalStorageRoot common.Hash    `json:"withdrawalStorageRoot"`
	StateRoot             common.Hash    `json:"stateRoot"`
	Status                *SyncStatus    `json:"syncStatus"`
}

// SafeHeadResponse is optimism_safeHeadAtL1Block's answer.
type SafeHeadResponse struct {
	L1Block  eth.BlockID `json:"l1Block"`
	SafeHead eth.BlockID `json:"safeHead"`
}

// OutputRootV0 computes the version-0 output root:
// keccak256(version ‖ stateRoot ‖ messagePasserStorageRoot ‖ blockHash).
func OutputRootV0(o engine.OutputV0) eth.Bytes32 { return eth.Bytes32(o.Root()) }

// Status gives the RPC the node's sync status, safely from any goroutine
// (the snapshot the loop published after its last dispatch).
type Status interface {
	SyncStatus() *SyncStatus
}

// Chain reads the node's L2 chain (the engine).
type Chain interface {
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	OutputV0AtBlock(ctx context.Context, hash common.Hash) (engine.OutputV0, error)
}

// SafeIndex is the safe-head-by-L1 index.
type SafeIndex interface {
	// Flush commits queued index entries before a read.
	Flush() error
	SafeHeadAt(l1Number uint64) (heads.SafeHeadEntry, error)
}

// OptimismAPI serves the optimism_* namespace.
type OptimismAPI struct {
	cfg     *rollup.Config
	status  Status
	chain   Chain
	index   SafeIndex
	version string
}

// NewOptimismAPI builds the optimism_* service.
func NewOptimismAPI(cfg *rollup.Config, status Status, chain Chain, index SafeIndex, version string) *OptimismAPI {
	return &OptimismAPI{cfg: cfg, status: status, chain: chain, index: index, version: version}
}

func (a *OptimismAPI) SyncStatus(context.Context) (*SyncStatus, error) {
	return a.status.SyncStatus(), nil
}

func (a *OptimismAPI) RollupConfig(context.Context) (*rollup.Config, error) { return a.cfg, nil }

func (a *OptimismAPI) Version(context.Context) (string, error) { return a.version, nil }

func (a *OptimismAPI) OutputAtBlock(ctx context.Context, number hexutil.Uint64) (*OutputResponse, error) {
	ref, err := a.chain.L2BlockRefByNumber(ctx, uint64(number))
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", uint64(number), err)
	}
	out, err := a.chain.OutputV0AtBlock(ctx, ref.Hash)
	if err != nil {
		return nil, fmt.Errorf("output at block %d: %w", uint64(number), err)
	}
	return &OutputResponse{
		OutputRoot:            OutputRootV0(out),
		BlockRef:              ref,
		WithdrawalStorageRoot: out.MessagePasserStorageRoot,
		StateRoot:             out.StateRoot,
		Status:                a.status.SyncStatus(),
	}, nil
}

func (a *OptimismAPI) SafeHeadAtL1Block(_ context.Context, l1Number hexutil.Uint64) (*SafeHeadResponse, error) {
	if err := a.index.Flush(); err != nil {
		return nil, err
	}
	e, err := a.index.SafeHeadAt(uint64(l1Number))
	if err != nil {
		return nil, err
	}
	return &SafeHeadResponse{L1Block: e.L1, SafeHead: e.SafeL2}, nil
}

// Plugins lists the loaded plugins.
type Plugins interface {
	Instances() map[sdk.Kind]*pluginhost.Instance
}

// AB is A/B shadow mode as the RPC reads it.
type AB interface {
	Status() ab.Status
	Divergences(from uint64, limit int) ([]ab.Divergence, error)
	Stored() int
}

// OpalAPI serves opal_*: what op-node has no equivalent for.
type OpalAPI struct {
	plugins Plugins
	ab      AB
}

// NewOpalAPI builds the opal_* service; a is nil when A/B is off.
func NewOpalAPI(p Plugins, a AB) *OpalAPI { return &OpalAPI{plugins: p, ab: a} }

// ABStatus is opal_abStatus's answer.
type ABStatus struct {
	Enabled bool `json:"enabled"`
	ab.Status
	// Stored is how many divergences the on-disk store holds.
	Stored int `json:"stored"`
}

// errABOff answers the A/B methods of a node without a shadow deriver.
var errABOff = errors.New("A/B is off: name a shadow deriver with [ab.deriver] or --ab.deriver")

// AbStatus is opal_abStatus: the shadow deriver's state and counts.
func (a *OpalAPI) AbStatus(context.Context) (*ABStatus, error) {
	if a.ab == nil {
		return &ABStatus{}, nil
	}
	return &ABStatus{Enabled: true, Status: a.ab.Status(), Stored: a.ab.Stored()}, nil
}

// abPage bounds one opal_abDivergences answer.
const abPage = 1000

// AbDivergences is opal_abDivergences: the stored divergences of L2
// blocks at or above from, in block order, at most limit (default and
// maximum 1000).
func (a *OpalAPI) AbDivergences(_ context.Context, from hexutil.Uint64, limit *int) ([]ab.Divergence, error) {
	if a.ab == nil {
		return nil, errABOff
	}
	n := abPage
	if limit != nil {
		if *limit <= 0 {
			return nil, fmt.Errorf("limit must be positive, got %d", *limit)
		}
		n = min(*limit, abPage)
	}
	return a.ab.Divergences(uint64(from), n)
}

// PluginStatus lists every loaded plugin: kind, implementation, mode,
// contract version, restarts and last error.
func (a *OpalAPI) PluginStatus(context.Context) ([]pluginhost.Status, error) {
	var out []pluginhost.Status
	insts := a.plugins.Instances()
	for _, k := range sdk.Kinds {
		if inst, ok := insts[k]; ok {
			out = append(out, inst.Status())
		}
	}
	return out, nil
}

// Admin runs the admin commands on the node's loop.
type Admin interface {
	ResetDerivation(ctx context.Context) error
	StartSequencer(ctx context.Context, unsafeHead common.Hash) error
	StopSequencer(ctx context.Context) (common.Hash, error)
	SequencerActive(ctx context.Context) (bool, error)
	PostUnsafePayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error
}

// AdminAPI serves admin_* (only when enabled).
type AdminAPI struct{ admin Admin }

// NewAdminAPI builds the admin_* service.
func NewAdminAPI(a Admin) *AdminAPI { return &AdminAPI{admin: a} }

func (a *AdminAPI) ResetDerivationPipeline(ctx context.Context) error {
	return a.admin.ResetDerivation(ctx)
}

func (a *AdminAPI) StartSequencer(ctx context.Context, unsafeHead common.Hash) error {
	return a.admin.StartSequencer(ctx, unsafeHead)
}

func (a *AdminAPI) StopSequencer(ctx context.Context) (common.Hash, error) {
	return a.admin.StopSequencer(ctx)
}

func (a *AdminAPI) SequencerActive(ctx context.Context) (bool, error) {
	return a.admin.SequencerActive(ctx)
}

func (a *AdminAPI) PostUnsafePayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
	if env == nil || env.ExecutionPayload == nil {
		return errors.New("empty payload envelope")
	}
	return a.admin.PostUnsafePayload(ctx, env)
}

// Server is the node's JSON-RPC listener (HTTP and WebSocket on one port).
type Server struct {
	srv  *rpc.Server
	http *http.Server
	ln   net.Listener
}

// Limits bound what one client can make the server hold. A zero field
// keeps go-ethereum's server default: 5 MiB requests and messages, no
// batch limits, no connection limit (the node's config sets all four).
type Limits struct {
	// MaxRequestBytes is the largest HTTP request body, and the largest
	// WebSocket message; larger HTTP requests get 413.
	MaxRequestBytes int
	// BatchLimit is the most calls in one batch, BatchMaxBytes the largest
	// batch response; past either, the calls left get an error response.
	BatchLimit, BatchMaxBytes int
	// MaxConnections is the most connections open at once; further ones
	// wait in the listen queue until one closes.
	MaxConnections int
}

// Start registers the services and listens on addr:port (0: any port).
func Start(addr string, port int, apis []rpc.API, lim Limits, log hclog.Logger) (*Server, error) {
	srv := rpc.NewServer()
	if lim.MaxRequestBytes > 0 {
		srv.SetHTTPBodyLimit(lim.MaxRequestBytes)
		srv.SetWebsocketReadLimit(int64(lim.MaxRequestBytes))
	}
	if lim.BatchLimit > 0 || lim.BatchMaxBytes > 0 {
		srv.SetBatchLimits(lim.BatchLimit, lim.BatchMaxBytes) // 0: that one unlimited
	}
	for _, api := range apis {
		if err := srv.RegisterName(api.Namespace, api.Service); err != nil {
			return nil, fmt.Errorf("rpc: register %s: %w", api.Namespace, err)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("rpc: listen on %s:%d: %w", addr, port, err)
	}
	if lim.MaxConnections > 0 {
		ln = netutil.LimitListener(ln, lim.MaxConnections)
	}
	ws := srv.WebsocketHandler([]string{"*"})
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "websocket" {
			ws.ServeHTTP(w, r)
			return
		}
		srv.ServeHTTP(w, r)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("rpc server stopped", "err", err)
		}
	}()
	log.Info("RPC server listening", "addr", "http://"+ln.Addr().String())
	return &Server{srv: srv, http: hs, ln: ln}, nil
}

// Addr returns the listening address.
func (r *Server) Addr() string { return r.ln.Addr().String() }

// Close stops serving.
func (r *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.http.Shutdown(ctx)
	r.srv.Stop()
}
