package engine

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/plugins/engine/internal/gethtest"
	"github.com/opalnode/opal/sdk/base"
	sdkengine "github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// fakeRollup is the test chain's rollup config (every fork through Jovian
// at genesis) on a made-up genesis block.
func fakeRollup() *rollup.Config {
	g := types.NewBlockWithHeader(&types.Header{Number: new(big.Int), Time: gethtest.GenesisTime})
	return gethtest.RollupConfig(g)
}

// configureFake returns a plugin configured against the fake server.
func configureFake(t *testing.T, f *fakeRPC, timeout string) *Engine {
	t.Helper()
	e := New()
	cfg, _ := json.Marshal(map[string]string{"url": f.URL, "jwt_secret_hex": strings.Repeat("11", 32), "timeout": timeout})
	if err := e.Configure(context.Background(), base.ConfigureRequest{Config: cfg, Rollup: fakeRollup()}); err != nil {
		t.Fatalf("configure: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// calls of the plugin, each naming the Engine API method it must use.
var fakeCalls = map[string]func(e *Engine) error{
	"engine_getPayloadV4": func(e *Engine) error {
		_, err := e.GetPayload(context.Background(), sdkengine.PayloadID{1}, gethtest.GenesisTime+2)
		return err
	},
	"engine_forkchoiceUpdatedV3": func(e *Engine) error {
		gas := uint64(30_000_000)
		attrs := &eth.PayloadAttributes{Timestamp: gethtest.GenesisTime + 2, Withdrawals: []*types.Withdrawal{}, GasLimit: &gas}
		_, err := e.ForkchoiceUpdated(context.Background(), sdkengine.ForkchoiceState{Head: common.Hash{1}}, attrs)
		return err
	},
	"engine_newPayloadV4": func(e *Engine) error {
		root := common.Hash{2}
		_, err := e.NewPayload(context.Background(), &eth.ExecutionPayloadEnvelope{
			ParentBeaconBlockRoot: &root,
			ExecutionPayload:      &eth.ExecutionPayload{Timestamp: gethtest.GenesisTime + 2, BaseFeePerGas: big.NewInt(1)},
		})
		return err
	},
	"eth_getBlockByNumber": func(e *Engine) error {
		_, err := e.L2BlockRefByLabel(context.Background(), eth.Safe)
		return err
	},
}

func TestErrorClassification(t *testing.T) {
	f := newFakeRPC(t)
	e := configureFake(t, f, "300ms")
	cases := []struct {
		name   string
		method string
		rep    reply
		want   []error
	}{
		{"unknown payload", "engine_getPayloadV4", reply{code: -38001, message: "Unknown payload"}, []error{sdkengine.ErrUnknownPayload}},
		{"payload id of another fork", "engine_getPayloadV4", reply{code: -38005, message: "Unsupported fork"}, []error{sdkengine.ErrUnknownPayload}},
		{"invalid attributes", "engine_forkchoiceUpdatedV3", reply{code: -38003, message: "Invalid payload attributes"}, []error{sdkengine.ErrInvalidAttributes}},
		{"attributes as invalid params", "engine_forkchoiceUpdatedV3", reply{code: -32602, message: "missing beacon root"}, []error{sdkengine.ErrInvalidAttributes}},
		{"invalid forkchoice state", "engine_forkchoiceUpdatedV3", reply{code: -38002, message: "Invalid forkchoice state"}, []error{eth.ErrReset}},
		{"unsupported fork", "engine_newPayloadV4", reply{code: -38005, message: "Unsupported fork"}, []error{eth.ErrCritical}},
		{"method not found", "engine_newPayloadV4", reply{code: -32601, message: "no such method"}, []error{eth.ErrCritical}},
		{"invalid params", "engine_newPayloadV4", reply{code: -32602, message: "nil withdrawals"}, []error{eth.ErrInvalidArgument}},
		{"server error", "engine_newPayloadV4", reply{code: -32000, message: "database closed"}, []error{eth.ErrTemporary}},
		{"http 503", "engine_newPayloadV4", reply{status: 503}, []error{eth.ErrTemporary}},
		{"http 500", "engine_getPayloadV4", reply{status: 500}, []error{eth.ErrTemporary}},
		{"http 429", "engine_getPayloadV4", reply{status: 429}, []error{eth.ErrTemporary}},
		{"http 401", "engine_forkchoiceUpdatedV3", reply{status: 401}, []error{ErrJWTRefused, eth.ErrInvalidArgument}},
		{"http 404", "engine_forkchoiceUpdatedV3", reply{status: 404}, []error{eth.ErrInvalidArgument}},
		{"connection closed", "engine_getPayloadV4", reply{hangup: true}, []error{eth.ErrTemporary}},
		{"garbled answer", "engine_newPayloadV4", reply{garbage: true}, []error{eth.ErrTemporary}},
		{"timeout", "engine_forkchoiceUpdatedV3", reply{delay: time.Second, result: nil}, []error{eth.ErrTemporary}},
		{"label not found", "eth_getBlockByNumber", reply{code: -32000, message: "safe block not found"}, []error{eth.ErrNotFound}},
		{"null block", "eth_getBlockByNumber", reply{result: nil}, []error{eth.ErrNotFound}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.script(func(string) reply { return tc.rep })
			err := fakeCalls[tc.method](e)
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Fatalf("want %v, got %v", want, err)
				}
			}
			if !f.called(tc.method) {
				t.Fatalf("%s was not called", tc.method)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a per-call timeout must not read as the caller's deadline: %v", err)
			}
			if !errors.Is(err, eth.ErrNotFound) && (!strings.Contains(err.Error(), tc.method) || !strings.Contains(err.Error(), f.URL)) {
				t.Fatalf("message must name the method and endpoint: %v", err)
			}
		})
	}
}

