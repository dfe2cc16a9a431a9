package node

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

	"github.com/opalnode/opal/core/derive"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/core/sequencer"
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

// statusSource gives the RPC what it reports, safely from any goroutine.
type statusSource interface {
	syncStatus() *SyncStatus
}

// optimismAPI serves the optimism_* namespace.
type optimismAPI struct {
	cfg     *rollup.Config
	status  statusSource
	engine  func() engine.Engine
	store   *heads.Store
	flush   func() error // commits queued index entries before a read
	version string
}

func (a *optimismAPI) SyncStatus(context.Context) (*SyncStatus, error) {
	return a.status.syncStatus(), nil
}

func (a *optimismAPI) RollupConfig(context.Context) (*rollup.Config, error) { return a.cfg, nil }

func (a *optimismAPI) Version(context.Context) (string, error) { return a.version, nil }

func (a *optimismAPI) OutputAtBlock(ctx context.Context, number hexutil.Uint64) (*OutputResponse, error) {
	ref, err := a.engine().L2BlockRefByNumber(ctx, uint64(number))
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", uint64(number), err)
	}
	out, err := a.engine().OutputV0AtBlock(ctx, ref.Hash)
	if err != nil {
		return nil, fmt.Errorf("output at block %d: %w", uint64(number), err)
	}
	return &OutputResponse{
		OutputRoot:            OutputRootV0(out),
		BlockRef:              ref,
		WithdrawalStorageRoot: out.MessagePasserStorageRoot,
		StateRoot:             out.StateRoot,
		Status:                a.status.syncStatus(),
	}, nil
}

func (a *optimismAPI) SafeHeadAtL1Block(_ context.Context, l1Number hexutil.Uint64) (*SafeHeadResponse, error) {
	if err := a.flush(); err != nil {
		return nil, err
	}
	e, err := a.store.SafeHeadAt(uint64(l1Number))
	if err != nil {
		return nil, err
	}
	return &SafeHeadResponse{L1Block: e.L1, SafeHead: e.SafeL2}, nil
}

// opalAPI serves opal_*: what op-node has no equivalent for.
type opalAPI struct {
	host *pluginhost.Host
}

// PluginStatus lists every loaded plugin: kind, implementation, mode,
// contract version, restarts and last error.
func (a *opalAPI) PluginStatus(context.Context) ([]pluginhost.Status, error) {
	var out []pluginhost.Status
	insts := a.host.Instances()
	for _, k := range sdk.Kinds {
		if inst, ok := insts[k]; ok {
			out = append(out, inst.Status())
		}
	}
	return out, nil
}

// adminAPI serves admin_* (only when enabled). Commands run on the loop.
type adminAPI struct {
	run       func(ctx context.Context, name string, fn func(context.Context) error) error
	seq       *sequencer.Sequencer
	derive    *derive.Derivation
	postInput func(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error
}

func (a *adminAPI) ResetDerivationPipeline(ctx context.Context) error {
	if a.derive == nil {
		return errors.New("derivation is off: the node follows another node's safe head (l2.follow.source)")
	}
	return a.run(ctx, "resetDerivationPipeline", func(context.Context) error {
		a.derive.RequestReset()
		return nil
	})
}

func (a *adminAPI) StartSequencer(ctx context.Context, unsafeHead common.Hash) error {
	if a.seq == nil {
		return errors.New("sequencer not enabled")
	}
	return a.run(ctx, "startSequencer", func(ctx context.Context) error { return a.seq.Start(ctx, unsafeHead) })
}

func (a *adminAPI) StopSequencer(ctx context.Context) (common.Hash, error) {
	if a.seq == nil {
		return common.Hash{}, errors.New("sequencer not enabled")
	}
	var last common.Hash
	err := a.run(ctx, "stopSequencer", func(ctx context.Context) error {
		var err error
		last, err = a.seq.Stop()
		return err
	})
	return last, err
}

func (a *adminAPI) SequencerActive(ctx context.Context) (bool, error) {
	if a.seq == nil {
		return false, nil
	}
	var active bool
	err := a.run(ctx, "sequencerActive", func(context.Context) error { active = a.seq.Active(); return nil })
	return active, err
}

func (a *adminAPI) PostUnsafePayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
	if env == nil || env.ExecutionPayload == nil {
		return errors.New("empty payload envelope")
	}
	return a.postInput(ctx, env)
}

// rpcServer is the node's JSON-RPC listener (HTTP and WebSocket on one port).
type rpcServer struct {
	srv  *rpc.Server
	http *http.Server
	ln   net.Listener
}

func startRPC(addr string, port int, apis []rpc.API, log hclog.Logger) (*rpcServer, error) {
	srv := rpc.NewServer()
	for _, api := range apis {
		if err := srv.RegisterName(api.Namespace, api.Service); err != nil {
			return nil, fmt.Errorf("rpc: register %s: %w", api.Namespace, err)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("rpc: listen on %s:%d: %w", addr, port, err)
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
	return &rpcServer{srv: srv, http: hs, ln: ln}, nil
}

// Addr returns the listening address.
func (r *rpcServer) Addr() string { return r.ln.Addr().String() }

func (r *rpcServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.http.Shutdown(ctx)
	r.srv.Stop()
}
