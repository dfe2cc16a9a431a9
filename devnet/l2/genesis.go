// Package l2 makes the devnet's L2: an OP Stack genesis for op-geth and an
// in-process op-geth serving the Engine API (JWT-authenticated) and the
// user JSON-RPC on loopback. The rollup node drives it; a second engine
// started from the same genesis serves a verifier.
package l2

import (
	"encoding/json"
	"errors"
	"math/big"
	"os"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// Forks schedules the OP forks after Bedrock, each as seconds after the L2
// genesis time; nil leaves a fork off. Scheduling a fork after genesis
// makes an activation block to test; a fork must not come before the one
// it follows.
type Forks struct {
	Regolith, Canyon, Delta, Ecotone, Fjord, Granite, Holocene, Isthmus, Jovian, Karst *uint64
}

// At is a fork offset: seconds after genesis.
func At(seconds uint64) *uint64 { return &seconds }

// DefaultForks activates Regolith through Jovian at genesis and leaves
// Karst off, like the OP chains in production before Karst.
func DefaultForks() Forks {
	return Forks{
		Regolith: At(0), Canyon: At(0), Delta: At(0), Ecotone: At(0), Fjord: At(0),
		Granite: At(0), Holocene: At(0), Isthmus: At(0), Jovian: At(0),
	}
}

// list is the schedule in activation order, for validation.
func (f Forks) list() []*uint64 {
	return []*uint64{f.Regolith, f.Canyon, f.Delta, f.Ecotone, f.Fjord, f.Granite, f.Holocene, f.Isthmus, f.Jovian, f.Karst}
}

// Validate checks that every fork follows the one before it.
func (f Forks) Validate() error {
	l := f.list()
	for i := 1; i < len(l); i++ {
		if l[i] == nil {
			continue
		}
		if l[i-1] == nil || *l[i] < *l[i-1] {
			return errors.New("l2: a fork is scheduled before, or without, the fork it follows")
		}
	}
	return nil
}

// Absolute turns the offsets into timestamps for a chain starting at
// genesisTime. A fork at genesis gets time 0, as OP chain configs write it.
func (f Forks) Absolute(genesisTime uint64) Forks {
	abs := func(p *uint64) *uint64 {
		switch {
		case p == nil:
			return nil
		case *p == 0:
			return At(0)
		}
		return At(genesisTime + *p)
	}
	return Forks{
		Regolith: abs(f.Regolith), Canyon: abs(f.Canyon), Delta: abs(f.Delta), Ecotone: abs(f.Ecotone),
		Fjord: abs(f.Fjord), Granite: abs(f.Granite), Holocene: abs(f.Holocene), Isthmus: abs(f.Isthmus),
		Jovian: abs(f.Jovian), Karst: abs(f.Karst),
	}
}

// GenesisConfig describes the L2 genesis. Zero fields take their
// defaults, except Time, which the caller sets (the L1 genesis time, so the
// first L2 block can take L1 block 0 as its origin).
type GenesisConfig struct {
	// ChainID defaults to 901.
	ChainID uint64
	Time    uint64
	// GasLimit defaults to 30,000,000.
	GasLimit uint64
	// Forks defaults to DefaultForks.
	Forks *Forks
	// The EIP-1559 parameters of the chain config.
	EIP1559Elasticity, EIP1559Denominator, EIP1559DenominatorCanyon uint64
	// MinBaseFee is the Jovian base fee floor in the genesis extraData.
	MinBaseFee uint64
	// Alloc is the genesis state beyond the predeploys: the accounts to
	// fund.
	Alloc types.GenesisAlloc
}

// Defaults of GenesisConfig. The EIP-1559 parameters are OP Mainnet's.
const (
	DefaultChainID                  = 901
	DefaultGasLimit                 = 30_000_000
	DefaultEIP1559Elasticity        = 6
	DefaultEIP1559Denominator       = 50
	DefaultEIP1559DenominatorCanyon = 250
)

func (c GenesisConfig) withDefaults() GenesisConfig {
	def := func(v *uint64, d uint64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.ChainID, DefaultChainID)
	def(&c.GasLimit, DefaultGasLimit)
	def(&c.EIP1559Elasticity, DefaultEIP1559Elasticity)
	def(&c.EIP1559Denominator, DefaultEIP1559Denominator)
	def(&c.EIP1559DenominatorCanyon, DefaultEIP1559DenominatorCanyon)
	if c.Forks == nil {
		f := DefaultForks()
		c.Forks = &f
	}
	return c
}

// MessagePasserSlot is set in the L2ToL1MessagePasser stand-in at genesis.
// From Isthmus the header's withdrawalsRoot is that contract's storage
// root; an empty storage makes op-geth warn that the chain is misbuilt.
var MessagePasserSlot = common.HexToHash("0x01")

// NewGenesis makes the L2 genesis for op-geth.
//
// The chain config is a copy of op-geth's OP test config with the chain
// id, EIP-1559 parameters and fork schedule of cfg; the L1 forks an OP fork
// brings are scheduled with it (Shanghai with Canyon, Cancun with Ecotone,
// Prague with Isthmus, Osaka with Karst). The extraData carries the
// EIP-1559 parameters in the format of the newest fork active at genesis.
//
// The alloc holds cfg.Alloc and only the predeploys op-geth itself relies
// on: the L2ToL1MessagePasser (whose storage root is the Isthmus
// withdrawalsRoot), and the EIP-4788 beacon roots and EIP-2935 history
// contracts when Ecotone and Isthmus are active at genesis (afterwards
// their upgrade transactions deploy them). The L1Block and GasPriceOracle
// predeploys are not needed: the L1-info deposit to the code-less L1Block
// address succeeds, op-geth reads the L1 fee parameters from that address's
// storage (so L1 data fees are zero) and the DA footprint scalar from the
// deposit's calldata.
func NewGenesis(cfg GenesisConfig) (*core.Genesis, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Forks.Validate(); err != nil {
		return nil, err
	}
	if cfg.EIP1559DenominatorCanyon > 1<<32-1 || cfg.EIP1559Elasticity > 1<<32-1 {
		return nil, errors.New("l2: EIP-1559 parameters must fit in 32 bits")
	}
	forks := cfg.Forks.Absolute(cfg.Time)
	chain := ChainConfig(cfg.ChainID, forks, cfg.EIP1559Elasticity, cfg.EIP1559Denominator, cfg.EIP1559DenominatorCanyon)

	alloc := types.GenesisAlloc{
		params.OptimismL2ToL1MessagePasser: {
			Code:    []byte{0x00}, // STOP: accepts calls and ETH
			Balance: new(big.Int),
			Storage: map[common.Hash]common.Hash{MessagePasserSlot: common.HexToHash("0x01")},
		},
	}
	if chain.IsCancun(common.Big0, cfg.Time) {
		alloc[params.BeaconRootsAddress] = types.Account{Nonce: 1, Code: params.BeaconRootsCode, Balance: new(big.Int)}
	}
	if chain.IsPrague(common.Big0, cfg.Time) {
		alloc[params.HistoryStorageAddress] = types.Account{Nonce: 1, Code: params.HistoryStorageCode, Balance: new(big.Int)}
	}
	for addr, acc := range cfg.Alloc {
		alloc[addr] = acc
	}

	var extra []byte
	switch {
	case chain.IsJovian(cfg.Time):
		extra = eip1559.EncodeJovianExtraData(cfg.EIP1559DenominatorCanyon, cfg.EIP1559Elasticity, cfg.MinBaseFee)
	case chain.IsHolocene(cfg.Time):
		extra = eip1559.EncodeHoloceneExtraData(cfg.EIP1559DenominatorCanyon, cfg.EIP1559Elasticity)
	}
	return &core.Genesis{
		Config:     chain,
		Timestamp:  cfg.Time,
		GasLimit:   cfg.GasLimit,
		BaseFee:    big.NewInt(params.InitialBaseFee),
		Difficulty: new(big.Int),
		ExtraData:  extra,
		Alloc:      alloc,
	}, nil
}

// ChainConfig is op-geth's OP test config with the given chain id, fork
// timestamps (absolute) and EIP-1559 parameters. Bedrock is at block 0.
func ChainConfig(chainID uint64, forks Forks, elasticity, denominator, denominatorCanyon uint64) *params.ChainConfig {
	c := *params.OptimismTestConfig
	c.ChainID = new(big.Int).SetUint64(chainID)
	c.BedrockBlock = new(big.Int)
	c.RegolithTime = forks.Regolith
	c.CanyonTime = forks.Canyon
	c.EcotoneTime = forks.Ecotone
	c.FjordTime = forks.Fjord
	c.GraniteTime = forks.Granite
	c.HoloceneTime = forks.Holocene
	c.IsthmusTime = forks.Isthmus
	c.JovianTime = forks.Jovian
	c.KarstTime = forks.Karst
	c.LagoonTime = nil
	c.ShanghaiTime = forks.Canyon
	c.CancunTime = forks.Ecotone
	c.PragueTime = forks.Isthmus
	c.OsakaTime = forks.Karst
	c.Optimism = &params.OptimismConfig{
		EIP1559Elasticity:        elasticity,
		EIP1559Denominator:       denominator,
		EIP1559DenominatorCanyon: &denominatorCanyon,
	}
	return &c
}

// WriteGenesis writes g as the genesis JSON op-geth's `geth init` reads.
func WriteGenesis(g *core.Genesis, path string) error {
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadGenesis reads a genesis JSON file.
func ReadGenesis(path string) (*core.Genesis, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var g core.Genesis
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, err
	}
	return &g, nil
}
