package engine

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/sdk/base"
	sdkengine "github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// staggeredRollup schedules each fork 100 s after the previous one:
// Regolith at 0, Canyon 100, Delta 200, Ecotone 300, Fjord 400, Granite
// 500, Holocene 600, Isthmus 700, Jovian 800, Karst 900.
func staggeredRollup() *rollup.Config {
	cfg := fakeRollup()
	at := func(t uint64) *uint64 { return &t }
	cfg.RegolithTime, cfg.CanyonTime, cfg.DeltaTime = at(0), at(100), at(200)
	cfg.EcotoneTime, cfg.FjordTime, cfg.GraniteTime = at(300), at(400), at(500)
	cfg.HoloceneTime, cfg.IsthmusTime, cfg.JovianTime, cfg.KarstTime = at(600), at(700), at(800), at(900)
	cfg.Genesis.L2Time = 0
	return cfg
}

func TestMethodSelection(t *testing.T) {
	cfg := staggeredRollup()
	cases := []struct {
		time            uint64
		fcu, get, newPl string
	}{
		{0, "V1", "V2", "V2"},    // Bedrock/Regolith
		{99, "V1", "V2", "V2"},   // last second before Canyon
		{100, "V2", "V2", "V2"},  // Canyon
		{250, "V2", "V2", "V2"},  // Delta
		{299, "V2", "V2", "V2"},  //
		{300, "V3", "V3", "V3"},  // Ecotone
		{450, "V3", "V3", "V3"},  // Fjord
		{550, "V3", "V3", "V3"},  // Granite
		{650, "V3", "V3", "V3"},  // Holocene
		{699, "V3", "V3", "V3"},  //
		{700, "V3", "V4", "V4"},  // Isthmus
		{850, "V3", "V4", "V4"},  // Jovian
		{899, "V3", "V4", "V4"},  //
		{900, "V3", "V5", "V4"},  // Karst (Osaka)
		{1e12, "V3", "V5", "V4"}, //
	}
	for _, tc := range cases {
		attrs := &eth.PayloadAttributes{Timestamp: tc.time}
		if got := fcuMethod(cfg, attrs); got != "engine_forkchoiceUpdated"+tc.fcu {
			t.Errorf("t=%d: fcu %s, want %s", tc.time, got, tc.fcu)
		}
		if got := getPayloadMethod(cfg, tc.time); got != "engine_getPayload"+tc.get {
			t.Errorf("t=%d: getPayload %s, want %s", tc.time, got, tc.get)
		}
		if got := newPayloadMethod(cfg, tc.time); got != "engine_newPayload"+tc.newPl {
			t.Errorf("t=%d: newPayload %s, want %s", tc.time, got, tc.newPl)
		}
	}
	// A head-only update uses V3 at every fork, as op-node does.
	if got := fcuMethod(cfg, nil); got != methodFCUV3 {
		t.Errorf("head-only fcu: %s", got)
	}
	// A chain that never leaves Bedrock.
	bedrock := &rollup.Config{BlockTime: 2}
	if fcuMethod(bedrock, &eth.PayloadAttributes{Timestamp: 1e9}) != methodFCUV1 ||
		getPayloadMethod(bedrock, 1e9) != methodGetPayloadV2 || newPayloadMethod(bedrock, 1e9) != methodNewPayloadV2 {
		t.Error("bedrock-only chain must use FCU V1, getPayload V2, newPayload V2")
	}
}

