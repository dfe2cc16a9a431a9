package l1info

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/upgrade"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// L2Block is the part of an L2 block header the system config is rebuilt
// from.
type L2Block struct {
	Hash       common.Hash
	ParentHash common.Hash
	Number     uint64
	Time       uint64
	GasLimit   uint64
	ExtraData  []byte
}

// BlockRef returns the L2 block's reference with its L1 origin and sequence
// number read from its L1-info deposit (op-node's PayloadToBlockRef). The
// genesis block (by number) has the genesis L1 block as origin and sequence
// number 0, after checking its hash.
func BlockRef(cfg *rollup.Config, blk L2Block, l1InfoTx []byte) (eth.L2BlockRef, error) {
	if cfg == nil {
		return eth.L2BlockRef{}, errors.New("nil rollup config")
	}
	ref := eth.L2BlockRef{Hash: blk.Hash, Number: blk.Number, ParentHash: blk.ParentHash, Time: blk.Time}
	if blk.Number == cfg.Genesis.L2.Number {
		if blk.Hash != cfg.Genesis.L2.Hash {
			return eth.L2BlockRef{}, fmt.Errorf("L2 block %d at the genesis number has hash %s, genesis is %s", blk.Number, blk.Hash, cfg.Genesis.L2.Hash)
		}
		ref.L1Origin = cfg.Genesis.L1
		return ref, nil
	}
	info, err := infoOf(cfg, blk, l1InfoTx)
	if err != nil {
		return eth.L2BlockRef{}, err
	}
	ref.L1Origin = info.ID()
	ref.SequenceNumber = info.SequenceNumber
	return ref, nil
}

// infoOf decodes the L1-info deposit of a non-genesis L2 block.
func infoOf(cfg *rollup.Config, blk L2Block, l1InfoTx []byte) (*Info, error) {
	if len(l1InfoTx) == 0 {
		return nil, fmt.Errorf("L2 block %d (%s) is missing the L1-info deposit", blk.Number, blk.Hash)
	}
	dep, err := deposit.Decode(l1InfoTx)
	if err != nil {
		return nil, fmt.Errorf("first tx of L2 block %d is not a deposit: %w", blk.Number, err)
	}
	info, err := DecodeAt(cfg, blk.Time, dep.Data)
	if err != nil {
		return nil, fmt.Errorf("parse L1-info deposit of L2 block %d: %w", blk.Number, err)
	}
	return info, nil
}

// Header extraData versions.
const (
	extraDataHolocene    = 0 // version ‖ denominator u32 ‖ elasticity u32
	extraDataJovian      = 1 // ... ‖ minBaseFee u64
	extraDataHoloceneLen = 9
	extraDataJovianLen   = 17
)

// ErrExtraData reports header extraData that is malformed for the block's
// forks.
var ErrExtraData = errors.New("invalid header extraData")

// check1559Params checks the denominator ‖ elasticity of a header's
// extraData: a lone zero is invalid either way round. op-node validates
// headers with op-geth's ValidateOptimismExtraData, which also refuses
// (0, 0), but no engine writes that (zero params in the attributes make it
// write the chain's defaults), so the only such header is the one
// nextSystemConfig emulates for a rollup config without chain_op_config,
// where the defaults are unknown and zero keeps asking the engine for them.
func check1559Params(p []byte) error {
	denom, elast := binary.BigEndian.Uint32(p[0:4]), binary.BigEndian.Uint32(p[4:8])
	switch {
	case denom == 0 && elast != 0:
		return fmt.Errorf("%w: EIP-1559 denominator is 0 but elasticity is %d", ErrExtraData, elast)
	case elast == 0 && denom != 0:
		return fmt.Errorf("%w: EIP-1559 elasticity is 0 but denominator is %d", ErrExtraData, denom)
	}
	return nil
}

