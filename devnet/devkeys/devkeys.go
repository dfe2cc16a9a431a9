// Package devkeys holds the devnet's development accounts: the first ten
// accounts of the well-known test mnemonic
// "test test test test test test test test test test test junk"
// (m/44'/60'/0'/0/i), which wallets and tools such as Foundry and Hardhat
// already know. They are public: never use them on a real chain.
package devkeys

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Mnemonic is the BIP-39 phrase the keys derive from.
const Mnemonic = "test test test test test test test test test test test junk"

// hexKeys are the private keys of accounts 0..9 of Mnemonic. They are
// listed rather than derived so the devnet needs no BIP-32 code; a test
// checks each against its well-known address.
var hexKeys = [...]string{
	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
	"59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
	"5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
	"7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
	"47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
	"8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
	"92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
	"4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
	"dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
	"2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
}

// Count is the number of accounts.
const Count = len(hexKeys)

// Roles: which account does what on the devnet.
const (
	// Admin owns the SystemConfig.
	Admin = 0
	// Batcher posts batches to the batch inbox.
	Batcher = 1
	// Sequencer signs unsafe blocks (the SystemConfig's unsafe block
	// signer).
	Sequencer = 2
	// FirstUser is the first of the accounts left for users and tests.
	FirstUser = 3
)

// Key returns the private key of account i. It panics when i is out of
// range.
func Key(i int) *ecdsa.PrivateKey {
	if i < 0 || i >= Count {
		panic(fmt.Sprintf("devkeys: no account %d", i))
	}
	k, err := crypto.HexToECDSA(hexKeys[i])
	if err != nil {
		panic(fmt.Sprintf("devkeys: account %d: %v", i, err))
	}
	return k
}

// Address returns the address of account i.
func Address(i int) common.Address { return crypto.PubkeyToAddress(Key(i).PublicKey) }

// Keys returns every account's key, in order.
func Keys() []*ecdsa.PrivateKey {
	out := make([]*ecdsa.PrivateKey, Count)
	for i := range out {
		out[i] = Key(i)
	}
	return out
}

// Alloc funds every account with balance wei.
func Alloc(balance *big.Int) types.GenesisAlloc {
	alloc := make(types.GenesisAlloc, Count)
	for i := 0; i < Count; i++ {
		alloc[Address(i)] = types.Account{Balance: new(big.Int).Set(balance)}
	}
	return alloc
}

// DefaultBalance is what each account holds at genesis on L1 and L2: one
// million ether.
var DefaultBalance = new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(1e18))
