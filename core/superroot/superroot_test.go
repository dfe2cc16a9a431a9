package superroot

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

func TestSuperV1Encoding(t *testing.T) {
	t.Parallel()
	a, b := common.HexToHash("0xaa"), common.HexToHash("0xbb")
	s := NewSuperV1(0x0102030405060708, ChainOutput{ChainID: 130, Output: b}, ChainOutput{ChainID: 10, Output: a})
	want := []byte{1, 1, 2, 3, 4, 5, 6, 7, 8}
	id := func(n byte) []byte { x := make([]byte, 32); x[31] = n; return x }
	want = append(want, id(10)...)
	want = append(want, a[:]...)
	want = append(want, id(130)...)
	want = append(want, b[:]...)
	if !bytes.Equal(s.Marshal(), want) {
		t.Fatalf("preimage %x\nwant     %x", s.Marshal(), want)
	}
	if s.Root() != crypto.Keccak256Hash(want) {
		t.Fatal("root is not keccak256 of the preimage")
	}
	j, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"timestamp":"0x102030405060708","chains":[{"ChainID":"10","Output":"` + a.Hex() + `"},{"ChainID":"130","Output":"` + b.Hex() + `"}]}`
	if string(j) != wantJSON {
		t.Fatalf("json %s\nwant %s", j, wantJSON)
	}
}

type fakeChain struct{ head uint64 }

func blockHash(n uint64) common.Hash { return crypto.Keccak256Hash(big.NewInt(int64(n)).Bytes()) }

func (f fakeChain) L2BlockRefByNumber(_ context.Context, n uint64) (eth.L2BlockRef, error) {
	if n > f.head {
		return eth.L2BlockRef{}, eth.ErrNotFound
	}
	return eth.L2BlockRef{Hash: blockHash(n), Number: n, Time: 1000 + 2*n}, nil
}

func (f fakeChain) OutputV0AtBlock(_ context.Context, h common.Hash) (engine.OutputV0, error) {
	return engine.OutputV0{StateRoot: common.Hash{1}, MessagePasserStorageRoot: common.Hash{2}, BlockHash: h}, nil
}

type fakeIndex map[uint64]eth.BlockID

func (f fakeIndex) L1AtSafeHead(n uint64) (eth.BlockID, error) {
	for l2 := n; l2 < n+100; l2++ {
		if id, ok := f[l2]; ok {
			return id, nil
		}
	}
	return eth.BlockID{}, eth.ErrNotFound
}

func TestAtTimestamp(t *testing.T) {
	t.Parallel()
	cfg := &rollup.Config{BlockTime: 2, L2ChainID: big.NewInt(11155420)}
	cfg.Genesis.L2Time = 1000
	ref := func(n uint64) eth.L2BlockRef { return eth.L2BlockRef{Number: n, Time: 1000 + 2*n} }
	st := Status{CurrentL1: eth.L1BlockRef{Hash: common.Hash{9}, Number: 50}, LocalSafe: ref(20), Safe: ref(18), Finalized: ref(10)}
	api := NewAPI(cfg, func() Status { return st }, fakeChain{head: 30}, fakeIndex{12: {Hash: common.Hash{7}, Number: 44}})
	ctx := context.Background()

	// Block 12 (t=1024) is local-safe: its output and the L1 its safety
	// needs, and the one-chain super root.
	r, err := api.AtTimestamp(ctx, hexutil.Uint64(1024))
	if err != nil {
		t.Fatal(err)
	}
	out := engine.OutputV0{StateRoot: common.Hash{1}, MessagePasserStorageRoot: common.Hash{2}, BlockHash: blockHash(12)}
	o, ok := r.OptimisticAtTimestamp["11155420"]
	if !ok || o.OutputRoot != out.Root() || o.RequiredL1.Number != 44 || r.Data == nil ||
		r.Data.SuperRoot != NewSuperV1(1024, ChainOutput{11155420, out.Root()}).Root() || r.Data.VerifiedRequiredL1.Number != 44 {
		t.Fatalf("answer %+v", r)
	}
	if r.CurrentL1.Number != 50 || r.CurrentSafeTimestamp != 1036 || r.CurrentLocalSafeTimestamp != 1040 || r.CurrentFinalizedTimestamp != 1020 ||
		len(r.ChainIDs) != 1 || r.ChainIDs[0] != "11155420" {
		t.Fatalf("status fields %+v", r)
	}
	j, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var shape map[string]json.RawMessage
	_ = json.Unmarshal(j, &shape)
	for _, k := range []string{"current_l1", "safe_timestamp", "local_safe_timestamp", "finalized_timestamp", "optimistic_at_timestamp", "chain_ids", "data"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, j)
		}
	}

	// Genesis: required L1 is block 0.
	if g, err := api.AtTimestamp(ctx, 1000); err != nil || g.Data == nil || g.Data.VerifiedRequiredL1 != (eth.BlockID{}) {
		t.Fatalf("genesis: %+v, %v", g, err)
	}
	// Past local-safe, before genesis, or past the safe-head index: no
	// output, no data.
	for _, ts := range []uint64{1042, 900, 1038} {
		api := api
		if ts == 1038 {
			api = NewAPI(cfg, func() Status { return Status{LocalSafe: ref(25)} }, fakeChain{head: 30}, fakeIndex{})
		}
		r, err := api.AtTimestamp(ctx, hexutil.Uint64(ts))
		if err != nil || r.Data != nil || len(r.OptimisticAtTimestamp) != 0 {
			t.Fatalf("t=%d: %+v, %v", ts, r, err)
		}
		if j, _ := json.Marshal(r); bytes.Contains(j, []byte(`"data"`)) {
			t.Fatalf("t=%d: data present in %s", ts, j)
		}
	}
}
