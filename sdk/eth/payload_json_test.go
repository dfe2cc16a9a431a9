package eth

import (
	"bytes"
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

func u64p(v uint64) *uint64 { return &v }

// decodeMap decodes a JSON object keeping numbers exact.
func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

// A payload marshals as go-ethereum's Engine API type does (the format
// op-node and the engines read: hex quantities and bytes), and reads back
// unchanged.
func TestPayloadJSONIsTheEngineAPIs(t *testing.T) {
	root := common.Hash{0xaa}
	p := ExecutionPayload{
		ParentHash: common.Hash{1}, FeeRecipient: common.Address{2}, StateRoot: common.Hash{3}, ReceiptsRoot: common.Hash{4},
		LogsBloom: types.Bloom{5}, PrevRandao: common.Hash{6}, BlockNumber: 0x1234, GasLimit: 30_000_000, GasUsed: 21_000,
		Timestamp: 1_700_000_000, ExtraData: []byte{0, 0, 0, 0, 250, 0, 0, 0, 6}, BaseFeePerGas: big.NewInt(1_000_000_007),
		BlockHash: common.Hash{7}, Transactions: [][]byte{{0x7e, 0xc0}, {0x02, 0xc1, 0x80}}, Withdrawals: []*types.Withdrawal{},
		BlobGasUsed: u64p(0), ExcessBlobGas: u64p(131072), WithdrawalsRoot: &root,
	}
	ours, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := json.Marshal(engine.ExecutableData{
		ParentHash: p.ParentHash, FeeRecipient: p.FeeRecipient, StateRoot: p.StateRoot, ReceiptsRoot: p.ReceiptsRoot,
		LogsBloom: p.LogsBloom[:], Random: p.PrevRandao, Number: p.BlockNumber, GasLimit: p.GasLimit, GasUsed: p.GasUsed,
		Timestamp: p.Timestamp, ExtraData: p.ExtraData, BaseFeePerGas: p.BaseFeePerGas, BlockHash: p.BlockHash,
		Transactions: p.Transactions, Withdrawals: p.Withdrawals, BlobGasUsed: p.BlobGasUsed, ExcessBlobGas: p.ExcessBlobGas,
	})
	if err != nil {
		t.Fatal(err)
	}
	o, r := decodeMap(t, ours), decodeMap(t, ref)
	for k, rv := range r {
		if rv == nil {
			continue // go-ethereum writes absent optional fields as null
		}
		if !reflect.DeepEqual(o[k], rv) {
			t.Errorf("%s: ours %v, go-ethereum's %v", k, o[k], rv)
		}
	}
	if o["withdrawalsRoot"] != root.Hex() || o["blockNumber"] != "0x1234" {
		t.Fatalf("op fields: %s", ours)
	}
	var back ExecutionPayload
	if err := json.Unmarshal(ours, &back); err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back, p)
	}
	// Before Canyon no withdrawals, before Ecotone no blob fields: absent.
	p.Withdrawals, p.BlobGasUsed, p.ExcessBlobGas, p.WithdrawalsRoot = nil, nil, nil, nil
	pre, _ := json.Marshal(p)
	for _, k := range []string{"withdrawals", "blobGasUsed", "excessBlobGas", "withdrawalsRoot"} {
		if _, ok := decodeMap(t, pre)[k]; ok {
			t.Errorf("%s written for a payload without it: %s", k, pre)
		}
	}
	// A payload in the old plain-JSON form, or missing a field, is refused.
	if err := json.Unmarshal([]byte(`{"blockNumber":5}`), &back); err == nil {
		t.Fatal("a payload without its required fields accepted")
	}
	bad := strings.Replace(string(ours), `"blockNumber":"0x1234"`, `"blockNumber":4660`, 1)
	if err := json.Unmarshal([]byte(bad), &back); err == nil {
		t.Fatal("a decimal block number accepted")
	}
}

// Attributes marshal as op-node's (the Engine API's plus the OP fields),
// with Canyon's empty withdrawal list kept as [] and absent fields left
// out, and read back unchanged.
func TestAttributesJSON(t *testing.T) {
	root := common.Hash{9}
	params := Bytes8{0, 0, 0, 250, 0, 0, 0, 6}
	a := PayloadAttributes{
		Timestamp: 0x10, PrevRandao: common.Hash{1}, SuggestedFeeRecipient: common.Address{2}, Withdrawals: []*types.Withdrawal{},
		ParentBeaconBlockRoot: &root, Transactions: [][]byte{{0x7e, 0xc0}}, NoTxPool: true, GasLimit: u64p(30_000_000),
		EIP1559Params: &params, MinBaseFee: u64p(7),
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeMap(t, b)
	want := map[string]any{"timestamp": "0x10", "gasLimit": "0x1c9c380", "eip1559Params": "0x000000fa00000006", "minBaseFee": "0x7",
		"noTxPool": true, "transactions": []any{"0x7ec0"}, "withdrawals": []any{}, "parentBeaconBlockRoot": root.Hex()}
	for k, v := range want {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("%s: %v, want %v", k, m[k], v)
		}
	}
	var back PayloadAttributes
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, a) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back, a)
	}
	pre, _ := json.Marshal(PayloadAttributes{Timestamp: 1})
	for _, k := range []string{"withdrawals", "parentBeaconBlockRoot", "transactions", "noTxPool", "gasLimit", "eip1559Params", "minBaseFee"} {
		if _, ok := decodeMap(t, pre)[k]; ok {
			t.Errorf("%s written when absent: %s", k, pre)
		}
	}
}