func TestCallerCancellation(t *testing.T) {
	f := newFakeRPC(t)
	e := configureFake(t, f, "10s")
	f.script(func(string) reply { return reply{delay: 500 * time.Millisecond} })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.GetPayload(ctx, sdkengine.PayloadID{}, gethtest.GenesisTime)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the caller's deadline must show: %v", err)
	}
}

func TestConfigureUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now: connection refused
	cfg := []byte(`{"url":"http://` + addr + `","jwt_secret_hex":"` + strings.Repeat("22", 32) + `","timeout":"2s"}`)
	err = New().Configure(context.Background(), base.ConfigureRequest{Config: cfg, Rollup: fakeRollup()})
	if !errors.Is(err, eth.ErrTemporary) || !strings.Contains(err.Error(), "eth_chainId") {
		t.Fatalf("unreachable engine: %v", err)
	}
}

func TestConfigureRefusedSecretFake(t *testing.T) {
	f := newFakeRPC(t)
	f.script(func(string) reply { return reply{status: 401} })
	cfg := []byte(`{"url":"` + f.URL + `","jwt_secret_hex":"` + strings.Repeat("22", 32) + `"}`)
	err := New().Configure(context.Background(), base.ConfigureRequest{Config: cfg, Rollup: fakeRollup()})
	if !errors.Is(err, ErrJWTRefused) {
		t.Fatalf("401 at configure: %v", err)
	}
}

func TestStatusesAreResults(t *testing.T) {
	f := newFakeRPC(t)
	e := configureFake(t, f, "2s")
	lvh := common.Hash{9}
	for status, want := range map[string]sdkengine.Status{
		"VALID": sdkengine.StatusValid, "INVALID": sdkengine.StatusInvalid, "SYNCING": sdkengine.StatusSyncing,
		"ACCEPTED": sdkengine.StatusAccepted, "INVALID_BLOCK_HASH": sdkengine.StatusInvalidBlockHash,
	} {
		st := map[string]any{"status": status, "latestValidHash": lvh, "validationError": "why"}
		f.script(func(method string) reply {
			if strings.HasPrefix(method, "engine_forkchoiceUpdated") {
				return reply{result: map[string]any{"payloadStatus": st, "payloadId": "0x0102030405060708"}}
			}
			return reply{result: st}
		})
		res, err := e.ForkchoiceUpdated(context.Background(), sdkengine.ForkchoiceState{}, nil)
		if err != nil || res.Status.Status != want || *res.Status.LatestValidHash != lvh || res.Status.ValidationError != "why" ||
			*res.PayloadID != (sdkengine.PayloadID{1, 2, 3, 4, 5, 6, 7, 8}) {
			t.Fatalf("fcu %s: %+v, %v", status, res, err)
		}
		if err := fakeCalls["engine_newPayloadV4"](e); err != nil {
			t.Fatalf("newPayload %s: %v", status, err)
		}
	}
	for name, result := range map[string]any{
		"unknown status": map[string]any{"payloadStatus": map[string]any{"status": "MAYBE"}},
		"short id":       map[string]any{"payloadStatus": map[string]any{"status": "VALID"}, "payloadId": "0x01"},
		"wrong type":     []int{1, 2},
	} {
		f.script(func(string) reply { return reply{result: result} })
		if _, err := e.ForkchoiceUpdated(context.Background(), sdkengine.ForkchoiceState{}, nil); !errors.Is(err, eth.ErrTemporary) {
			t.Fatalf("%s: want eth.ErrTemporary, got %v", name, err)
		}
	}
	f.script(func(string) reply { return reply{result: map[string]any{"blockValue": "0x0"}} })
	if _, err := e.GetPayload(context.Background(), sdkengine.PayloadID{}, gethtest.GenesisTime); !errors.Is(err, eth.ErrTemporary) {
		t.Fatalf("envelope without payload: %v", err)
	}
}
