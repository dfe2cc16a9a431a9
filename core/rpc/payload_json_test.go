package rpc

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

	"github.com/opalnode/opal/sdk/eth"
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

// The payload JSON that admin_postUnsafePayload reads (sdk/eth) is what
// go-ethereum's Engine API type writes, the format op-node and the engines
// use (hex quantities and bytes), and it reads back unchanged.
func TestPayloadJSONIsTheEngineAPIs(t *testing.T) {
	root := common.Hash{0xaa}
	p := eth.ExecutionPayload{
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
	var back eth.ExecutionPayload
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
