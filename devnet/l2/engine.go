package l2

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/node"

	"github.com/opalnode/opal/devnet/internal/gethnode"
)

// Config describes one engine.
type Config struct {
	// Name tells engines apart in logs; default "opal-devnet-l2".
	Name    string
	Genesis *core.Genesis
	// JWTSecretPath is where a fresh JWT secret is written (hex, as
	// op-node's --l2.jwt-secret reads it) for the Engine API. Required.
	JWTSecretPath string
	// DataDir keeps the chain on disk; "" keeps it in memory.
	DataDir string
}

// Engine is a running op-geth. Its state lives in memory unless a data dir is given.
type Engine struct {
	stack   *node.Node
	eth     *eth.Ethereum
	genesis *core.Genesis
	jwtPath string
	secret  [32]byte

	once     sync.Once
	closeErr error
}

// Start writes a new JWT secret and starts op-geth on cfg.Genesis.
func Start(cfg Config) (*Engine, error) {
	if cfg.Genesis == nil || cfg.Genesis.Config == nil || cfg.Genesis.Config.Optimism == nil {
		return nil, errors.New("l2: an OP genesis is required")
	}
	if cfg.JWTSecretPath == "" {
		return nil, errors.New("l2: a JWT secret path is required")
	}
	if cfg.Name == "" {
		cfg.Name = "opal-devnet-l2"
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfg.JWTSecretPath, []byte("0x"+hex.EncodeToString(secret[:])+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("l2: jwt secret: %w", err)
	}
	stack, backend, err := gethnode.Start(gethnode.Config{
		Name:          cfg.Name,
		Genesis:       cfg.Genesis,
		JWTSecretFile: cfg.JWTSecretPath,
		DataDir:       cfg.DataDir,
	})
	if err != nil {
		return nil, fmt.Errorf("l2: %w", err)
	}
	return &Engine{stack: stack, eth: backend, genesis: cfg.Genesis, jwtPath: cfg.JWTSecretPath, secret: secret}, nil
}

// Close stops the engine. It is safe to call more than once.
func (e *Engine) Close() error {
	e.once.Do(func() { e.closeErr = e.stack.Close() })
	return e.closeErr
}

// EngineEndpoint is the Engine API URL over HTTP (JWT required).
func (e *Engine) EngineEndpoint() string { return e.stack.HTTPAuthEndpoint() }

// EngineWSEndpoint is the Engine API URL over WebSocket (JWT required).
func (e *Engine) EngineWSEndpoint() string { return e.stack.WSAuthEndpoint() }

// HTTPEndpoint is the user JSON-RPC URL over HTTP.
func (e *Engine) HTTPEndpoint() string { return e.stack.HTTPEndpoint() }

// WSEndpoint is the user JSON-RPC URL over WebSocket.
func (e *Engine) WSEndpoint() string { return e.stack.WSEndpoint() }

// JWTSecret is the Engine API secret.
func (e *Engine) JWTSecret() [32]byte { return e.secret }

// JWTSecretPath is the file holding the secret.
func (e *Engine) JWTSecretPath() string { return e.jwtPath }

// Genesis is the genesis specification the engine started from.
func (e *Engine) Genesis() *core.Genesis { return e.genesis }

// GenesisBlock is block 0.
func (e *Engine) GenesisBlock() *types.Block { return e.eth.BlockChain().Genesis() }

// Eth is the op-geth backend, for in-process access by tests and tools.
func (e *Engine) Eth() *eth.Ethereum { return e.eth }
