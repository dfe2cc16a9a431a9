package l1info

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

var (
	// DepositorAddress sends the L1-info deposit.
	DepositorAddress = common.HexToAddress("0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001")
	// L1BlockAddress is the L1Block predeploy the deposit calls.
	L1BlockAddress = common.HexToAddress("0x4200000000000000000000000000000000000015")
)

const (
	// BedrockSystemTxGas is the gas of the pre-Regolith (system) deposit.
	BedrockSystemTxGas = 150_000_000
	// RegolithSystemTxGas is the gas of the deposit from Regolith.
	RegolithSystemTxGas = 1_000_000
)

// notFirst reports whether a fork is active at l2Time but l2Time is not its
// activation block: the L1Block contract is only upgraded by the activation
// block's upgrade transactions, so that block still uses the old format.
func notFirst(is, activation func(uint64) bool, l2Time uint64) bool {
	return is(l2Time) && !activation(l2Time)
}

// FormatAt returns the L1-info format of the L2 block at l2Time.
func FormatAt(cfg *rollup.Config, l2Time uint64) Format {
	switch {
	case notFirst(cfg.IsJovian, cfg.IsJovianActivationBlock, l2Time):
		return FormatJovian
	case notFirst(cfg.IsIsthmus, cfg.IsIsthmusActivationBlock, l2Time):
		return FormatIsthmus
	case notFirst(cfg.IsEcotone, cfg.IsEcotoneActivationBlock, l2Time):
		return FormatEcotone
	default:
		return FormatBedrock
	}
}

// DecodeAt decodes the L1-info calldata of the L2 block at l2Time, which
// must be in the format FormatAt gives (op-node's L1BlockInfoFromBytes).
func DecodeAt(cfg *rollup.Config, l2Time uint64, calldata []byte) (*Info, error) {
	if cfg == nil {
		return nil, errors.New("nil rollup config")
	}
	return decodeAs(FormatAt(cfg, l2Time), calldata)
}

// cancunBlobConfig computes blob fees with the Cancun update fraction at any
// time: the L1-info blob base fee before pectra_blob_schedule_time.
var cancunBlobConfig = &params.ChainConfig{
	ChainID:            big.NewInt(1),
	LondonBlock:        big.NewInt(0),
	CancunTime:         new(uint64),
	BlobScheduleConfig: &params.BlobScheduleConfig{Cancun: params.DefaultCancunBlobConfig},
}

// BlobBaseFee returns the blob base fee the L1-info deposit reports for the
// L1 header h. It is 1 when h has no excess blob gas. Otherwise it follows
// the L1 fork schedule of l1 at h.Time (Cancun, Prague, Osaka, BPOs), except
// that a rollup with pectra_blob_schedule_time uses the Cancun update
// fraction for L1 blocks before that time.
func BlobBaseFee(rcfg *rollup.Config, l1 *params.ChainConfig, h *types.Header) (*big.Int, error) {
	if h == nil {
		return nil, errors.New("nil L1 header")
	}
	if h.ExcessBlobGas == nil {
		return big.NewInt(params.BlobTxMinBlobGasprice), nil
	}
	if rcfg != nil && rcfg.PectraBlobScheduleTime != nil && !rcfg.IsPectraBlobSchedule(h.Time) {
		return calcBlobFee(cancunBlobConfig, h)
	}
	if l1 == nil {
		return nil, errors.New("no L1 chain config to compute the blob base fee")
	}
	return calcBlobFee(l1, h)
}

// calcBlobFee wraps eip4844.CalcBlobFee, which panics when the config has no
// blob schedule for the header time.
func calcBlobFee(cfg *params.ChainConfig, h *types.Header) (fee *big.Int, err error) {
	if !hasBlobConfig(cfg, h.Time) {
		return nil, fmt.Errorf("L1 chain config has no blob schedule at time %d, but the header has excess blob gas", h.Time)
	}
	defer func() {
		if r := recover(); r != nil {
			fee, err = nil, fmt.Errorf("blob base fee: %v", r)
		}
	}()
	return eip4844.CalcBlobFee(cfg, &types.Header{Time: h.Time, ExcessBlobGas: h.ExcessBlobGas}), nil
}

func hasBlobConfig(cfg *params.ChainConfig, t uint64) bool {
	s := cfg.BlobScheduleConfig
	if s == nil || cfg.LondonBlock == nil {
		return false
	}
	london := cfg.LondonBlock
	return (cfg.IsBPO5(london, t) && s.BPO5 != nil) || (cfg.IsBPO4(london, t) && s.BPO4 != nil) ||
		(cfg.IsBPO3(london, t) && s.BPO3 != nil) || (cfg.IsBPO2(london, t) && s.BPO2 != nil) ||
		(cfg.IsBPO1(london, t) && s.BPO1 != nil) || (cfg.IsOsaka(london, t) && s.Osaka != nil) ||
		(cfg.IsPrague(london, t) && s.Prague != nil) || (cfg.IsCancun(london, t) && s.Cancun != nil)
}

