package l1

import (
	"errors"
	"log/slog"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// Config describes the L1. The zero value of every field means its
// default.
type Config struct {
	// ChainID is the L1 chain id; default 900.
	ChainID uint64
	// SlotTime is the seconds per slot (the beacon API's
	// SECONDS_PER_SLOT); default 2. Block timestamps are always
	// GenesisTime + k*SlotTime, so every block has its own slot.
	SlotTime uint64
	// OnDemand disables automatic block production: blocks are made only
	// by Commit. Otherwise one block is made per slot, on the wall clock.
	OnDemand bool
	// SafeLag and FinalizedLag are how many blocks the safe and finalized
	// labels trail the head; defaults 4 and 8. FinalizedLag also bounds
	// Reorg: finalized blocks never change.
	SafeLag, FinalizedLag uint64
	// GenesisTime is the genesis timestamp; default now.
	GenesisTime uint64
	// GasLimit is the block gas limit; default 30,000,000.
	GasLimit uint64
	// Alloc is the genesis state beyond the system contracts every dev
	// chain has: accounts to fund and contracts to deploy.
	Alloc types.GenesisAlloc
	// BlobRetention is how many blocks behind the head blob sidecars are
	// kept for the beacon API; default 8192.
	BlobRetention uint64
	// DataDir keeps the chain on disk; "" keeps it in memory.
	DataDir string
	// Logger receives block production errors; default slog.Default().
	Logger *slog.Logger
}

const (
	defaultChainID       = 900
	defaultSlotTime      = 2
	defaultSafeLag       = 4
	defaultFinalizedLag  = 8
	defaultGasLimit      = 30_000_000
	defaultBlobRetention = 8192
)

func (c Config) withDefaults() (Config, error) {
	def := func(v *uint64, d uint64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.ChainID, defaultChainID)
	def(&c.SlotTime, defaultSlotTime)
	def(&c.SafeLag, defaultSafeLag)
	def(&c.FinalizedLag, defaultFinalizedLag)
	def(&c.GasLimit, defaultGasLimit)
	def(&c.BlobRetention, defaultBlobRetention)
	def(&c.GenesisTime, uint64(time.Now().Unix()))
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.SafeLag > c.FinalizedLag {
		return c, errors.New("l1: safe lag must not exceed finalized lag")
	}
	return c, nil
}

// Genesis is the L1 genesis of cfg: a merged dev chain with Cancun and
// Prague active at genesis (so blob transactions work, with Prague's blob
// schedule) and no later fork. Osaka stays off because it changes the blob
// sidecar format and the blob base fee rules a rollup node must know.
func Genesis(cfg Config) (*core.Genesis, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return genesis(cfg), nil
}

func genesis(cfg Config) *core.Genesis {
	g := core.DeveloperGenesisBlock(cfg.GasLimit, nil)
	chain := *g.Config
	chain.ChainID = new(big.Int).SetUint64(cfg.ChainID)
	chain.OsakaTime = nil
	chain.BPO1Time, chain.BPO2Time, chain.BPO3Time, chain.BPO4Time, chain.BPO5Time = nil, nil, nil, nil, nil
	chain.AmsterdamTime = nil
	chain.BlobScheduleConfig = &params.BlobScheduleConfig{
		Cancun: params.DefaultCancunBlobConfig,
		Prague: params.DefaultPragueBlobConfig,
	}
	g.Config = &chain
	g.Timestamp = cfg.GenesisTime
	for addr, acc := range cfg.Alloc {
		g.Alloc[addr] = acc
	}
	return g
}
