// Package l1info implements the L1-info deposit, the first transaction of
// every derived L2 block: its calldata in the Bedrock, Ecotone, Isthmus and
// Jovian formats, the choice of format by L2 timestamp, the deposit itself,
// the blob base fee it reports, and the reconstruction of the system config
// from an L2 block (op-node's PayloadToSystemConfig).
package l1info

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/eth"
)

// Format is an L1-info calldata layout.
type Format uint8

const (
	// FormatBedrock is setL1BlockValues(...): eight ABI words, 260 bytes.
	FormatBedrock Format = iota + 1
	// FormatEcotone is setL1BlockValuesEcotone(): packed, 164 bytes.
	FormatEcotone
	// FormatIsthmus is setL1BlockValuesIsthmus(): Ecotone plus the
	// operator fee, 176 bytes.
	FormatIsthmus
	// FormatJovian is setL1BlockValuesJovian(): Isthmus plus the DA
	// footprint gas scalar, 178 bytes.
	FormatJovian
)

// Function signatures of the L1Block setters.
const (
	SignatureBedrock = "setL1BlockValues(uint64,uint64,uint256,bytes32,uint64,bytes32,uint256,uint256)"
	SignatureEcotone = "setL1BlockValuesEcotone()"
	SignatureIsthmus = "setL1BlockValuesIsthmus()"
	SignatureJovian  = "setL1BlockValuesJovian()"
)

// Calldata lengths.
const (
	LenBedrock = 4 + 32*8
	LenEcotone = 4 + 32*5
	LenIsthmus = LenEcotone + 4 + 8
	LenJovian  = LenIsthmus + 2
)

func selectorOf(sig string) [4]byte { return [4]byte(crypto.Keccak256([]byte(sig))[:4]) }

var (
	SelectorBedrock = selectorOf(SignatureBedrock) // 0x015d8eb9
	SelectorEcotone = selectorOf(SignatureEcotone) // 0x440a5e20
	SelectorIsthmus = selectorOf(SignatureIsthmus) // 0x098999be
	SelectorJovian  = selectorOf(SignatureJovian)  // 0x3db6be2b
)

func (f Format) String() string {
	switch f {
	case FormatBedrock:
		return "bedrock"
	case FormatEcotone:
		return "ecotone"
	case FormatIsthmus:
		return "isthmus"
	case FormatJovian:
		return "jovian"
	default:
		return fmt.Sprintf("format(%d)", uint8(f))
	}
}

// Selector returns the format's 4-byte function selector.
func (f Format) Selector() [4]byte {
	switch f {
	case FormatBedrock:
		return SelectorBedrock
	case FormatEcotone:
		return SelectorEcotone
	case FormatIsthmus:
		return SelectorIsthmus
	case FormatJovian:
		return SelectorJovian
	}
	return [4]byte{}
}

// Len returns the calldata length of the format, or 0 for an unknown one.
func (f Format) Len() int {
	switch f {
	case FormatBedrock:
		return LenBedrock
	case FormatEcotone:
		return LenEcotone
	case FormatIsthmus:
		return LenIsthmus
	case FormatJovian:
		return LenJovian
	}
	return 0
}

// Info is the content of an L1-info deposit. Which fields are meaningful
// depends on Format: L1FeeOverhead and L1FeeScalar only in Bedrock;
// BlobBaseFee, BaseFeeScalar and BlobBaseFeeScalar from Ecotone;
// OperatorFeeScalar and OperatorFeeConstant from Isthmus;
// DAFootprintGasScalar in Jovian.
type Info struct {
	Format Format

	Number    uint64
	Time      uint64
	BaseFee   *big.Int
	BlockHash common.Hash
	// SequenceNumber is the L2 block's position in its epoch.
	SequenceNumber uint64
	BatcherAddr    common.Address

	L1FeeOverhead eth.Bytes32
	L1FeeScalar   eth.Bytes32

	BlobBaseFee       *big.Int
	BaseFeeScalar     uint32
	BlobBaseFeeScalar uint32

	OperatorFeeScalar   uint32
	OperatorFeeConstant uint64

	DAFootprintGasScalar uint16
}

// ID returns the L1 origin the info describes.
func (i *Info) ID() eth.BlockID { return eth.BlockID{Hash: i.BlockHash, Number: i.Number} }

var (
	// ErrUnknownSelector: the calldata does not start with an L1-info
	// selector.
	ErrUnknownSelector = errors.New("unknown L1-info selector")
	// ErrInvalidLength: the calldata length does not match its format.
	ErrInvalidLength = errors.New("invalid L1-info calldata length")
	// ErrInvalidField: a field does not fit its ABI word.
	ErrInvalidField = errors.New("invalid L1-info field")
)

func putUint256(dst []byte, n *big.Int, name string) error {
	if n == nil {
		return fmt.Errorf("%w: %s is missing", ErrInvalidField, name)
	}
	if n.Sign() < 0 || n.BitLen() > 256 {
		return fmt.Errorf("%w: %s out of uint256 range", ErrInvalidField, name)
	}
	n.FillBytes(dst[:32])
	return nil
}

