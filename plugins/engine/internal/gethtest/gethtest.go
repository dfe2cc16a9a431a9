// Package gethtest runs a real op-geth in-process as an L2 execution
// engine for the engine plugin's tests: the authenticated Engine API on a
// loopback port with a JWT secret, and an L2 genesis with every OP fork
// through Jovian active, plus the matching rollup config.
//
// It is test-only and uses op-geth APIs (the OP chain config, Jovian
// extraData, catalyst), so it builds only with the op-geth replacement.
package gethtest

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	gethlog "github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/miner"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"

	sdketh "github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Chain parameters of the test L2.
const (
	ChainID     = 901
	GenesisTime = 1_700_000_000
	BlockTime   = 2
	GasLimit    = 30_000_000
	// EIP-1559 parameters and the Jovian min base fee written in the
	// genesis extraData and kept by the test system config.
	Denominator = 250
	Elasticity  = 6
	MinBaseFee  = 1_000
)

// MessagePasserSlot is a storage slot set in the L2ToL1MessagePasser at
// genesis so that its storage root (the Isthmus withdrawalsRoot) is not the
// empty root.
var MessagePasserSlot = common.HexToHash("0x01")

// Engine is a running op-geth.
type Engine struct {
	Node    *node.Node
	Eth     *eth.Ethereum
	HTTPURL string
	WSURL   string
	// SecretHex is the JWT secret as hex; SecretFile holds it.
	SecretHex  string
	SecretFile string
	Genesis    *types.Block
	Rollup     *rollup.Config
}

// ChainConfig is op-geth's OP test config (Bedrock..Jovian at 0, Karst
// off) with the test chain id.
func ChainConfig() *params.ChainConfig {
	cfg := *params.OptimismTestConfig
	cfg.ChainID = big.NewInt(ChainID)
	op := *cfg.Optimism
	cfg.Optimism = &op
	return &cfg
}

// Genesis is the L2 genesis: Jovian extraData, the message passer
// predeploy with one storage slot.
func Genesis() *core.Genesis {
	return &core.Genesis{
		Config:     ChainConfig(),
		Timestamp:  GenesisTime,
		GasLimit:   GasLimit,
		BaseFee:    big.NewInt(params.InitialBaseFee),
		Difficulty: new(big.Int),
		ExtraData:  eip1559.EncodeJovianExtraData(Denominator, Elasticity, MinBaseFee),
		Alloc: types.GenesisAlloc{
			params.OptimismL2ToL1MessagePasser: {
				Code:    []byte{0x00},
				Balance: new(big.Int),
				Storage: map[common.Hash]common.Hash{MessagePasserSlot: common.HexToHash("0x2a")},
			},
		},
	}
}

// RollupConfig is the rollup config of the test chain on genesis g.
func RollupConfig(g *types.Block) *rollup.Config {
	zero := uint64(0)
	sys := SystemConfig()
	return &rollup.Config{
		Genesis: rollup.Genesis{
			L1:           sdketh.BlockID{Hash: common.HexToHash("0x1111"), Number: 100},
			L2:           sdketh.BlockID{Hash: g.Hash(), Number: g.NumberU64()},
			L2Time:       g.Time(),
			SystemConfig: sys,
		},
		BlockTime:              BlockTime,
		MaxSequencerDrift:      600,
		SeqWindowSize:          3600,
		ChannelTimeout:         300,
		L1ChainID:              big.NewInt(900),
		L2ChainID:              big.NewInt(ChainID),
		RegolithTime:           &zero,
		CanyonTime:             &zero,
		DeltaTime:              &zero,
		EcotoneTime:            &zero,
		FjordTime:              &zero,
		GraniteTime:            &zero,
		HoloceneTime:           &zero,
		IsthmusTime:            &zero,
		JovianTime:             &zero,
		BatchInboxAddress:      common.HexToAddress("0xff00000000000000000000000000000000000901"),
		DepositContractAddress: common.HexToAddress("0x0000000000000000000000000000000000d00d01"),
		L1SystemConfigAddress:  common.HexToAddress("0x0000000000000000000000000000000000d00d02"),
	}
}

// SystemConfig is the test chain's system config: every field a Jovian
// block carries is non-zero, so a round trip through a block is a real
// check.
func SystemConfig() sdketh.SystemConfig {
	sc := sdketh.SystemConfig{
		BatcherAddr:          common.HexToAddress("0x00000000000000000000000000000000000ba7c4"),
		GasLimit:             GasLimit,
		MinBaseFee:           MinBaseFee,
		DAFootprintGasScalar: 321,
	}
	sc.Scalar[0] = sdketh.ScalarVersionEcotone
	sc.Scalar[27] = 7  // blob base fee scalar 7
	sc.Scalar[31] = 11 // base fee scalar 11
	sc.EIP1559Params = sdketh.Bytes8{0, 0, 0, Denominator, 0, 0, 0, Elasticity}
	sc.OperatorFeeParams[23] = 5 // scalar
	sc.OperatorFeeParams[31] = 9 // constant
	return sc
}

// Start runs op-geth with an in-memory database until the test ends.
func Start(t testing.TB) *Engine {
	t.Helper()
	gethlog.SetDefault(gethlog.NewLogger(gethlog.DiscardHandler()))
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		t.Fatal(err)
	}
	secretHex := hex.EncodeToString(secret[:])
	secretFile := filepath.Join(t.TempDir(), "jwt.hex")
	if err := os.WriteFile(secretFile, []byte("0x"+secretHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stack, err := node.New(&node.Config{
		Name:      "opal-enginetest",
		AuthAddr:  "127.0.0.1",
		AuthPort:  0,
		JWTSecret: secretFile,
		P2P:       p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	gen := Genesis()
	ecfg := ethconfig.Defaults
	ecfg.Genesis = gen
	ecfg.NetworkId = ChainID
	ecfg.SyncMode = ethconfig.FullSync
	ecfg.Miner = miner.DefaultConfig
	ecfg.Miner.Recommit = time.Second
	backend, err := eth.New(stack, &ecfg)
	if err != nil {
		stack.Close()
		t.Fatal(err)
	}
	if err := catalyst.Register(stack, backend); err != nil {
		stack.Close()
		t.Fatal(err)
	}
	if err := stack.Start(); err != nil {
		stack.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Close() })
	backend.SetSynced()
	g := backend.BlockChain().Genesis()
	return &Engine{
		Node:       stack,
		Eth:        backend,
		HTTPURL:    stack.HTTPAuthEndpoint(),
		WSURL:      stack.WSAuthEndpoint(),
		SecretHex:  secretHex,
		SecretFile: secretFile,
		Genesis:    g,
		Rollup:     RollupConfig(g),
	}
}
