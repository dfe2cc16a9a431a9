package blockmsg

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/sdk/eth"
)

func u64p(x uint64) *uint64 { return &x }

func hashp(h common.Hash) *common.Hash { return &h }

// sampleEnvelope returns a payload with every field distinct and set as the
// version's layout has it: extraData, three transactions (one of them
// empty), an empty withdrawals list from V2, zero blob gas from V3 and a
// withdrawalsRoot on V4. The block hash is not the payload's own.
func sampleEnvelope(v Version) *eth.ExecutionPayloadEnvelope {
	p := &eth.ExecutionPayload{
		ParentHash:    common.HexToHash("0x1111111111111111111111111111111111111111111111111111111111111111"),
		FeeRecipient:  common.HexToAddress("0x2222222222222222222222222222222222222222"),
		StateRoot:     common.HexToHash("0x3333333333333333333333333333333333333333333333333333333333333333"),
		ReceiptsRoot:  common.HexToHash("0x4444444444444444444444444444444444444444444444444444444444444444"),
		PrevRandao:    common.HexToHash("0x5555555555555555555555555555555555555555555555555555555555555555"),
		BlockNumber:   0x0102030405060708,
		GasLimit:      30_000_000,
		GasUsed:       21_000,
		Timestamp:     1_700_000_000,
		ExtraData:     []byte{0x00, 0x00, 0x00, 0x00, 0xfa, 0x00, 0x00, 0x00, 0x06},
		BaseFeePerGas: new(big.Int).SetBytes(common.FromHex("0x0102030405060708090a0b0c0d0e0f10")),
		BlockHash:     common.HexToHash("0x6666666666666666666666666666666666666666666666666666666666666666"),
		Transactions:  [][]byte{{0x7e, 0x01, 0x02, 0x03}, {}, {0x02, 0xaa, 0xbb}},
	}
	for i := range p.LogsBloom {
		p.LogsBloom[i] = byte(i)
	}
	env := &eth.ExecutionPayloadEnvelope{ExecutionPayload: p}
	if v.HasWithdrawals() {
		p.Withdrawals = []*types.Withdrawal{}
	}
	if v.HasBlobGas() {
		p.BlobGasUsed, p.ExcessBlobGas = u64p(0), u64p(0)
		env.ParentBeaconBlockRoot = hashp(common.HexToHash("0x7777777777777777777777777777777777777777777777777777777777777777"))
	}
	if v.HasWithdrawalsRoot() {
		p.WithdrawalsRoot = hashp(common.HexToHash("0x8888888888888888888888888888888888888888888888888888888888888888"))
	}
	return env
}

// withHash sets the payload's block hash to the rebuilt one.
func withHash(t testing.TB, env *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
	t.Helper()
	h, _ := BlockHash(env, nil)
	env.ExecutionPayload.BlockHash = h
	if _, err := BlockHash(env, nil); err != nil {
		t.Fatal(err)
	}
	return env
}

// cloneEnvelope deep-copies an envelope so that a test can change it.
func cloneEnvelope(env *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
	out := *env
	if env.ParentBeaconBlockRoot != nil {
		out.ParentBeaconBlockRoot = hashp(*env.ParentBeaconBlockRoot)
	}
	p := *env.ExecutionPayload
	p.ExtraData = append([]byte(nil), p.ExtraData...)
	if p.BaseFeePerGas != nil {
		p.BaseFeePerGas = new(big.Int).Set(p.BaseFeePerGas)
	}
	if p.Transactions != nil {
		p.Transactions = make([][]byte, len(env.ExecutionPayload.Transactions))
		for i, tx := range env.ExecutionPayload.Transactions {
			p.Transactions[i] = append([]byte{}, tx...)
		}
	}
	if p.Withdrawals != nil {
		p.Withdrawals = make([]*types.Withdrawal, len(env.ExecutionPayload.Withdrawals))
		for i, w := range env.ExecutionPayload.Withdrawals {
			cp := *w
			p.Withdrawals[i] = &cp
		}
	}
	if p.BlobGasUsed != nil {
		p.BlobGasUsed = u64p(*p.BlobGasUsed)
	}
	if p.ExcessBlobGas != nil {
		p.ExcessBlobGas = u64p(*p.ExcessBlobGas)
	}
	if p.WithdrawalsRoot != nil {
		p.WithdrawalsRoot = hashp(*p.WithdrawalsRoot)
	}
	out.ExecutionPayload = &p
	return &out
}

func mustMarshal(t testing.TB, env *eth.ExecutionPayloadEnvelope, v Version) []byte {
	t.Helper()
	body, err := MarshalBody(env, v)
	if err != nil {
		t.Fatalf("MarshalBody(%s): %v", v, err)
	}
	return body
}