// TestRequestShapes checks on the wire what each version sends: the
// parameters newPayload V2/V3/V4 take and the attributes' OP fields.
func TestRequestShapes(t *testing.T) {
	f := newFakeRPC(t)
	e := New()
	defer e.Close()
	cfgJSON, _ := json.Marshal(map[string]string{"url": f.URL, "jwt_secret_hex": strings.Repeat("33", 32)})
	if err := e.Configure(context.Background(), base.ConfigureRequest{Config: cfgJSON, Rollup: staggeredRollup()}); err != nil {
		t.Fatal(err)
	}
	valid := map[string]any{"status": "VALID"}
	f.script(func(method string) reply {
		if strings.HasPrefix(method, "engine_forkchoiceUpdated") {
			return reply{result: map[string]any{"payloadStatus": valid}}
		}
		return reply{result: valid}
	})
	root := common.Hash{7}
	for _, tc := range []struct {
		time   uint64
		method string
		params []string
	}{
		{50, "engine_newPayloadV2", []string{"payload"}},
		{350, "engine_newPayloadV3", []string{"payload", "[]", `"` + root.Hex() + `"`}},
		{750, "engine_newPayloadV4", []string{"payload", "[]", `"` + root.Hex() + `"`, "[]"}},
		{950, "engine_newPayloadV4", []string{"payload", "[]", `"` + root.Hex() + `"`, "[]"}},
	} {
		p := &eth.ExecutionPayload{Timestamp: tc.time, BaseFeePerGas: big.NewInt(1)}
		if _, err := e.NewPayload(context.Background(), &eth.ExecutionPayloadEnvelope{ParentBeaconBlockRoot: &root, ExecutionPayload: p}); err != nil {
			t.Fatalf("t=%d: %v", tc.time, err)
		}
		req, ok := f.requestFor(tc.method)
		if !ok || len(req.Params) != len(tc.params) {
			t.Fatalf("t=%d: %s with %d params, want %d", tc.time, tc.method, len(req.Params), len(tc.params))
		}
		var payload map[string]json.RawMessage
		if err := json.Unmarshal(req.Params[0], &payload); err != nil {
			t.Fatal(err)
		}
		if string(payload["transactions"]) != "[]" {
			t.Errorf("t=%d: empty transactions sent as %s, want []", tc.time, payload["transactions"])
		}
		if _, ok := payload["blobGasUsed"]; ok {
			t.Errorf("t=%d: nil blobGasUsed must be omitted", tc.time)
		}
		for i, want := range tc.params[1:] {
			if got := string(req.Params[i+1]); got != want {
				t.Errorf("t=%d: param %d is %s, want %s", tc.time, i+1, got, want)
			}
		}
	}

	gas, minBase := uint64(30_000_000), uint64(1_000_000_007)
	params := eth.Bytes8{0, 0, 0, 250, 0, 0, 0, 6}
	attrs := &eth.PayloadAttributes{
		Timestamp: 850, Withdrawals: []*types.Withdrawal{}, ParentBeaconBlockRoot: &root,
		Transactions: [][]byte{{0x7e, 1}}, NoTxPool: true, GasLimit: &gas, EIP1559Params: &params, MinBaseFee: &minBase,
	}
	if _, err := e.ForkchoiceUpdated(context.Background(), sdkengine.ForkchoiceState{}, attrs); err != nil {
		t.Fatal(err)
	}
	req, _ := f.requestFor("engine_forkchoiceUpdatedV3")
	var got map[string]json.RawMessage
	if err := json.Unmarshal(req.Params[1], &got); err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{
		"timestamp":             `"0x352"`,
		"withdrawals":           `[]`,
		"parentBeaconBlockRoot": `"` + root.Hex() + `"`,
		"transactions":          `["0x7e01"]`,
		"noTxPool":              `true`,
		"gasLimit":              `"0x1c9c380"`,
		"eip1559Params":         `"0x000000fa00000006"`,
		"minBaseFee":            `1000000007`, // a plain number, not hex
	} {
		if string(got[field]) != want {
			t.Errorf("attributes %s = %s, want %s", field, got[field], want)
		}
	}

	// Before Canyon the attributes carry no withdrawals list at all.
	pre := &eth.PayloadAttributes{Timestamp: 50, GasLimit: &gas}
	if _, err := e.ForkchoiceUpdated(context.Background(), sdkengine.ForkchoiceState{}, pre); err != nil {
		t.Fatal(err)
	}
	req, _ = f.requestFor("engine_forkchoiceUpdatedV1")
	got = nil
	if err := json.Unmarshal(req.Params[1], &got); err != nil {
		t.Fatal(err)
	}
	if w, ok := got["withdrawals"]; ok && string(w) != "null" {
		t.Errorf("pre-Canyon withdrawals sent as %s", w)
	}
	for _, field := range []string{"parentBeaconBlockRoot", "eip1559Params", "minBaseFee"} {
		if _, ok := got[field]; ok {
			t.Errorf("pre-Canyon attributes carry %s", field)
		}
	}
	// Head-only: attributes are null.
	if _, err := e.ForkchoiceUpdated(context.Background(), sdkengine.ForkchoiceState{}, nil); err != nil {
		t.Fatal(err)
	}
	req, _ = f.requestFor("engine_forkchoiceUpdatedV3")
	if len(req.Params) != 2 || string(req.Params[1]) != "null" {
		t.Errorf("head-only fcu params %s", req.Params)
	}
}
