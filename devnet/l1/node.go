// Package l1 runs the devnet's L1 in-process: a go-ethereum dev chain
// served over JSON-RPC (HTTP and WebSocket) on loopback, a block producer
// standing in for the consensus layer (blocks on a slot clock or on
// demand, safe and finalized labels trailing the head, reorgs on request),
// and the slice of the beacon API a rollup node reads blobs through.
//
// The producer drives geth's miner and block import directly rather than
// through catalyst's SimulatedBeacon: the simulated beacon stamps blocks
// with the wall clock (two blocks can share a beacon slot), and every block
// it seals overwrites the safe and finalized labels with its own rule
// (safe = head, finalized on 32-block epochs), which would move finalized
// backwards under a lagging label.
package l1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/devnet/internal/gethnode"
)

// Node is a running L1.
type Node struct {
	cfg     Config
	genesis *core.Genesis
	stack   *node.Node
	eth     *eth.Ethereum
	blobs   *blobStore
	beacon  *beaconServer

	// mu serialises block production: the slot loop, Commit and Reorg.
	mu sync.Mutex

	quit     chan struct{}
	done     chan struct{}
	closeErr error
	once     sync.Once
}

// New starts an L1 with cfg and, unless cfg.OnDemand, its block clock.
func New(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := genesis(cfg)
	stack, backend, err := gethnode.Start(gethnode.Config{Name: "opal-devnet-l1", Genesis: g, Recommit: recommit, DataDir: cfg.DataDir})
	if err != nil {
		return nil, fmt.Errorf("l1: %w", err)
	}
	n := &Node{
		cfg:     cfg,
		genesis: g,
		stack:   stack,
		eth:     backend,
		blobs:   newBlobStore(cfg.BlobRetention, blobDir(cfg.DataDir)),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	// A fresh chain starts with its labels on genesis; a chain reopened from
	// disk keeps them where they were.
	if bc := backend.BlockChain(); bc.CurrentFinalBlock() == nil {
		gen := bc.Genesis().Header()
		bc.SetSafe(gen)
		bc.SetFinalized(gen)
	}
	n.beacon, err = startBeacon(n)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("l1: beacon api: %w", err)
	}
	if cfg.OnDemand {
		close(n.done)
	} else {
		go n.run()
	}
	return n, nil
}

// Close stops block production and the servers. It is safe to call more
// than once.
func (n *Node) Close() error {
	n.once.Do(func() {
		close(n.quit)
		<-n.done
		n.mu.Lock() // wait for a Commit or Reorg in flight
		defer n.mu.Unlock()
		n.closeErr = errors.Join(n.beacon.close(), n.stack.Close())
	})
	return n.closeErr
}

// HTTPEndpoint is the JSON-RPC URL over HTTP.
func (n *Node) HTTPEndpoint() string { return n.stack.HTTPEndpoint() }

// WSEndpoint is the JSON-RPC URL over WebSocket.
func (n *Node) WSEndpoint() string { return n.stack.WSEndpoint() }

// BeaconEndpoint is the base URL of the beacon API.
func (n *Node) BeaconEndpoint() string { return n.beacon.url }

// Eth is the geth backend, for in-process access by tests and tools.
func (n *Node) Eth() *eth.Ethereum { return n.eth }

// ChainConfig is the L1 chain config. Rollup nodes need it to compute the
// blob base fee of L1 blocks (op-node's --rollup.l1-chain-config).
func (n *Node) ChainConfig() *params.ChainConfig { return n.genesis.Config }

// Genesis is the genesis specification the chain started from.
func (n *Node) Genesis() *core.Genesis { return n.genesis }

// GenesisBlock is block 0.
func (n *Node) GenesisBlock() *types.Block { return n.eth.BlockChain().Genesis() }

// SlotTime is the seconds per slot.
func (n *Node) SlotTime() uint64 { return n.cfg.SlotTime }

// Slot is the beacon slot of an L1 block time.
func (n *Node) Slot(blockTime uint64) uint64 {
	return (blockTime - n.genesis.Timestamp) / n.cfg.SlotTime
}

// WriteGenesis writes the genesis as geth's genesis JSON, which is also the
// L1 chain config file a rollup node reads.
func (n *Node) WriteGenesis(path string) error { return WriteGenesis(n.genesis, path) }

// WriteGenesis writes g as indented genesis JSON.
func WriteGenesis(g *core.Genesis, path string) error {
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// lifetime returns a context cancelled when the node closes, for the
// block loop.
func (n *Node) lifetime() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-n.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// blobDir is where sidecars are kept for a chain on disk.
func blobDir(dataDir string) string {
	if dataDir == "" {
		return ""
	}
	return filepath.Join(dataDir, "blobs")
}
