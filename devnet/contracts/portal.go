package contracts

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// AliasOffset is added (mod 2^160) to the address of an L1 contract that
// deposits, so that it cannot act as the L2 account with the same address.
var AliasOffset = common.HexToAddress("0x1111000000000000000000000000000000001111")

// Deposit is one call of Portal.depositTransaction. The ETH sent with the
// transaction (its value) is the deposit's mint.
type Deposit struct {
	// To is the L2 recipient; it must be zero when IsCreation is set.
	To common.Address
	// Value is transferred to To on L2, out of the sender's L2 balance
	// (after the mint). nil means zero.
	Value *big.Int
	// GasLimit is the L2 gas the deposit buys. The portal refuses less
	// than 21,000 + 40 per data byte.
	GasLimit uint64
	// IsCreation makes the deposit create a contract with Data as init
	// code.
	IsCreation bool
	Data       []byte
}

// PackDepositTransaction encodes a call of Portal.depositTransaction.
func PackDepositTransaction(d Deposit) []byte {
	return Portal.mustPack("depositTransaction", d.args()...)
}

// PackRelayDepositTransaction encodes a call of
// DepositRelay.depositTransaction, which forwards it to the portal.
func PackRelayDepositTransaction(d Deposit) []byte {
	return DepositRelay.mustPack("depositTransaction", d.args()...)
}

// args are the depositTransaction arguments, with nil read as zero.
func (d Deposit) args() []any {
	value := d.Value
	if value == nil {
		value = new(big.Int)
	}
	data := d.Data
	if data == nil {
		data = []byte{}
	}
	return []any{d.To, value, d.GasLimit, d.IsCreation, data}
}

// ApplyAlias returns the L2 sender of a deposit made by the L1 contract
// addr.
func ApplyAlias(addr common.Address) common.Address {
	sum := new(big.Int).Add(new(big.Int).SetBytes(addr[:]), new(big.Int).SetBytes(AliasOffset[:]))
	var out common.Address
	b := sum.Bytes()
	if len(b) > common.AddressLength { // wrap mod 2^160
		b = b[len(b)-common.AddressLength:]
	}
	copy(out[common.AddressLength-len(b):], b)
	return out
}