// EcotoneScalars returns the base fee and blob base fee scalars the L1-info
// deposit carries for a system config. A version-0 scalar with non-zero
// padding yields base fee scalar MaxUint32 (as the spec mandates); an unknown
// version or bad version-1 padding is an error.
func EcotoneScalars(sysCfg *eth.SystemConfig) (baseFeeScalar, blobBaseFeeScalar uint32, err error) {
	if err := eth.CheckEcotoneScalar(sysCfg.Scalar); err != nil {
		if errors.Is(err, eth.ErrBedrockScalarPadding) {
			return math.MaxUint32, 0, nil
		}
		return 0, 0, err
	}
	base, blob := sysCfg.EcotoneScalars()
	return base, blob, nil
}

// New builds the L1-info of the L2 block at l2Time with sequence number
// seqNumber, whose L1 origin has header l1Header. l1 is the L1 chain's
// config, used for the blob base fee (it may be nil before Ecotone).
func New(rcfg *rollup.Config, l1 *params.ChainConfig, sysCfg eth.SystemConfig, seqNumber uint64, l1Header *types.Header, l2Time uint64) (*Info, error) {
	if rcfg == nil {
		return nil, errors.New("nil rollup config")
	}
	if l1Header == nil || l1Header.Number == nil {
		return nil, errors.New("L1 header without a number")
	}
	if l1Header.BaseFee == nil {
		return nil, errors.New("L1 header has no base fee (pre-London)")
	}
	if !l1Header.Number.IsUint64() {
		return nil, errors.New("L1 block number does not fit in 64 bits")
	}
	info := &Info{
		Format:         FormatAt(rcfg, l2Time),
		Number:         l1Header.Number.Uint64(),
		Time:           l1Header.Time,
		BaseFee:        new(big.Int).Set(l1Header.BaseFee),
		BlockHash:      l1Header.Hash(),
		SequenceNumber: seqNumber,
		BatcherAddr:    sysCfg.BatcherAddr,
	}
	if info.Format == FormatBedrock {
		info.L1FeeOverhead = sysCfg.Overhead
		info.L1FeeScalar = sysCfg.Scalar
		return info, nil
	}
	fee, err := BlobBaseFee(rcfg, l1, l1Header)
	if err != nil {
		return nil, err
	}
	info.BlobBaseFee = fee
	if info.BaseFeeScalar, info.BlobBaseFeeScalar, err = EcotoneScalars(&sysCfg); err != nil {
		return nil, err
	}
	if info.Format >= FormatIsthmus {
		info.OperatorFeeScalar, info.OperatorFeeConstant = sysCfg.OperatorFee()
	}
	if info.Format == FormatJovian {
		info.DAFootprintGasScalar = sysCfg.DAFootprintGasScalar
		if info.DAFootprintGasScalar == 0 {
			info.DAFootprintGasScalar = rollup.DefaultDAFootprintGasScalar
		}
	}
	return info, nil
}

// Deposit wraps L1-info calldata in its deposit transaction for the L2 block
// at l2Time: from the depositor to the L1Block predeploy, source hash of
// domain 1 over (l1BlockHash, seqNumber), no mint, value 0; gas 150,000,000
// and isSystemTx before Regolith, 1,000,000 and not a system tx after.
func Deposit(rcfg *rollup.Config, l1BlockHash common.Hash, seqNumber uint64, calldata []byte, l2Time uint64) *deposit.Tx {
	to := L1BlockAddress
	tx := &deposit.Tx{
		SourceHash: deposit.L1InfoDepositSource(l1BlockHash, seqNumber),
		From:       DepositorAddress,
		To:         &to,
		Value:      new(big.Int),
		Gas:        BedrockSystemTxGas,
		IsSystemTx: true,
		Data:       calldata,
	}
	if rcfg != nil && rcfg.IsRegolith(l2Time) {
		tx.Gas = RegolithSystemTxGas
		tx.IsSystemTx = false
	}
	return tx
}

// DepositTx builds the L1-info deposit of the L2 block at l2Time (op-node's
// L1InfoDeposit).
func DepositTx(rcfg *rollup.Config, l1 *params.ChainConfig, sysCfg eth.SystemConfig, seqNumber uint64, l1Header *types.Header, l2Time uint64) (*deposit.Tx, error) {
	info, err := New(rcfg, l1, sysCfg, seqNumber, l1Header, l2Time)
	if err != nil {
		return nil, err
	}
	data, err := info.Marshal()
	if err != nil {
		return nil, err
	}
	return Deposit(rcfg, info.BlockHash, seqNumber, data, l2Time), nil
}

// DepositBytes is DepositTx, encoded.
func DepositBytes(rcfg *rollup.Config, l1 *params.ChainConfig, sysCfg eth.SystemConfig, seqNumber uint64, l1Header *types.Header, l2Time uint64) ([]byte, error) {
	tx, err := DepositTx(rcfg, l1, sysCfg, seqNumber, l1Header, l2Time)
	if err != nil {
		return nil, err
	}
	return tx.MarshalBinary()
}