// decodeExtraData validates the extraData of an L2 block at time t and
// returns the EIP-1559 params (denominator ‖ elasticity) and, from Jovian,
// the min base fee. Before Holocene extraData must be empty.
func decodeExtraData(cfg *rollup.Config, t uint64, extra []byte) (params eth.Bytes8, minBaseFee *uint64, err error) {
	switch {
	case cfg.IsJovian(t):
		if len(extra) != extraDataJovianLen {
			return params, nil, fmt.Errorf("%w: jovian extraData must be %d bytes, got %d", ErrExtraData, extraDataJovianLen, len(extra))
		}
		if extra[0] != extraDataJovian {
			return params, nil, fmt.Errorf("%w: jovian extraData version must be %d, got %d", ErrExtraData, extraDataJovian, extra[0])
		}
		if err := check1559Params(extra[1:9]); err != nil {
			return params, nil, err
		}
		copy(params[:], extra[1:9])
		m := binary.BigEndian.Uint64(extra[9:17])
		return params, &m, nil
	case cfg.IsHolocene(t):
		if len(extra) != extraDataHoloceneLen {
			return params, nil, fmt.Errorf("%w: holocene extraData must be %d bytes, got %d", ErrExtraData, extraDataHoloceneLen, len(extra))
		}
		if extra[0] != extraDataHolocene {
			return params, nil, fmt.Errorf("%w: holocene extraData version must be %d, got %d", ErrExtraData, extraDataHolocene, extra[0])
		}
		if err := check1559Params(extra[1:9]); err != nil {
			return params, nil, err
		}
		copy(params[:], extra[1:9])
		return params, nil, nil
	case len(extra) > 0:
		return params, nil, fmt.Errorf("%w: extraData must be empty before Holocene", ErrExtraData)
	}
	return params, nil, nil
}

// SystemConfigFromL2Block rebuilds the system config in effect after an L2
// block from its header and its first transaction, the L1-info deposit
// (op-node's PayloadToSystemConfig):
//   - the genesis block (by number) yields the genesis system config, after
//     checking its hash;
//   - batcher, overhead and scalar come from the L1-info deposit, decoded in
//     the format of the block's time; after the Ecotone activation block the
//     scalar is re-packed as version 1 (blob base fee scalar ‖ base fee
//     scalar) and the overhead is zero;
//   - the gas limit is the header's, minus the Karst upgrade gas on the Karst
//     activation block unless keep_karst_upgrade_gas is set, and minus the
//     Lagoon upgrade gas on the Lagoon activation block;
//   - the EIP-1559 params (Holocene) and min base fee (Jovian) come from the
//     extraData, which must be well formed for the block's forks;
//   - the operator fee (Isthmus) and DA footprint gas scalar (Jovian) come
//     from the deposit (zero on those forks' activation blocks, whose deposit
//     still has the previous format).
func SystemConfigFromL2Block(cfg *rollup.Config, blk L2Block, l1InfoTx []byte) (eth.SystemConfig, error) {
	if cfg == nil {
		return eth.SystemConfig{}, errors.New("nil rollup config")
	}
	if blk.Number == cfg.Genesis.L2.Number {
		if blk.Hash != cfg.Genesis.L2.Hash {
			return eth.SystemConfig{}, fmt.Errorf("L2 block %d at the genesis number has hash %s, genesis is %s", blk.Number, blk.Hash, cfg.Genesis.L2.Hash)
		}
		return cfg.Genesis.SystemConfig, nil
	}
	info, err := infoOf(cfg, blk, l1InfoTx)
	if err != nil {
		return eth.SystemConfig{}, err
	}
	if info.Format != FormatBedrock {
		// The block's deposit only carries the two scalars; whether the
		// system config held a v0 or v1 scalar is lost, and v1 is
		// equivalent.
		info.L1FeeScalar = eth.Bytes32{}
		info.L1FeeScalar[0] = eth.ScalarVersionEcotone
		binary.BigEndian.PutUint32(info.L1FeeScalar[24:28], info.BlobBaseFeeScalar)
		binary.BigEndian.PutUint32(info.L1FeeScalar[28:32], info.BaseFeeScalar)
	}
	sc := eth.SystemConfig{
		BatcherAddr: info.BatcherAddr,
		Overhead:    info.L1FeeOverhead,
		Scalar:      info.L1FeeScalar,
		GasLimit:    blk.GasLimit,
	}
	if g := upgrade.GasToStrip(cfg, blk.Time); g > 0 {
		if sc.GasLimit < g {
			return eth.SystemConfig{}, fmt.Errorf("activation block %d gas limit %d is below the upgrade gas %d", blk.Number, sc.GasLimit, g)
		}
		sc.GasLimit -= g
	}
	params, minBaseFee, err := decodeExtraData(cfg, blk.Time, blk.ExtraData)
	if err != nil {
		return eth.SystemConfig{}, err
	}
	sc.EIP1559Params = params
	if cfg.IsIsthmus(blk.Time) {
		binary.BigEndian.PutUint32(sc.OperatorFeeParams[20:24], info.OperatorFeeScalar)
		binary.BigEndian.PutUint64(sc.OperatorFeeParams[24:32], info.OperatorFeeConstant)
	}
	if cfg.IsJovian(blk.Time) {
		sc.MinBaseFee = *minBaseFee
		sc.DAFootprintGasScalar = info.DAFootprintGasScalar
	}
	return sc, nil
}
