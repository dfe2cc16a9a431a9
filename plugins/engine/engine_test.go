package engine

import (
	"context"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/engine/internal/gethtest"
	"github.com/opalnode/opal/sdk/base"
	sdkengine "github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// checkBlockOne checks what the suite does not: block 1 decodes to the L1
// origin and sequence number its L1-info deposit carries, and to the system
// config it encodes.
func checkBlockOne(t *testing.T, eng sdkengine.Engine, l1Origin eth.BlockID) {
	t.Helper()
	ctx := context.Background()
	ref, err := eng.L2BlockRefByNumber(ctx, 1)
	if err != nil {
		t.Fatalf("block 1: %v", err)
	}
	if ref.L1Origin != l1Origin || ref.SequenceNumber != 0 {
		t.Fatalf("block 1 origin %v seq %d, want %v seq 0", ref.L1Origin, ref.SequenceNumber, l1Origin)
	}
	sc, err := eng.SystemConfigByL2Hash(ctx, ref.Hash)
	if err != nil {
		t.Fatalf("system config: %v", err)
	}
	if want := gethtest.SystemConfig(); sc != want {
		t.Fatalf("system config\n got %+v\nwant %+v", sc, want)
	}
}

func TestEngineSuite(t *testing.T) {
	g, e := startEngine(t)
	gen := genesisRef(g)
	l1 := l1Header(gen.L1Origin.Number+1, gen.L1Origin.Hash, gen.Time)
	sdktest.RunEngineSuite(t, e, gen, func(parent eth.L2BlockRef) *eth.PayloadAttributes {
		return attrsFor(t, g.Rollup, parent, l1, 0)
	})
	checkBlockOne(t, e, eth.BlockID{Hash: l1.Hash(), Number: l1.Number.Uint64()})
}

func TestEngineSuiteOverGRPC(t *testing.T) {
	g := gethtest.Start(t)
	eng := sdktest.Engine(t, New())
	req := base.ConfigureRequest{Config: configJSON(t, g.HTTPURL, g.SecretFile), Rollup: g.Rollup}
	if err := eng.Configure(context.Background(), req); err != nil {
		t.Fatalf("configure over gRPC: %v", err)
	}
	gen := genesisRef(g)
	l1 := l1Header(gen.L1Origin.Number+1, gen.L1Origin.Hash, gen.Time)
	sdktest.RunEngineSuite(t, eng, gen, func(parent eth.L2BlockRef) *eth.PayloadAttributes {
		return attrsFor(t, g.Rollup, parent, l1, 0)
	})
	checkBlockOne(t, eng, eth.BlockID{Hash: l1.Hash(), Number: l1.Number.Uint64()})
}

func TestWebsocketEndpoint(t *testing.T) {
	g := gethtest.Start(t)
	e := New()
	defer e.Close()
	req := base.ConfigureRequest{Config: configJSON(t, g.WSURL, g.SecretFile), Rollup: g.Rollup}
	if err := e.Configure(context.Background(), req); err != nil {
		t.Fatalf("configure over websocket: %v", err)
	}
	gen := genesisRef(g)
	l1 := l1Header(gen.L1Origin.Number+1, gen.L1Origin.Hash, gen.Time)
	buildBlock(t, e, gen, attrsFor(t, g.Rollup, gen, l1, 0))
}

func TestWrongJWTSecretRefused(t *testing.T) {
	g := gethtest.Start(t)
	wrong := strings.Repeat("ab", 32)
	for _, url := range []string{g.HTTPURL, g.WSURL} {
		e := New()
		cfg := []byte(`{"url":"` + url + `","jwt_secret_hex":"` + wrong + `"}`)
		err := e.Configure(context.Background(), base.ConfigureRequest{Config: cfg, Rollup: g.Rollup})
		if !errors.Is(err, ErrJWTRefused) || !errors.Is(err, eth.ErrInvalidArgument) {
			t.Fatalf("%s: want ErrJWTRefused wrapping eth.ErrInvalidArgument, got %v", url, err)
		}
		if !strings.Contains(err.Error(), "JWT") || !strings.Contains(err.Error(), "jwt_secret") {
			t.Fatalf("%s: message should name the JWT secret: %v", url, err)
		}
		t.Logf("%s: %v", url, err)
		if _, err := e.L2BlockRefByNumber(context.Background(), 0); !errors.Is(err, eth.ErrInvalidArgument) {
			t.Fatalf("unconfigured engine must refuse calls, got %v", err)
		}
	}
}

func TestWrongChainRefused(t *testing.T) {
	g := gethtest.Start(t)
	other := *g.Rollup
	other.L2ChainID = big.NewInt(902)
	err := New().Configure(context.Background(), base.ConfigureRequest{Config: configJSON(t, g.HTTPURL, g.SecretFile), Rollup: &other})
	if !errors.Is(err, eth.ErrInvalidArgument) || !strings.Contains(err.Error(), "chain id") {
		t.Fatalf("chain id mismatch: %v", err)
	}
	other = *gethtest.RollupConfig(g.Genesis)
	other.Genesis.L2.Hash = common.HexToHash("0xbad")
	err = New().Configure(context.Background(), base.ConfigureRequest{Config: configJSON(t, g.HTTPURL, g.SecretFile), Rollup: &other})
	if !errors.Is(err, eth.ErrInvalidArgument) || !strings.Contains(err.Error(), "genesis") {
		t.Fatalf("genesis mismatch: %v", err)
	}
}

// buildBlock runs the sequencer's Engine API flow for one block and makes
// it the head; it returns the sealed payload.
func buildBlock(t testing.TB, e *Engine, parent eth.L2BlockRef, a *eth.PayloadAttributes) *eth.ExecutionPayloadEnvelope {
	t.Helper()
	ctx := context.Background()
	fc := sdkengine.ForkchoiceState{Head: parent.Hash, Safe: parent.Hash, Finalized: parent.Hash}
	res, err := e.ForkchoiceUpdated(ctx, fc, a)
	if err != nil || res.Status.Status != sdkengine.StatusValid || res.PayloadID == nil {
		t.Fatalf("fcu with attributes: %+v, %v", res, err)
	}
	env, err := e.GetPayload(ctx, *res.PayloadID, a.Timestamp)
	if err != nil {
		t.Fatalf("getPayload: %v", err)
	}
	st, err := e.NewPayload(ctx, env)
	if err != nil || st.Status != sdkengine.StatusValid {
		t.Fatalf("newPayload: %+v, %v", st, err)
	}
	fc.Head = env.ExecutionPayload.BlockHash
	res, err = e.ForkchoiceUpdated(ctx, fc, nil)
	if err != nil || res.Status.Status != sdkengine.StatusValid {
		t.Fatalf("fcu: %+v, %v", res, err)
	}
	return env
}

func TestReadsOfBuiltBlocks(t *testing.T) {
	g, e := startEngine(t)
	ctx := context.Background()
	gen := genesisRef(g)
	// A fresh engine may not report a safe or finalized block yet; that is
	// eth.ErrNotFound, not a failure.
	for _, label := range []eth.BlockLabel{eth.Unsafe, eth.Safe, eth.Finalized} {
		ref, err := e.L2BlockRefByLabel(ctx, label)
		if err != nil && !errors.Is(err, eth.ErrNotFound) || err == nil && ref != gen {
			t.Fatalf("fresh engine %s: %+v, %v", label, ref, err)
		}
		t.Logf("fresh engine %s: %v, %v", label, ref.ID(), err)
	}
	l1 := l1Header(gen.L1Origin.Number+1, gen.L1Origin.Hash, gen.Time)
	env1 := buildBlock(t, e, gen, attrsFor(t, g.Rollup, gen, l1, 0))
	ref1, err := e.L2BlockRefByHash(ctx, env1.ExecutionPayload.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	env2 := buildBlock(t, e, ref1, attrsFor(t, g.Rollup, ref1, l1, 1))

	ref2, err := e.L2BlockRefByNumber(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	want2 := eth.L2BlockRef{Hash: env2.ExecutionPayload.BlockHash, Number: 2, ParentHash: ref1.Hash,
		Time: env2.ExecutionPayload.Timestamp, L1Origin: ref1.L1Origin, SequenceNumber: 1}
	if ref2 != want2 {
		t.Fatalf("block 2\n got %+v\nwant %+v", ref2, want2)
	}
	if head, err := e.L2BlockRefByLabel(ctx, eth.Unsafe); err != nil || head != ref2 {
		t.Fatalf("unsafe head %+v, %v", head, err)
	}
	// buildBlock kept safe and finalized at the parent of the new head.
	if safe, err := e.L2BlockRefByLabel(ctx, eth.Safe); err != nil || safe != ref1 {
		t.Fatalf("safe head %+v, %v; want %+v", safe, err, ref1)
	}
	if fin, err := e.L2BlockRefByLabel(ctx, eth.Finalized); err != nil || fin != ref1 {
		t.Fatalf("finalized head %+v, %v", fin, err)
	}
	if _, err := e.L2BlockRefByLabel(ctx, eth.BlockLabel(42)); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("bad label: %v", err)
	}

	// PayloadByNumber gives back exactly what getPayload sealed, and the
	// engine accepts it again.
	for _, env := range []*eth.ExecutionPayloadEnvelope{env1, env2} {
		got, err := e.PayloadByNumber(ctx, env.ExecutionPayload.BlockNumber)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, env) {
			t.Fatalf("payload by number\n got %+v\nwant %+v", got.ExecutionPayload, env.ExecutionPayload)
		}
		st, err := e.NewPayload(ctx, got)
		if err != nil || st.Status != sdkengine.StatusValid {
			t.Fatalf("re-inserting block %d: %+v, %v", env.ExecutionPayload.BlockNumber, st, err)
		}
	}
	if _, err := e.PayloadByNumber(ctx, 99); !errors.Is(err, eth.ErrNotFound) {
		t.Fatalf("payload of a missing block: %v", err)
	}
	if _, err := e.SystemConfigByL2Hash(ctx, common.HexToHash("0x99")); !errors.Is(err, eth.ErrNotFound) {
		t.Fatalf("system config of a missing block: %v", err)
	}
	if sc, err := e.SystemConfigByL2Hash(ctx, gen.Hash); err != nil || sc != g.Rollup.Genesis.SystemConfig {
		t.Fatalf("genesis system config %+v, %v", sc, err)
	}
	if sc, err := e.SystemConfigByL2Hash(ctx, ref2.Hash); err != nil || sc != gethtest.SystemConfig() {
		t.Fatalf("block 2 system config %+v, %v", sc, err)
	}
}

// TestVerdictsAreResults checks that the engine's verdicts on bad payloads
// and forkchoices come back as statuses and its protocol errors as the
// contract's kinds, against the real engine.
func TestVerdictsAreResults(t *testing.T) {
	g, e := startEngine(t)
	ctx := context.Background()
	gen := genesisRef(g)
	l1 := l1Header(gen.L1Origin.Number+1, gen.L1Origin.Hash, gen.Time)
	a := attrsFor(t, g.Rollup, gen, l1, 0)
	env := buildBlock(t, e, gen, a)

	bad := *env.ExecutionPayload
	bad.StateRoot = common.HexToHash("0x5a5a")
	st, err := e.NewPayload(ctx, &eth.ExecutionPayloadEnvelope{ParentBeaconBlockRoot: env.ParentBeaconBlockRoot, ExecutionPayload: &bad})
	if err != nil || (st.Status != sdkengine.StatusInvalid && st.Status != sdkengine.StatusInvalidBlockHash) {
		t.Fatalf("tampered payload: %+v, %v", st, err)
	}

	orphan := *env.ExecutionPayload
	orphan.ParentHash = common.HexToHash("0x0123")
	orphan.BlockNumber = 7
	st, err = e.NewPayload(ctx, &eth.ExecutionPayloadEnvelope{ParentBeaconBlockRoot: env.ParentBeaconBlockRoot, ExecutionPayload: &orphan})
	if err != nil || st.Status == sdkengine.StatusValid {
		t.Fatalf("payload with unknown parent: %+v, %v", st, err)
	}

	unknown := common.HexToHash("0x0456")
	res, err := e.ForkchoiceUpdated(ctx, sdkengine.ForkchoiceState{Head: unknown}, nil)
	if err != nil || res.Status.Status != sdkengine.StatusSyncing {
		t.Fatalf("fcu to an unknown head: %+v, %v", res, err)
	}

	head := env.ExecutionPayload.BlockHash
	_, err = e.ForkchoiceUpdated(ctx, sdkengine.ForkchoiceState{Head: head, Safe: unknown, Finalized: gen.Hash}, nil)
	if !errors.Is(err, eth.ErrReset) {
		t.Fatalf("fcu with an unknown safe block: want eth.ErrReset, got %v", err)
	}

	stale := *a // timestamp not after the new head's parent... rebuilt on the head with an old time
	stale.Timestamp = gen.Time
	_, err = e.ForkchoiceUpdated(ctx, sdkengine.ForkchoiceState{Head: head, Safe: gen.Hash, Finalized: gen.Hash}, &stale)
	if !errors.Is(err, sdkengine.ErrInvalidAttributes) {
		t.Fatalf("attributes older than the head: want ErrInvalidAttributes, got %v", err)
	}

	noRoot := *env
	noRoot.ParentBeaconBlockRoot = nil
	if _, err := e.NewPayload(ctx, &noRoot); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("payload without beacon root: %v", err)
	}
	if _, err := e.NewPayload(ctx, nil); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("nil envelope: %v", err)
	}
}
