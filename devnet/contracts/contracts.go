// Package contracts holds the devnet's L1 contracts: the Solidity sources
// (src/), the compiled artifacts (build/, made by `make contracts` and
// committed, so building opal never needs solc), and hand-written Go
// bindings that ABI-encode calls and build the genesis state that deploys
// them without a transaction.
//
//   - Portal: the deposit contract; depositTransaction emits
//     TransactionDeposited exactly as the OptimismPortal does.
//   - SystemConfig: the L1 system config; every setter emits ConfigUpdate.
//   - DepositRelay: deposits from a contract (aliased sender), for tests.
package contracts

import (
	"bytes"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

//go:embed build/*.abi.json build/*.bin
var build embed.FS

// Artifact is one compiled contract.
type Artifact struct {
	Name string
	ABI  abi.ABI
	// Code is the creation bytecode (constructor arguments not included).
	Code []byte
	// Runtime is the deployed bytecode, as placed in a genesis alloc.
	Runtime []byte
}

// The compiled contracts.
var (
	Portal       = mustLoad("Portal")
	SystemConfig = mustLoad("SystemConfig")
	DepositRelay = mustLoad("DepositRelay")
)

// mustLoad reads an embedded artifact. The files are part of the build, so
// a failure is a broken checkout, reported at init.
func mustLoad(name string) *Artifact {
	a, err := load(name)
	if err != nil {
		panic(fmt.Sprintf("devnet/contracts: %s: %v", name, err))
	}
	return a
}

func load(name string) (*Artifact, error) {
	abiJSON, err := build.ReadFile("build/" + name + ".abi.json")
	if err != nil {
		return nil, err
	}
	parsed, err := abi.JSON(bytes.NewReader(abiJSON))
	if err != nil {
		return nil, err
	}
	code, err := readHex("build/" + name + ".bin")
	if err != nil {
		return nil, err
	}
	runtime, err := readHex("build/" + name + ".runtime.bin")
	if err != nil {
		return nil, err
	}
	return &Artifact{Name: name, ABI: parsed, Code: code, Runtime: runtime}, nil
}

func readHex(path string) ([]byte, error) {
	raw, err := build.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s: empty bytecode", path)
	}
	return b, nil
}

// Deploy returns the data of a creation transaction: the creation code
// followed by the ABI-encoded constructor arguments.
func (a *Artifact) Deploy(args ...any) ([]byte, error) {
	enc, err := a.ABI.Pack("", args...)
	if err != nil {
		return nil, fmt.Errorf("%s constructor: %w", a.Name, err)
	}
	return append(append([]byte{}, a.Code...), enc...), nil
}

// mustPack encodes a call whose argument types the Go signature of the
// caller already fixes, so an error is a mismatch between the binding and
// the committed ABI: a bug that the package tests catch.
func (a *Artifact) mustPack(method string, args ...any) []byte {
	data, err := a.ABI.Pack(method, args...)
	if err != nil {
		panic(fmt.Sprintf("devnet/contracts: %s.%s: %v", a.Name, method, err))
	}
	return data
}
