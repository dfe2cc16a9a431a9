package chain

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/devnet/l2"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// L1 fee scalars of the genesis system config (version 1): the values
// OP Stack deployments start with.
const (
	BaseFeeScalar     = 1368
	BlobBaseFeeScalar = 810949
)

// genesisSystemConfig is the system config at genesis, the same values the
// L1 SystemConfig holds and the L2 genesis uses: the batcher, the L2 gas
// limit, version-1 fee scalars, and the EIP-1559 parameters and min base
// fee of the genesis extraData when Holocene and Jovian are active.
func genesisSystemConfig(cfg Config) eth.SystemConfig {
	sys := eth.SystemConfig{BatcherAddr: Address(cfg.Keys.Batcher), GasLimit: cfg.L2GasLimit}
	sys.Scalar[0] = eth.ScalarVersionEcotone
	binary.BigEndian.PutUint32(sys.Scalar[24:28], BlobBaseFeeScalar)
	binary.BigEndian.PutUint32(sys.Scalar[28:32], BaseFeeScalar)
	if f := cfg.Forks; f.Holocene != nil && *f.Holocene == 0 {
		// The chain config's Canyon denominator and elasticity, as the
		// genesis extraData carries them.
		binary.BigEndian.PutUint32(sys.EIP1559Params[0:4], l2.DefaultEIP1559DenominatorCanyon)
		binary.BigEndian.PutUint32(sys.EIP1559Params[4:8], l2.DefaultEIP1559Elasticity)
	}
	if f := cfg.Forks; f.Jovian != nil && *f.Jovian == 0 {
		sys.MinBaseFee = cfg.MinBaseFee
	}
	return sys
}

// rollupConfig is the rollup config in op-node's terms.
func rollupConfig(cfg Config, l1Genesis, l2Block *types.Block, l2Genesis *core.Genesis, sys eth.SystemConfig) *rollup.Config {
	forks := cfg.Forks.Absolute(l2Block.Time())
	op := l2Genesis.Config.Optimism
	return &rollup.Config{
		Genesis: rollup.Genesis{
			L1:           eth.BlockID{Hash: l1Genesis.Hash(), Number: l1Genesis.NumberU64()},
			L2:           eth.BlockID{Hash: l2Block.Hash(), Number: l2Block.NumberU64()},
			L2Time:       l2Block.Time(),
			SystemConfig: sys,
		},
		BlockTime:              cfg.L2BlockTime,
		MaxSequencerDrift:      cfg.MaxSequencerDrift,
		SeqWindowSize:          cfg.SeqWindowSize,
		ChannelTimeout:         cfg.ChannelTimeout,
		L1ChainID:              new(big.Int).SetUint64(cfg.L1ChainID),
		L2ChainID:              new(big.Int).SetUint64(cfg.L2ChainID),
		RegolithTime:           forks.Regolith,
		CanyonTime:             forks.Canyon,
		DeltaTime:              forks.Delta,
		EcotoneTime:            forks.Ecotone,
		FjordTime:              forks.Fjord,
		GraniteTime:            forks.Granite,
		HoloceneTime:           forks.Holocene,
		IsthmusTime:            forks.Isthmus,
		JovianTime:             forks.Jovian,
		KarstTime:              forks.Karst,
		BatchInboxAddress:      BatchInboxAddress(cfg.L2ChainID),
		DepositContractAddress: PortalAddress,
		L1SystemConfigAddress:  SystemConfigAddress,
		ChainOpConfig: &rollup.ChainOpConfig{
			EIP1559Elasticity:        op.EIP1559Elasticity,
			EIP1559Denominator:       op.EIP1559Denominator,
			EIP1559DenominatorCanyon: *op.EIP1559DenominatorCanyon,
		},
	}
}
