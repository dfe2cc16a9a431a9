// Package stack runs a whole OP chain in one process: the devnet chain (an
// L1 with the deposit and system config contracts, an op-geth L2 engine),
// opal as the sequencer with its default plugins, and the batcher posting
// the sequencer's blocks to L1, from which opal derives the safe chain.
// `opal devnet` and the end-to-end tests start it.
package stack

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/builtin"
	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/node"
	"github.com/opalnode/opal/devnet/batcher"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/sdk"
)

// Options configure a stack.
type Options struct {
	// Chain configures the L1, the L2 and the rollup.
	Chain chain.Config
	// DataDir holds the chain's files and the sequencer's store; "" means a
	// temporary directory.
	DataDir string
	// RPCPort of the sequencer's opal RPC (0: any free port).
	RPCPort int
	// MetricsPort, when not 0, serves the sequencer's metrics there.
	MetricsPort int
	// Calldata makes the batcher post calldata instead of blobs.
	Calldata bool
	// NoBatcher leaves L1 without batches (the safe head then stays).
	NoBatcher bool
	// P2PPort is the sequencer's libp2p TCP port on 127.0.0.1 (0: any free
	// port). The sequencer always gossips its blocks; verifiers follow it
	// with FollowGossip.
	P2PPort int
	// NoP2P runs the sequencer without p2p.
	NoP2P bool
	// Plugins overrides plugin sections of the sequencer's config (e.g. an
	// external origin selector).
	Plugins map[string]config.Plugin
	// SelfCommand is how verifiers re-execute built-ins as processes (nil:
	// this executable; tests point it at a built opal binary).
	SelfCommand func(kind sdk.Kind, name string) (*exec.Cmd, error)
	Logger      hclog.Logger
}

// Stack is a running devnet.
type Stack struct {
	Chain     *chain.Chain
	Sequencer *node.Node
	Batcher   *batcher.Batcher
	opts      Options
	cancel    context.CancelFunc // stops the running batcher
	done      chan struct{}      // closed when the running batcher stopped
	verifiers []*node.Node
}

