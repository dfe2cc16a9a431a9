package contracts

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm/runtime"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/sdk/eth"
)

// The committed runtime code is what the committed creation code deploys,
// so a genesis alloc holds the same contract a transaction would.
func TestRuntimeMatchesCreation(t *testing.T) {
	t.Parallel()
	owner := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	for _, tc := range []struct {
		a    *Artifact
		args []any
	}{
		{Portal, nil},
		{SystemConfig, []any{owner}},
	} {
		input, err := tc.a.Deploy(tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		code, _, _, err := runtime.Create(input, &runtime.Config{GasLimit: 10_000_000})
		if err != nil {
			t.Fatalf("%s: deploy: %v", tc.a.Name, err)
		}
		if !bytes.Equal(code, tc.a.Runtime) {
			t.Errorf("%s: deployed code differs from the committed runtime code", tc.a.Name)
		}
	}
}

// SystemConfigStorage puts each value where the contract's getters read it.
func TestSystemConfigStorageLayout(t *testing.T) {
	t.Parallel()
	owner := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	signer := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	cfg := eth.SystemConfig{
		BatcherAddr:          common.HexToAddress("0x00000000000000000000000000000000000000cc"),
		GasLimit:             30_000_000,
		EIP1559Params:        eth.Bytes8{0, 0, 0, 250, 0, 0, 0, 6},
		MinBaseFee:           7,
		DAFootprintGasScalar: 400,
	}
	cfg.Overhead[31] = 3
	cfg.Scalar[0], cfg.Scalar[31] = 1, 9
	cfg.OperatorFeeParams[23], cfg.OperatorFeeParams[31] = 5, 4

	addr := common.HexToAddress("0x1000000000000000000000000000000000000002")
	st, _ := state.New(types.EmptyRootHash, state.NewDatabaseForTesting())
	for acc, a := range GenesisAlloc(common.HexToAddress("0x01"), addr, owner, signer, cfg) {
		st.SetCode(acc, a.Code, tracing.CodeChangeGenesis)
		for k, v := range a.Storage {
			st.SetState(acc, k, v)
		}
	}
	call := func(method string) common.Hash {
		t.Helper()
		out, _, err := runtime.Call(addr, SystemConfig.mustPack(method), &runtime.Config{State: st, GasLimit: 1_000_000})
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return common.BytesToHash(out)
	}
	word := func(v uint64) common.Hash { return common.BigToHash(new(big.Int).SetUint64(v)) }
	for method, want := range map[string]common.Hash{
		"owner":                common.BytesToHash(owner[:]),
		"unsafeBlockSigner":    common.BytesToHash(signer[:]),
		"batcherHash":          common.BytesToHash(cfg.BatcherAddr[:]),
		"overhead":             common.Hash(cfg.Overhead),
		"scalar":               common.Hash(cfg.Scalar),
		"gasLimit":             word(30_000_000),
		"eip1559Params":        word(250<<32 | 6),
		"operatorFeeParams":    common.Hash(cfg.OperatorFeeParams),
		"minBaseFee":           word(7),
		"daFootprintGasScalar": word(400),
	} {
		if got := call(method); got != want {
			t.Errorf("%s() = %s, want %s", method, got, want)
		}
	}
	if UnsafeBlockSignerSlot != common.HexToHash("0x65a7ed542fb37fe237fdfbdd70b31598523fe5b32879e307bae27a0bd9581c08") {
		t.Errorf("unsafe block signer slot %s", UnsafeBlockSignerSlot)
	}
}

func TestApplyAlias(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0x0000000000000000000000000000000000000000": "0x1111000000000000000000000000000000001111",
		"0xffffffffffffffffffffffffffffffffffffffff": "0x1111000000000000000000000000000000001110",
		"0xeeeeffffffffffffffffffffffffffffffffeeef": "0x0000000000000000000000000000000000000000",
	} {
		if got := ApplyAlias(common.HexToAddress(in)); got != common.HexToAddress(want) {
			t.Errorf("alias(%s) = %s, want %s", in, got, want)
		}
	}
}

// The portal emits the deposit exactly as the OptimismPortal does; checked
// here in a bare EVM (the devnet tests do it on a chain, through the
// deriver's decoder).
func TestPortalEvent(t *testing.T) {
	t.Parallel()
	st, _ := state.New(types.EmptyRootHash, state.NewDatabaseForTesting())
	portal := common.HexToAddress("0x1000000000000000000000000000000000000001")
	st.SetCode(portal, Portal.Runtime, tracing.CodeChangeGenesis)
	user := common.HexToAddress("0x00000000000000000000000000000000000000ee")
	st.AddBalance(user, uint256.NewInt(1e18), tracing.BalanceChangeUnspecified)
	to := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	input := PackDepositTransaction(Deposit{To: to, Value: big.NewInt(5), GasLimit: 50_000, Data: []byte{0xca, 0xfe}})
	_, _, err := runtime.Call(portal, input, &runtime.Config{State: st, Origin: user, GasLimit: 1_000_000, Value: big.NewInt(7)})
	if err != nil {
		t.Fatal(err)
	}
	logs := st.Logs()
	if len(logs) != 1 {
		t.Fatalf("%d logs", len(logs))
	}
	l := logs[0]
	opaque := append(append(append(common.BigToHash(big.NewInt(7)).Bytes(), common.BigToHash(big.NewInt(5)).Bytes()...),
		0, 0, 0, 0, 0, 0, 0xc3, 0x50, 0), 0xca, 0xfe)
	wantData := append(append(word(32), word(uint64(len(opaque)))...), opaque...)
	wantData = append(wantData, make([]byte, 32-len(opaque)%32)...)
	if l.Topics[1] != common.BytesToHash(user[:]) || l.Topics[2] != common.BytesToHash(to[:]) || l.Topics[3] != (common.Hash{}) {
		t.Fatalf("topics %v", l.Topics)
	}
	if !bytes.Equal(l.Data, wantData) {
		t.Fatalf("data\n%x\nwant\n%x", l.Data, wantData)
	}
	// Too little gas for the data is refused.
	if _, _, err := runtime.Call(portal, PackDepositTransaction(Deposit{To: to, GasLimit: 21_000, Data: []byte{1}}),
		&runtime.Config{State: st, Origin: user, GasLimit: 1_000_000}); err == nil {
		t.Fatal("deposit below the minimum gas limit accepted")
	}
}

func word(v uint64) []byte { return common.BigToHash(new(big.Int).SetUint64(v)).Bytes() }
