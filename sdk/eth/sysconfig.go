package eth

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// SystemConfig is the L1-configurable part of the rollup: the batcher that
// may post data, the fee parameters and the gas limit. Its JSON form is the
// one rollup.json uses for genesis.system_config.
type SystemConfig struct {
	BatcherAddr common.Address `json:"batcherAddr"`
	// Overhead is the pre-Ecotone L1 fee overhead; ignored after Ecotone.
	Overhead Bytes32 `json:"overhead"`
	// Scalar is the L1 fee scalar; after Ecotone it is versioned (byte 0).
	Scalar   Bytes32 `json:"scalar"`
	GasLimit uint64  `json:"gasLimit"`
	// EIP1559Params is denominator (u32) ‖ elasticity (u32), from Holocene.
	EIP1559Params Bytes8 `json:"eip1559Params"`
	// OperatorFeeParams holds the operator fee scalar (bytes 20..24) and
	// constant (bytes 24..32), from Isthmus.
	OperatorFeeParams Bytes32 `json:"operatorFeeParams"`
	// MinBaseFee is the base fee floor, from Jovian.
	MinBaseFee uint64 `json:"minBaseFee"`
	// DAFootprintGasScalar is the DA footprint gas scalar, from Jovian.
	DAFootprintGasScalar uint16 `json:"daFootprintGasScalar"`
}

// EcotoneScalars returns the base fee and blob base fee scalars of a
// versioned scalar. A version-0 scalar carries only the base fee scalar.
func (c *SystemConfig) EcotoneScalars() (baseFeeScalar, blobBaseFeeScalar uint32) {
	switch c.Scalar[0] {
	case 1:
		return binary.BigEndian.Uint32(c.Scalar[28:32]), binary.BigEndian.Uint32(c.Scalar[24:28])
	default:
		return binary.BigEndian.Uint32(c.Scalar[28:32]), 0
	}
}

// OperatorFee returns the operator fee scalar and constant.
func (c *SystemConfig) OperatorFee() (scalar uint32, constant uint64) {
	return binary.BigEndian.Uint32(c.OperatorFeeParams[20:24]), binary.BigEndian.Uint64(c.OperatorFeeParams[24:32])
}

// Versions of the L1 fee scalar (byte 0 of SystemConfig.Scalar).
const (
	// ScalarVersionBedrock holds only the base fee scalar, in bytes 28..32.
	ScalarVersionBedrock = 0
	// ScalarVersionEcotone holds the blob base fee scalar in bytes 24..28
	// and the base fee scalar in bytes 28..32.
	ScalarVersionEcotone = 1
)

// ErrBedrockScalarPadding reports a version-0 scalar with non-zero bytes in
// 1..28. The protocol reads such a scalar as base fee scalar MaxUint32.
var ErrBedrockScalarPadding = errors.New("version 0 scalar padding is not empty")

// CheckEcotoneScalar reports whether a versioned scalar is well formed after
// Ecotone: version 0 with zero bytes 1..28, or version 1 with zero bytes
// 1..24. Other versions are rejected.
func CheckEcotoneScalar(scalar Bytes32) error {
	switch scalar[0] {
	case ScalarVersionBedrock:
		if [27]byte(scalar[1:28]) != ([27]byte{}) {
			return ErrBedrockScalarPadding
		}
		return nil
	case ScalarVersionEcotone:
		if [23]byte(scalar[1:24]) != ([23]byte{}) {
			return fmt.Errorf("version 1 scalar padding is not empty: %x", scalar[1:24])
		}
		return nil
	default:
		return fmt.Errorf("unknown scalar version %d", scalar[0])
	}
}