// Start brings everything up; on failure nothing is left running.
func Start(ctx context.Context, opts Options) (s *Stack, err error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	s = &Stack{opts: opts}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	ccfg := opts.Chain
	if opts.DataDir != "" {
		ccfg.DataDir = filepath.Join(opts.DataDir, "chain")
	}
	if ccfg.Logger == nil {
		ccfg.Logger = slog.New(slog.NewTextHandler(hclogWriter{opts.Logger.Named("devnet")}, nil))
	}
	if s.Chain, err = chain.New(ctx, ccfg); err != nil {
		return nil, fmt.Errorf("devnet chain: %w", err)
	}
	ep := s.Chain.Endpoints()
	cfg := config.Default()
	cfg.L1.RPC = ep.L1WS
	cfg.L1.Beacon = ep.L1Beacon
	cfg.L2.Engine = ep.L2Engine
	cfg.L2.JWTSecret = ep.L2JWTSecret
	cfg.Rollup.Config = s.Chain.File(chain.RollupFile)
	cfg.Rollup.L1ChainConfig = s.Chain.File(chain.L1GenesisFile)
	cfg.Sequencer.Enabled = true
	cfg.Sequencer.L1Confs = 0
	cfg.RPC.Port = opts.RPCPort
	cfg.RPC.EnableAdmin = true
	if opts.MetricsPort != 0 {
		cfg.Metrics.Enabled, cfg.Metrics.Port = true, opts.MetricsPort
	}
	if opts.DataDir != "" {
		cfg.DataDir = filepath.Join(opts.DataDir, "sequencer")
	}
	if opts.NoP2P {
		cfg.P2P.Disable = true
	} else {
		p := cfg.Plugins[string(sdk.P2P)]
		p.Config = loopbackP2P(opts.P2PPort)
		p.Config["sequencer_key"] = hexKey(s.Chain.Keys.Sequencer)
		cfg.Plugins[string(sdk.P2P)] = p
	}
	for kind, p := range opts.Plugins {
		cfg.Plugins[kind] = p
	}
	s.Sequencer, err = node.New(node.Options{Config: cfg, Rollup: s.Chain.Rollup, L1ChainConfig: s.Chain.L1.ChainConfig(),
		Catalog: builtin.Catalog(), Logger: opts.Logger.Named("sequencer"), Version: "devnet"})
	if err != nil {
		return nil, err
	}
	if err := s.Sequencer.Start(ctx); err != nil {
		s.Sequencer = nil
		return nil, fmt.Errorf("opal sequencer: %w", err)
	}
	if !opts.NoBatcher {
		if err := s.StartBatcher(s.Chain.Keys.Batcher); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// StartBatcher (re)starts the batcher, posting with key (which must be the
// system config's batcher for its data to count). A running batcher is
// stopped first.
func (s *Stack) StartBatcher(key *ecdsa.PrivateKey) error {
	s.stopBatcher()
	ep := s.Chain.Endpoints()
	bc := batcher.DefaultConfig()
	bc.Rollup = s.Chain.Rollup
	bc.L1RPC = ep.L1HTTP
	bc.L2RPC = ep.L2HTTP
	bc.Key = key
	bc.UpdatedBatcher = key != s.Chain.Keys.Batcher
	bc.L1ChainConfig = s.Chain.L1.ChainConfig()
	bc.UseBlobs = !s.opts.Calldata
	bc.Logger = s.opts.Logger.Named("batcher")
	b, err := batcher.New(bc)
	if err != nil {
		return fmt.Errorf("batcher: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Batcher, s.cancel, s.done = b, cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		if err := b.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.opts.Logger.Error("batcher stopped", "err", err)
		}
	}(s.done)
	return nil
}

func (s *Stack) stopBatcher() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.Batcher.Close()
	s.cancel, s.Batcher = nil, nil
}

// StartVerifier starts a second opal, deriving from L1 only, on its own
// op-geth made from the same genesis. adjust, when given, changes its
// config before it starts (e.g. plugins as processes).
func (s *Stack) StartVerifier(ctx context.Context, name string, adjust ...func(*config.Config)) (*node.Node, error) {
	eng, err := s.Chain.NewVerifierEngine(name)
	if err != nil {
		return nil, err
	}
	ep := s.Chain.Endpoints()
	cfg := config.Default()
	cfg.L1.RPC = ep.L1WS
	cfg.L1.Beacon = ep.L1Beacon
	cfg.L2.Engine = eng.EngineEndpoint()
	cfg.L2.JWTSecret = eng.JWTSecretPath()
	cfg.RPC.Port = 0
	// Verifiers derive from L1 only, unless FollowGossip peers them.
	cfg.P2P.Disable = true
	for _, f := range adjust {
		f(cfg)
	}
	n, err := node.New(node.Options{Config: cfg, Rollup: s.Chain.Rollup, L1ChainConfig: s.Chain.L1.ChainConfig(),
		Catalog: builtin.Catalog(), Logger: s.opts.Logger.Named(name), Version: "devnet", SelfCommand: s.opts.SelfCommand})
	if err != nil {
		return nil, err
	}
	if err := n.Start(ctx); err != nil {
		return nil, err
	}
	s.verifiers = append(s.verifiers, n)
	return n, nil
}

// loopbackP2P is a p2p table for a node on 127.0.0.1 with in-memory
// stores and no discovery: devnet peers find each other by static address.
// Each node gets a fresh node key (a devnet node has no identity to keep).
func loopbackP2P(port int) map[string]any {
	key, err := crypto.GenerateKey()
	if err != nil {
		panic(fmt.Sprintf("p2p node key: %v", err))
	}
	return map[string]any{
		"listen_ip": "127.0.0.1", "listen_tcp": port, "no_discovery": true,
		"peerstore_path": "memory", "discovery_path": "memory", "priv_raw": hexKey(key),
	}
}

func hexKey(k *ecdsa.PrivateKey) string { return hex.EncodeToString(crypto.FromECDSA(k)) }

// FollowGossip makes a verifier gossip on loopback, peered with addrs by
// --p2p.static (the sequencer's P2PAddr, or another verifier's).
func FollowGossip(addrs ...string) func(*config.Config) {
	return func(cfg *config.Config) {
		cfg.P2P.Disable = false
		p := cfg.Plugins[string(sdk.P2P)]
		p.Config = loopbackP2P(0)
		p.Config["static"] = strings.Join(addrs, ",")
		cfg.Plugins[string(sdk.P2P)] = p
	}
}

// P2PAddr is the sequencer's full libp2p address (with /p2p/<id>), for
// --p2p.static; "" when it runs without p2p.
func (s *Stack) P2PAddr(ctx context.Context) string {
	if s.Sequencer == nil {
		return ""
	}
	return NodeP2PAddr(ctx, s.Sequencer)
}

// NodeP2PAddr is a node's first libp2p address, "" without p2p.
func NodeP2PAddr(ctx context.Context, n *node.Node) string {
	st, err := n.P2PStatus(ctx)
	if err != nil || len(st.ListenAddrs) == 0 {
		return ""
	}
	return st.ListenAddrs[0]
}

// Close stops everything, newest first.
func (s *Stack) Close() {
	s.stopBatcher()
	for _, v := range s.verifiers {
		v.Stop()
	}
	if s.Sequencer != nil {
		s.Sequencer.Stop()
	}
	if s.Chain != nil {
		_ = s.Chain.Close()
	}
}

// hclogWriter adapts the devnet's slog output to the node's logger.
type hclogWriter struct{ l hclog.Logger }

func (w hclogWriter) Write(p []byte) (int, error) {
	w.l.Info(string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && p[len(p)-1] == '\n' {
		p = p[:len(p)-1]
	}
	return p
}

// L1Head is the number of the L1 head block.
func (s *Stack) L1Head() uint64 { return s.Chain.L1.Eth().BlockChain().CurrentBlock().Number.Uint64() }
