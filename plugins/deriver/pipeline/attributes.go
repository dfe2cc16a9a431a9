package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/plugins/deriver/sysconfig"
	"github.com/opalnode/opal/plugins/deriver/upgrade"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// SequencerFeeVault is the fee recipient of every L2 block.
var SequencerFeeVault = common.HexToAddress("0x4200000000000000000000000000000000000011")

// AttributesInput is what the attributes of a new L2 block are built from.
type AttributesInput struct {
	// Parent is the L2 block the new block builds on.
	Parent eth.L2BlockRef
	// ParentConfig is the system config in effect after Parent.
	ParentConfig eth.SystemConfig
	// Origin is the new block's L1 origin. Its header is always read; its
	// receipts when it starts a new epoch (user deposits and system config
	// updates come from them).
	Origin *eth.L1BlockData
	// Timestamp is the new block's timestamp.
	Timestamp uint64
}

// BuiltAttributes are the attributes of a block with the system configs
// around it.
type BuiltAttributes struct {
	// Attributes hold deposits only (L1-info deposit, user deposits on an
	// epoch change, upgrade deposits on activation blocks) and NoTxPool
	// set: derivation appends the batch, the sequencer opens the pool.
	Attributes *eth.PayloadAttributes
	// SystemConfig is the system config the block is built with: the
	// parent's, with the origin's updates applied on an epoch change.
	SystemConfig eth.SystemConfig
	// Next is the system config in effect after the block, as op-node
	// rebuilds it from the block itself (PayloadToSystemConfig): the
	// Karst upgrade gas kept or not, the EIP-1559 parameters as the engine
	// writes them into the header.
	Next eth.SystemConfig
	// L1Origin and SequenceNumber are the new block's, as its L1-info
	// deposit records them.
	L1Origin       eth.BlockID
	SequenceNumber uint64
	// SkippedUpdates joins one error per ConfigUpdate log of the origin
	// that was malformed or of an unknown kind, and so skipped (nil when
	// none was, or within an epoch). It is for logging only: the block is
	// built without those updates either way.
	SkippedUpdates error
}

// BuildAttributes builds the attributes of the L2 block after in.Parent on
// the L1 origin in.Origin at in.Timestamp. Derivation and the sequencer
// both build with it, so their blocks agree by construction.
//
// An origin that is neither the parent's origin nor its child is
// eth.ErrReset (the caller's view of L1 moved); malformed deposit logs in
// the origin are eth.ErrCritical, since deposits may never be skipped.
// Malformed or unknown system config updates are skipped instead (see
// BuiltAttributes.SkippedUpdates).
func BuildAttributes(cfg *rollup.Config, l1 *params.ChainConfig, in AttributesInput) (*BuiltAttributes, error) {
	if cfg == nil {
		return nil, errors.New("build attributes: nil rollup config")
	}
	if err := checkBlockData(in.Origin); err != nil {
		return nil, err
	}
	h := in.Origin.Header
	origin := eth.HeaderRef(h)
	if in.Timestamp != in.Parent.Time+cfg.BlockTime {
		return nil, fmt.Errorf("%w: timestamp %d is not the parent's %d plus the block time", eth.ErrInvalidArgument, in.Timestamp, in.Parent.Time)
	}
	sysCfg := in.ParentConfig
	var seq uint64
	var userDeposits [][]byte
	var skipped error
	if in.Parent.L1Origin.Number != origin.Number {
		if origin.ParentHash != in.Parent.L1Origin.Hash || origin.Number != in.Parent.L1Origin.Number+1 {
			return nil, resetErr("L1 origin %s (parent %s) does not follow the parent's L1 origin %s", origin, origin.ParentHash.TerminalString(), in.Parent.L1Origin)
		}
		deps, err := deposit.UserDeposits(in.Origin.Receipts, cfg.DepositContractAddress, origin.Hash)
		if err != nil {
			return nil, criticalErr("deposits of L1 block %s: %v", origin, err)
		}
		userDeposits = deps
		// A bad update cannot be fixed by retrying: the log is on L1 for
		// good, so halting on it would halt forever. op-node (since PR
		// #18292) drops the error here and builds with the updates that did
		// decode; ApplyReceipts has already skipped the bad ones and kept
		// the rest, in order.
		if err := sysconfig.ApplyReceipts(&sysCfg, in.Origin.Receipts, cfg.L1SystemConfigAddress, cfg, origin.Time); err != nil {
			skipped = fmt.Errorf("skipped system config updates of L1 block %s: %w", origin, err)
		}
	} else {
		if origin.Hash != in.Parent.L1Origin.Hash {
			return nil, resetErr("L1 origin %s conflicts with the parent's L1 origin %s", origin, in.Parent.L1Origin)
		}
		seq = in.Parent.SequenceNumber + 1
	}

	ts := in.Timestamp
	infoTx, err := l1info.DepositBytes(cfg, l1, sysCfg, seq, h, ts)
	if err != nil {
		return nil, criticalErr("L1-info deposit on %s: %v", origin, err)
	}
	upgrades, err := upgrade.Transactions(cfg, ts)
	if err != nil {
		return nil, criticalErr("upgrade transactions at %d: %v", ts, err)
	}
	txs := make([][]byte, 0, 1+len(userDeposits)+len(upgrades))
	txs = append(txs, infoTx)
	txs = append(txs, userDeposits...)
	txs = append(txs, upgrades...)

	gasLimit := sysCfg.GasLimit + upgrade.ActivationGas(cfg, ts)
	attrs := &eth.PayloadAttributes{
		Timestamp:             ts,
		PrevRandao:            h.MixDigest,
		SuggestedFeeRecipient: SequencerFeeVault,
		Transactions:          txs,
		NoTxPool:              true,
		GasLimit:              &gasLimit,
	}
	if cfg.IsCanyon(ts) {
		attrs.Withdrawals = []*types.Withdrawal{}
	}
	if cfg.IsEcotone(ts) {
		root := common.Hash{}
		if h.ParentBeaconRoot != nil {
			root = *h.ParentBeaconRoot
		}
		attrs.ParentBeaconBlockRoot = &root
	}
	if cfg.IsHolocene(ts) {
		// The system config's params on every Holocene block, the
		// activation block included: op-node's PreparePayloadAttributes
		// has no activation case, and we follow it where the spec
		// (holocene/derivation.md, "Attributes Builder") asks for zero
		// params on the activation block. The two differ only if the
		// activation block opens an epoch whose origin sets the params, or
		// its parent's config carries them (a genesis config may). Zero
		// params still make the engine use the Canyon constants.
		p := sysCfg.EIP1559Params
		attrs.EIP1559Params = &p
	}
	if cfg.IsJovian(ts) {
		m := sysCfg.MinBaseFee
		attrs.MinBaseFee = &m
	}
	next, err := nextSystemConfig(cfg, in.Parent.Number+1, attrs)
	if err != nil {
		return nil, criticalErr("system config after the block at %d: %v", ts, err)
	}
	return &BuiltAttributes{Attributes: attrs, SystemConfig: sysCfg, Next: next, L1Origin: origin.ID(), SequenceNumber: seq, SkippedUpdates: skipped}, nil
}

