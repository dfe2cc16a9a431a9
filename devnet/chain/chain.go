package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/devnet/contracts"
	"github.com/opalnode/opal/devnet/devkeys"
	"github.com/opalnode/opal/devnet/l1"
	"github.com/opalnode/opal/devnet/l2"
	"github.com/opalnode/opal/sdk/rollup"
)

// The files New writes into the data directory.
const (
	RollupFile    = "rollup.json"
	L1GenesisFile = "l1-genesis.json"
	L2GenesisFile = "l2-genesis.json"
	JWTFile       = "jwt.txt"
)

// Chain is a running devnet chain.
type Chain struct {
	L1     *l1.Node
	L2     *l2.Engine
	Rollup *rollup.Config
	Keys   Keys
	// Dir is the data directory holding the files.
	Dir string

	cfg       Config
	l2Genesis *core.Genesis
	removeDir bool

	mu        sync.Mutex
	verifiers []*l2.Engine
	closed    bool
}

// Endpoints are the URLs of the chain's services, all on 127.0.0.1.
type Endpoints struct {
	L1HTTP, L1WS, L1Beacon string
	// L2HTTP and L2WS are the L2 user JSON-RPC.
	L2HTTP, L2WS string
	// L2Engine and L2EngineWS are the Engine API; L2JWTSecret is the file
	// with its secret.
	L2Engine, L2EngineWS, L2JWTSecret string
}

// New starts the L1 and the L2 engine and writes the chain's files. The
// L2 genesis time is the L1 genesis time and the rollup's genesis L1 block
// is L1 block 0, which already holds the contracts. ctx is checked
// between the steps of the start, which take well under a second.
func New(ctx context.Context, cfg Config) (c *Chain, err error) {
	cfg = cfg.withDefaults()
	started := time.Now()
	dir, removeDir, err := dataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	c = &Chain{Keys: *cfg.Keys, Dir: dir, cfg: cfg, removeDir: removeDir}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()

	sys := genesisSystemConfig(cfg)
	funded := fund(c.Keys)
	l1Alloc := contracts.GenesisAlloc(PortalAddress, SystemConfigAddress, Address(c.Keys.Admin), Address(c.Keys.Sequencer), sys)
	for a, acc := range funded {
		l1Alloc[a] = acc
	}
	var genesisTime uint64
	var l1DB, l2DB string
	if !removeDir {
		l1DB, l2DB = filepath.Join(dir, "l1"), filepath.Join(dir, "l2")
		if genesisTime, err = savedGenesisTime(filepath.Join(dir, L1GenesisFile)); err != nil {
			return nil, err
		}
	}
	if c.L1, err = l1.New(l1.Config{
		DataDir:      l1DB,
		GenesisTime:  genesisTime,
		ChainID:      cfg.L1ChainID,
		SlotTime:     cfg.L1BlockTime,
		OnDemand:     cfg.L1OnDemand,
		SafeLag:      cfg.L1SafeLag,
		FinalizedLag: cfg.L1FinalizedLag,
		Alloc:        l1Alloc,
		Logger:       cfg.Logger,
	}); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	l1Genesis := c.L1.GenesisBlock()
	if c.l2Genesis, err = l2.NewGenesis(l2.GenesisConfig{
		ChainID:    cfg.L2ChainID,
		Time:       l1Genesis.Time(),
		GasLimit:   cfg.L2GasLimit,
		Forks:      cfg.Forks,
		MinBaseFee: cfg.MinBaseFee,
		Alloc:      funded,
	}); err != nil {
		return nil, err
	}
	if c.L2, err = l2.Start(l2.Config{Genesis: c.l2Genesis, JWTSecretPath: filepath.Join(dir, JWTFile), DataDir: l2DB}); err != nil {
		return nil, err
	}

	c.Rollup = rollupConfig(cfg, l1Genesis, c.L2.GenesisBlock(), c.l2Genesis, sys)
	if err := c.Rollup.Validate(); err != nil {
		return nil, fmt.Errorf("chain: rollup config: %w", err)
	}
	if err := c.writeFiles(); err != nil {
		return nil, err
	}
	cfg.Logger.Info("devnet chain started", "dir", dir, "l1", c.L1.HTTPEndpoint(), "l2", c.L2.HTTPEndpoint(), "elapsed", time.Since(started))
	return c, nil
}

