package upgrade

import (
	_ "embed"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/plugins/deriver/deposit"
)

// LagoonBundleSHA256 pins lagoon_nut_bundle.json (the "lagoon" entry of
// op-core/nuts/fork_lock.toml: 28 transactions).
const LagoonBundleSHA256 = "2124ce31c0947cac15f00114214dd4354848f7b4642ff2d12ebb3f94b28cc989"

// LagoonLabel is the label of the Lagoon bundle's source-hash intents. It is
// "Interop", not "Lagoon": the bundle kept the name the feature had when its
// source hashes were fixed.
const LagoonLabel = "Interop"

// lagoonWrapperGas is the gas of the two interop wrappers (setFeature
// 100,000 + fund 50,000). It is part of the Lagoon upgrade gas whether or not
// the wrappers are in the block.
const lagoonWrapperGas = 150_000

// The targets of the interop wrappers.
var (
	L1BlockAddr      = common.HexToAddress("0x4200000000000000000000000000000000000015")
	ETHLiquidityAddr = common.HexToAddress("0x4200000000000000000000000000000000000025")
)

//go:embed lagoon_nut_bundle.json
var lagoonBundleJSON []byte

type lagoonData struct {
	bundle  [][]byte // the bundle's deposits
	pre     []byte   // setFeature(INTEROP)
	post    []byte   // ETHLiquidity funding
	gas     uint64   // bundle gas + the wrappers' gas
	intents []string
}

var lagoon = mustLoadLagoon()

func mustLoadLagoon() *lagoonData {
	l, err := loadLagoon()
	if err != nil {
		panic("upgrade: embedded Lagoon data is invalid: " + err.Error())
	}
	return l
}

func loadLagoon() (*lagoonData, error) {
	b, err := loadBundle("lagoon_nut_bundle.json", lagoonBundleJSON, LagoonBundleSHA256, LagoonLabel)
	if err != nil {
		return nil, err
	}
	l := &lagoonData{bundle: b.raws, gas: b.gas + lagoonWrapperGas, intents: b.intents}
	if l.pre, err = setFeatureInterop().MarshalBinary(); err != nil {
		return nil, err
	}
	if l.post, err = fundETHLiquidity().MarshalBinary(); err != nil {
		return nil, err
	}
	return l, nil
}

// setFeatureInterop turns on the INTEROP feature in L1Block, which gates the
// interop predeploys' upgrades; it runs before the bundle.
func setFeatureInterop() *deposit.Tx {
	data := append([]byte(nil), crypto.Keccak256([]byte("setFeature(bytes32)"))[:4]...)
	var feature [32]byte
	copy(feature[:], "INTEROP")
	data = append(data, feature[:]...)
	to := L1BlockAddr
	return &deposit.Tx{
		SourceHash: deposit.UpgradeDepositSource(LagoonLabel + " pre: setFeature(INTEROP)"),
		From:       Depositor,
		To:         &to,
		Mint:       new(big.Int),
		Value:      new(big.Int),
		Gas:        100_000,
		Data:       data,
	}
}

// fundETHLiquidity mints 2^128-1 wei into ETHLiquidity, the pool interop ETH
// transfers draw from; it runs after the bundle.
func fundETHLiquidity() *deposit.Tx {
	amount := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
	to := ETHLiquidityAddr
	return &deposit.Tx{
		SourceHash: deposit.UpgradeDepositSource(LagoonLabel + " post: ETHLiquidity Funding"),
		From:       Depositor,
		To:         &to,
		Mint:       new(big.Int).Set(amount),
		Value:      amount,
		Gas:        50_000,
		Data:       append([]byte(nil), crypto.Keccak256([]byte("fund()"))[:4]...),
	}
}

// LagoonTransactions returns the Lagoon activation deposits: the bundle, and
// with interop (a dependency set of more than one chain) setFeature(INTEROP)
// before it and the ETHLiquidity funding after it. Fresh copies.
func LagoonTransactions(interop bool) [][]byte {
	out := make([][]byte, 0, len(lagoon.bundle)+2)
	if interop {
		out = append(out, lagoon.pre)
	}
	out = append(out, lagoon.bundle...)
	if interop {
		out = append(out, lagoon.post)
	}
	return copyTxs(out)
}

// LagoonUpgradeGas is the gas added to the gas limit of the Lagoon
// activation block, and subtracted again when the system config is read
// back from it: the bundle's gas limits plus 150,000 for the wrappers,
// whether or not the chain has them (op-node PR #22216). There is no opt-out.
func LagoonUpgradeGas() uint64 { return lagoon.gas }

// LagoonIntents returns the qualified intents ("Interop <i>: <intent>") of
// the bundle's deposits.
func LagoonIntents() []string { return append([]string(nil), lagoon.intents...) }