// Marshal encodes the info as calldata in i.Format.
func (i *Info) Marshal() ([]byte, error) {
	if i == nil {
		return nil, errors.New("nil L1 info")
	}
	out := make([]byte, i.Format.Len())
	if len(out) == 0 {
		return nil, fmt.Errorf("unknown L1-info format %v", i.Format)
	}
	sel := i.Format.Selector()
	copy(out, sel[:])
	if i.Format == FormatBedrock {
		w := out[4:]
		binary.BigEndian.PutUint64(w[24:32], i.Number)
		binary.BigEndian.PutUint64(w[56:64], i.Time)
		if err := putUint256(w[64:96], i.BaseFee, "base fee"); err != nil {
			return nil, err
		}
		copy(w[96:128], i.BlockHash[:])
		binary.BigEndian.PutUint64(w[152:160], i.SequenceNumber)
		copy(w[172:192], i.BatcherAddr[:])
		copy(w[192:224], i.L1FeeOverhead[:])
		copy(w[224:256], i.L1FeeScalar[:])
		return out, nil
	}
	binary.BigEndian.PutUint32(out[4:8], i.BaseFeeScalar)
	binary.BigEndian.PutUint32(out[8:12], i.BlobBaseFeeScalar)
	binary.BigEndian.PutUint64(out[12:20], i.SequenceNumber)
	binary.BigEndian.PutUint64(out[20:28], i.Time)
	binary.BigEndian.PutUint64(out[28:36], i.Number)
	if err := putUint256(out[36:68], i.BaseFee, "base fee"); err != nil {
		return nil, err
	}
	if err := putUint256(out[68:100], i.BlobBaseFee, "blob base fee"); err != nil {
		return nil, err
	}
	copy(out[100:132], i.BlockHash[:])
	copy(out[144:164], i.BatcherAddr[:])
	if i.Format >= FormatIsthmus {
		binary.BigEndian.PutUint32(out[164:168], i.OperatorFeeScalar)
		binary.BigEndian.PutUint64(out[168:176], i.OperatorFeeConstant)
	}
	if i.Format == FormatJovian {
		binary.BigEndian.PutUint16(out[176:178], i.DAFootprintGasScalar)
	}
	return out, nil
}

// Decode decodes L1-info calldata in whichever format its selector names.
// The length must be exactly the format's; number words and the batcher
// word must carry zero padding.
func Decode(calldata []byte) (*Info, error) {
	if len(calldata) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrInvalidLength, len(calldata))
	}
	switch [4]byte(calldata[:4]) {
	case SelectorBedrock:
		return decodeAs(FormatBedrock, calldata)
	case SelectorEcotone:
		return decodeAs(FormatEcotone, calldata)
	case SelectorIsthmus:
		return decodeAs(FormatIsthmus, calldata)
	case SelectorJovian:
		return decodeAs(FormatJovian, calldata)
	}
	return nil, fmt.Errorf("%w: %x", ErrUnknownSelector, calldata[:4])
}

// DecodeFormat decodes calldata that must be in the given format.
func DecodeFormat(f Format, calldata []byte) (*Info, error) {
	if f.Len() == 0 {
		return nil, fmt.Errorf("unknown L1-info format %v", f)
	}
	return decodeAs(f, calldata)
}

func zero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func wordUint64(w []byte, name string) (uint64, error) {
	if !zero(w[:24]) {
		return 0, fmt.Errorf("%w: %s padding is not empty", ErrInvalidField, name)
	}
	return binary.BigEndian.Uint64(w[24:32]), nil
}

func wordAddress(w []byte) (common.Address, error) {
	if !zero(w[:12]) {
		return common.Address{}, fmt.Errorf("%w: batcher hash has non-zero version or padding: %x", ErrInvalidField, w[:12])
	}
	return common.BytesToAddress(w[12:32]), nil
}

func decodeAs(f Format, data []byte) (*Info, error) {
	if len(data) != f.Len() {
		return nil, fmt.Errorf("%w: %s calldata is %d bytes, got %d", ErrInvalidLength, f, f.Len(), len(data))
	}
	if sel := f.Selector(); [4]byte(data[:4]) != sel {
		return nil, fmt.Errorf("%w: want %s selector %x, got %x", ErrUnknownSelector, f, sel, data[:4])
	}
	info := &Info{Format: f}
	var err error
	if f == FormatBedrock {
		w := data[4:]
		if info.Number, err = wordUint64(w[0:32], "number"); err != nil {
			return nil, err
		}
		if info.Time, err = wordUint64(w[32:64], "timestamp"); err != nil {
			return nil, err
		}
		info.BaseFee = new(big.Int).SetBytes(w[64:96])
		info.BlockHash = common.BytesToHash(w[96:128])
		if info.SequenceNumber, err = wordUint64(w[128:160], "sequence number"); err != nil {
			return nil, err
		}
		if info.BatcherAddr, err = wordAddress(w[160:192]); err != nil {
			return nil, err
		}
		copy(info.L1FeeOverhead[:], w[192:224])
		copy(info.L1FeeScalar[:], w[224:256])
		return info, nil
	}
	info.BaseFeeScalar = binary.BigEndian.Uint32(data[4:8])
	info.BlobBaseFeeScalar = binary.BigEndian.Uint32(data[8:12])
	info.SequenceNumber = binary.BigEndian.Uint64(data[12:20])
	info.Time = binary.BigEndian.Uint64(data[20:28])
	info.Number = binary.BigEndian.Uint64(data[28:36])
	info.BaseFee = new(big.Int).SetBytes(data[36:68])
	info.BlobBaseFee = new(big.Int).SetBytes(data[68:100])
	info.BlockHash = common.BytesToHash(data[100:132])
	if info.BatcherAddr, err = wordAddress(data[132:164]); err != nil {
		return nil, err
	}
	if f >= FormatIsthmus {
		info.OperatorFeeScalar = binary.BigEndian.Uint32(data[164:168])
		info.OperatorFeeConstant = binary.BigEndian.Uint64(data[168:176])
	}
	if f == FormatJovian {
		info.DAFootprintGasScalar = binary.BigEndian.Uint16(data[176:178])
	}
	return info, nil
}
