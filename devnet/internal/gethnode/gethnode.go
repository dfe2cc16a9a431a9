// Package gethnode starts an in-process go-ethereum (op-geth) node the way
// both devnet chains need it: in-memory databases (or on disk when asked), no peers, JSON-RPC over
// HTTP and WebSocket on loopback at a free port, and the log filter API
// that the geth command adds outside eth.New (without it eth_getLogs and
// log subscriptions do not exist), plus the tracing API.
package gethnode

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/eth/tracers"
	_ "github.com/ethereum/go-ethereum/eth/tracers/native" // callTracer, prestateTracer, ...
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rpc"
)

// Loopback is the only interface the devnet listens on.
const Loopback = "127.0.0.1"

// Modules are the JSON-RPC namespaces served to users.
var Modules = []string{"eth", "net", "web3", "txpool", "debug"}

// Config describes one node.
type Config struct {
	// Name tells the nodes apart in logs.
	Name    string
	Genesis *core.Genesis
	// GasCeil is the block gas limit the local miner aims for; 0 keeps
	// the genesis gas limit.
	GasCeil uint64
	// JWTSecretFile, when set, serves the Engine API (catalyst) on its
	// own loopback port, authenticated with the secret in that file.
	JWTSecretFile string
	// Recommit is how often the miner rebuilds a payload in the making
	// with newer transactions; 0 keeps geth's default.
	Recommit time.Duration
	// DataDir keeps the chain on disk there; "" keeps it in memory.
	DataDir string
}

// Start builds and starts the node. The caller owns the returned stack and
// closes it.
func Start(cfg Config) (*node.Node, *eth.Ethereum, error) {
	ncfg := &node.Config{
		Name:        cfg.Name,
		DataDir:     cfg.DataDir,
		HTTPHost:    Loopback,
		HTTPModules: Modules,
		WSHost:      Loopback,
		WSModules:   Modules,
		P2P:         p2p.Config{NoDiscovery: true, NoDial: true, MaxPeers: 0},
	}
	if cfg.JWTSecretFile != "" {
		ncfg.AuthAddr = Loopback
		ncfg.JWTSecret = cfg.JWTSecretFile
	}
	stack, err := node.New(ncfg)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: node: %w", cfg.Name, err)
	}
	ecfg := ethconfig.Defaults
	ecfg.Genesis = cfg.Genesis
	ecfg.NetworkId = cfg.Genesis.Config.ChainID.Uint64()
	ecfg.SyncMode = ethconfig.FullSync
	ecfg.Miner.GasCeil = cfg.GasCeil
	if ecfg.Miner.GasCeil == 0 {
		ecfg.Miner.GasCeil = cfg.Genesis.GasLimit
	}
	if cfg.Recommit != 0 {
		ecfg.Miner.Recommit = cfg.Recommit
	}
	backend, err := eth.New(stack, &ecfg)
	if err != nil {
		stack.Close()
		return nil, nil, fmt.Errorf("%s: eth: %w", cfg.Name, err)
	}
	fs := filters.NewFilterSystem(backend.APIBackend, filters.Config{
		LogCacheSize:  ecfg.FilterLogCacheSize,
		LogQueryLimit: ecfg.LogQueryLimit,
		RangeLimit:    ecfg.RangeLimit,
	})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(fs)}})
	// debug_trace*, which the geth command also registers on its own.
	stack.RegisterAPIs(tracers.APIs(backend.APIBackend))
	if cfg.JWTSecretFile != "" {
		if err := catalyst.Register(stack, backend); err != nil {
			stack.Close()
			return nil, nil, fmt.Errorf("%s: engine api: %w", cfg.Name, err)
		}
	}
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, nil, fmt.Errorf("%s: start: %w", cfg.Name, err)
	}
	// No peers will ever sync it: it is the chain.
	backend.SetSynced()
	return stack, backend, nil
}