// dataDir makes the data directory, or a temporary one when dir is "".
func dataDir(dir string) (string, bool, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "opal-devnet-")
		return d, true, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("chain: data dir: %w", err)
	}
	return dir, false, nil
}

// fund gives every role and user the dev balance on both chains.
func fund(k Keys) types.GenesisAlloc {
	alloc := types.GenesisAlloc{}
	for _, key := range k.all() {
		alloc[Address(key)] = types.Account{Balance: new(big.Int).Set(devkeys.DefaultBalance)}
	}
	return alloc
}

func (c *Chain) writeFiles() error {
	data, err := c.Rollup.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.Dir, RollupFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	if err := c.L1.WriteGenesis(filepath.Join(c.Dir, L1GenesisFile)); err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	if err := l2.WriteGenesis(c.l2Genesis, filepath.Join(c.Dir, L2GenesisFile)); err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	return nil
}

// Endpoints lists the service URLs.
func (c *Chain) Endpoints() Endpoints {
	return Endpoints{
		L1HTTP:      c.L1.HTTPEndpoint(),
		L1WS:        c.L1.WSEndpoint(),
		L1Beacon:    c.L1.BeaconEndpoint(),
		L2HTTP:      c.L2.HTTPEndpoint(),
		L2WS:        c.L2.WSEndpoint(),
		L2Engine:    c.L2.EngineEndpoint(),
		L2EngineWS:  c.L2.EngineWSEndpoint(),
		L2JWTSecret: c.L2.JWTSecretPath(),
	}
}

// File returns the path of one of the chain's files (RollupFile, ...).
func (c *Chain) File(name string) string { return filepath.Join(c.Dir, name) }

// L2Genesis is the L2 genesis specification.
func (c *Chain) L2Genesis() *core.Genesis { return c.l2Genesis }

// NewVerifierEngine starts another op-geth from the same L2 genesis, for a
// verifier node to drive: its own in-memory state, and its own JWT secret
// in <data dir>/<name>/jwt.txt. Close closes it with the chain; closing it
// earlier is fine.
func (c *Chain) NewVerifierEngine(name string) (*l2.Engine, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("chain: closed")
	}
	if name == "" {
		name = fmt.Sprintf("verifier-%d", len(c.verifiers)+1)
	}
	dir := filepath.Join(c.Dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	e, err := l2.Start(l2.Config{Name: "opal-devnet-" + name, Genesis: c.l2Genesis, JWTSecretPath: filepath.Join(dir, JWTFile)})
	if err != nil {
		return nil, err
	}
	if e.GenesisBlock().Hash() != c.Rollup.Genesis.L2.Hash {
		_ = e.Close()
		return nil, errors.New("chain: verifier engine has another genesis")
	}
	c.verifiers = append(c.verifiers, e)
	return e, nil
}

// Close stops everything New and NewVerifierEngine started and removes a
// temporary data directory.
func (c *Chain) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	var errs []error
	for _, v := range c.verifiers {
		errs = append(errs, v.Close())
	}
	if c.L2 != nil {
		errs = append(errs, c.L2.Close())
	}
	if c.L1 != nil {
		errs = append(errs, c.L1.Close())
	}
	if c.removeDir {
		errs = append(errs, os.RemoveAll(c.Dir))
	}
	return errors.Join(errs...)
}

// savedGenesisTime reads the genesis time of a chain started before on the
// same data dir; 0 when there is none.
func savedGenesisTime(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var g struct {
		Timestamp hexutil.Uint64 `json:"timestamp"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return 0, fmt.Errorf("chain: %s: %w", path, err)
	}
	return uint64(g.Timestamp), nil
}
