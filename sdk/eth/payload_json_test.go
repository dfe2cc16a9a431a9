package eth

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

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