// nextSystemConfig is the system config op-node would rebuild from the
// block these attributes make: it writes the header fields the engine
// derives from them and reads them back with l1info's PayloadToSystemConfig.
func nextSystemConfig(cfg *rollup.Config, number uint64, attrs *eth.PayloadAttributes) (eth.SystemConfig, error) {
	blk := l1info.L2Block{Number: number, Time: attrs.Timestamp, GasLimit: *attrs.GasLimit, ExtraData: engineExtraData(cfg, attrs)}
	if blk.Number == cfg.Genesis.L2.Number {
		// Never the case for a child block; keeps the genesis shortcut of
		// SystemConfigFromL2Block out of reach.
		return eth.SystemConfig{}, errors.New("block at the genesis number")
	}
	return l1info.SystemConfigFromL2Block(cfg, blk, attrs.Transactions[0])
}

// engineExtraData is the header extraData the engine writes for attrs:
// from Holocene the EIP-1559 parameters, with zero meaning the chain's
// Canyon denominator and elasticity; from Jovian also the min base fee.
// It follows the forks the way the header is read back (Jovian first), so
// that even a config scheduling Jovian without Holocene round-trips.
func engineExtraData(cfg *rollup.Config, attrs *eth.PayloadAttributes) []byte {
	ts := attrs.Timestamp
	jovian := cfg.IsJovian(ts)
	if !jovian && !cfg.IsHolocene(ts) {
		return nil
	}
	var p eth.Bytes8
	if attrs.EIP1559Params != nil {
		p = *attrs.EIP1559Params
	}
	if binary.BigEndian.Uint32(p[:4]) == 0 && cfg.ChainOpConfig != nil {
		binary.BigEndian.PutUint32(p[:4], uint32(cfg.ChainOpConfig.EIP1559DenominatorCanyon))
		binary.BigEndian.PutUint32(p[4:], uint32(cfg.ChainOpConfig.EIP1559Elasticity))
	}
	if !jovian {
		return append([]byte{0}, p[:]...)
	}
	out := append([]byte{1}, p[:]...)
	var m uint64
	if attrs.MinBaseFee != nil {
		m = *attrs.MinBaseFee
	}
	return binary.BigEndian.AppendUint64(out, m)
}
