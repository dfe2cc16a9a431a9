package contracts

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/eth"
)

// UnsafeBlockSignerSlot is the SystemConfig storage slot holding the
// sequencer's p2p signing address, where op-node's p2p layer reads it.
var UnsafeBlockSignerSlot = crypto.Keccak256Hash([]byte("systemconfig.unsafeblocksigner"))

// Storage slots of SystemConfig's state variables, in declaration order
// (each takes a whole slot; see SystemConfig.sol).
const (
	slotOwner = iota
	slotBatcherHash
	slotOverhead
	slotScalar
	slotGasLimit
	slotEIP1559Params
	slotOperatorFeeParams
	slotMinBaseFee
	slotDAFootprintGasScalar
)

// SystemConfigStorage is the storage of a SystemConfig holding cfg, owned
// by owner, with signer as the unsafe block signer: what the contract
// would hold after a deployment and a call of every setter, written into
// the genesis instead.
func SystemConfigStorage(owner, signer common.Address, cfg eth.SystemConfig) map[common.Hash]common.Hash {
	word := func(v uint64) common.Hash { return common.BigToHash(new(big.Int).SetUint64(v)) }
	s := map[common.Hash]common.Hash{
		word(slotOwner):                common.BytesToHash(owner[:]),
		word(slotBatcherHash):          common.BytesToHash(cfg.BatcherAddr[:]),
		word(slotOverhead):             common.Hash(cfg.Overhead),
		word(slotScalar):               common.Hash(cfg.Scalar),
		word(slotGasLimit):             word(cfg.GasLimit),
		word(slotEIP1559Params):        word(binary.BigEndian.Uint64(cfg.EIP1559Params[:])),
		word(slotOperatorFeeParams):    common.Hash(cfg.OperatorFeeParams),
		word(slotMinBaseFee):           word(cfg.MinBaseFee),
		word(slotDAFootprintGasScalar): word(uint64(cfg.DAFootprintGasScalar)),
		UnsafeBlockSignerSlot:          common.BytesToHash(signer[:]),
	}
	// A zero value is no storage at all; leaving it out keeps the alloc
	// equal to what transactions would have produced.
	for k, v := range s {
		if v == (common.Hash{}) {
			delete(s, k)
		}
	}
	return s
}

// GenesisAlloc places the portal and the system config at their addresses
// with the state SystemConfigStorage describes.
func GenesisAlloc(portal, systemConfig, owner, signer common.Address, cfg eth.SystemConfig) types.GenesisAlloc {
	return types.GenesisAlloc{
		portal:       {Code: Portal.Runtime, Balance: new(big.Int), Nonce: 1},
		systemConfig: {Code: SystemConfig.Runtime, Balance: new(big.Int), Nonce: 1, Storage: SystemConfigStorage(owner, signer, cfg)},
	}
}

// The SystemConfig setters, one per ConfigUpdate type.

// PackSetBatcherHash encodes setBatcherHash (update type 0).
func PackSetBatcherHash(batcher common.Address) []byte {
	return SystemConfig.mustPack("setBatcherHash", batcher)
}

// PackSetGasConfig encodes setGasConfig (type 1, raw overhead and scalar as
// before Ecotone).
func PackSetGasConfig(overhead, scalar *big.Int) []byte {
	return SystemConfig.mustPack("setGasConfig", overhead, scalar)
}

// PackSetGasConfigEcotone encodes setGasConfigEcotone (type 1 with a
// version-1 scalar).
func PackSetGasConfigEcotone(baseFeeScalar, blobBaseFeeScalar uint32) []byte {
	return SystemConfig.mustPack("setGasConfigEcotone", baseFeeScalar, blobBaseFeeScalar)
}

// PackSetGasLimit encodes setGasLimit (type 2).
func PackSetGasLimit(gasLimit uint64) []byte {
	return SystemConfig.mustPack("setGasLimit", gasLimit)
}

// PackSetUnsafeBlockSigner encodes setUnsafeBlockSigner (type 3).
func PackSetUnsafeBlockSigner(signer common.Address) []byte {
	return SystemConfig.mustPack("setUnsafeBlockSigner", signer)
}

// PackSetEIP1559Params encodes setEIP1559Params (type 4).
func PackSetEIP1559Params(denominator, elasticity uint32) []byte {
	return SystemConfig.mustPack("setEIP1559Params", denominator, elasticity)
}

// PackSetOperatorFeeScalars encodes setOperatorFeeScalars (type 5).
func PackSetOperatorFeeScalars(scalar uint32, constant uint64) []byte {
	return SystemConfig.mustPack("setOperatorFeeScalars", scalar, constant)
}

// PackSetMinBaseFee encodes setMinBaseFee (type 6).
func PackSetMinBaseFee(minBaseFee uint64) []byte {
	return SystemConfig.mustPack("setMinBaseFee", minBaseFee)
}

// PackSetDAFootprintGasScalar encodes setDAFootprintGasScalar (type 7).
func PackSetDAFootprintGasScalar(scalar uint16) []byte {
	return SystemConfig.mustPack("setDAFootprintGasScalar", scalar)
}

// PackTransferOwnership encodes transferOwnership.
func PackTransferOwnership(owner common.Address) []byte {
	return SystemConfig.mustPack("transferOwnership", owner)
}
