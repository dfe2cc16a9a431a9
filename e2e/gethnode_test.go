package e2e

import (
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	gethlog "github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/miner"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// gethNode is an in-process go-ethereum (op-geth) node on loopback.
type gethNode struct {
	stack   *node.Node
	eth     *eth.Ethereum
	http    string // eth JSON-RPC
	auth    string // engine API
	jwtFile string
}

func readGenesis(t *testing.T, path string) *core.Genesis {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g core.Genesis
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &g
}

// startGeth runs a node from genesis with HTTP on a free loopback port and,
// when engine is set, the authenticated Engine API with a fresh JWT secret.
func startGeth(t *testing.T, genesis *core.Genesis, engine bool) *gethNode {
	t.Helper()
	gethlog.SetDefault(gethlog.NewLogger(gethlog.DiscardHandler()))
	cfg := &node.Config{
		Name:     "opal-e2e",
		DataDir:  "", // in memory
		HTTPHost: "127.0.0.1", HTTPPort: 0, HTTPModules: []string{"eth", "net", "web3", "debug"},
		P2P: p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""},
	}
	g := &gethNode{}
	if engine {
		var secret [32]byte
		if _, err := rand.Read(secret[:]); err != nil {
			t.Fatal(err)
		}
		g.jwtFile = filepath.Join(t.TempDir(), "jwt.txt")
		if err := os.WriteFile(g.jwtFile, []byte(hex.EncodeToString(secret[:])), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg.AuthAddr, cfg.AuthPort, cfg.JWTSecret = "127.0.0.1", 0, g.jwtFile
	}
	stack, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ecfg := ethconfig.Defaults
	ecfg.Genesis = genesis
	ecfg.NetworkId = genesis.Config.ChainID.Uint64()
	ecfg.SyncMode = ethconfig.FullSync
	ecfg.Miner = miner.DefaultConfig
	backend, err := eth.New(stack, &ecfg)
	if err != nil {
		stack.Close()
		t.Fatal(err)
	}
	if engine {
		if err := catalyst.Register(stack, backend); err != nil {
			stack.Close()
			t.Fatal(err)
		}
	}
	if err := stack.Start(); err != nil {
		stack.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Close() })
	backend.SetSynced()
	g.stack, g.eth, g.http = stack, backend, stack.HTTPEndpoint()
	if engine {
		g.auth = stack.HTTPAuthEndpoint()
	}
	return g
}

// importChain inserts the blocks of a gzipped RLP export (geth's export
// format) into the node's chain.
func (g *gethNode) importChain(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	stream := rlp.NewStream(zr, 0)
	var blocks types.Blocks
	for {
		var b types.Block
		if err := stream.Decode(&b); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode block %d: %v", len(blocks)+1, err)
		}
		if b.NumberU64() == 0 {
			// The export starts with the genesis block, which the node has.
			if b.Hash() != g.eth.BlockChain().Genesis().Hash() {
				t.Fatalf("export genesis %s differs from the node's %s", b.Hash(), g.eth.BlockChain().Genesis().Hash())
			}
			continue
		}
		blocks = append(blocks, &b)
	}
	start := time.Now()
	if _, err := g.eth.BlockChain().InsertChain(blocks); err != nil {
		t.Fatalf("import: %v", err)
	}
	t.Logf("imported %d L1 blocks in %v", len(blocks), time.Since(start).Round(time.Millisecond))
	return len(blocks)
}
