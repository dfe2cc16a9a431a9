package l1source

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// Real Goerli beacon answers: the sidecars of slot 7422094 (five blobs),
// the genesis and the spec (12 s slots).
const (
	goerliDir      = "optimism/op-service/eth/testdata/"
	goerliSidecars = goerliDir + "eth_v1_beacon_blob_sidecars_7422094_goerli.json"
	goerliGenesis  = goerliDir + "eth_v1_beacon_genesis_goerli.json"
	goerliSpec     = goerliDir + "eth_v1_config_spec_goerli.json"
	goerliSlot     = 7422094
)

// goerliSidecar is the part of a recorded sidecar the tests use.
type goerliSidecar struct {
	Index      string             `json:"index"`
	Blob       string             `json:"blob"`
	Commitment kzg4844.Commitment `json:"kzg_commitment"`
}

// fakeBeacon serves the recorded answers; sidecars may be altered or
// dropped, and the indices query is honoured like a beacon node does.
type fakeBeacon struct {
	srv        *httptest.Server
	genesis    []byte
	spec       []byte
	mu         sync.Mutex
	sidecars   []json.RawMessage
	noSidecars bool // answer 404 for blob_sidecars (only the blobs API)
	blobs      map[common.Hash]string
	requests   map[string]int
}

func newFakeBeacon(t *testing.T) *fakeBeacon {
	var doc struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(vectors.Read(t, goerliSidecars), &doc); err != nil {
		t.Fatal(err)
	}
	b := &fakeBeacon{genesis: vectors.Read(t, goerliGenesis), spec: vectors.Read(t, goerliSpec), sidecars: doc.Data,
		blobs: map[common.Hash]string{}, requests: map[string]int{}}
	for _, raw := range doc.Data {
		var sc goerliSidecar
		if err := json.Unmarshal(raw, &sc); err != nil {
			t.Fatal(err)
		}
		b.blobs[kzg4844.CalcBlobHashV1(sha256.New(), &sc.Commitment)] = sc.Blob
	}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *fakeBeacon) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests[r.URL.Path]++
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/eth/v1/beacon/genesis":
		_, _ = w.Write(b.genesis)
	case r.URL.Path == "/eth/v1/config/spec":
		_, _ = w.Write(b.spec)
	case r.URL.Path == "/eth/v1/beacon/blob_sidecars/7422094" && !b.noSidecars:
		want := map[string]bool{}
		for _, i := range r.URL.Query()["indices"] {
			want[i] = true
		}
		out := []json.RawMessage{}
		for _, raw := range b.sidecars {
			var sc goerliSidecar
			_ = json.Unmarshal(raw, &sc)
			if len(want) == 0 || want[sc.Index] {
				out = append(out, raw)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
	case r.URL.Path == "/eth/v1/beacon/blobs/7422094":
		out := []string{}
		for _, h := range r.URL.Query()["versioned_hashes"] {
			if blob, ok := b.blobs[common.HexToHash(h)]; ok {
				out = append(out, blob)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
	default:
		http.Error(w, `{"code":404,"message":"not found"}`, http.StatusNotFound)
	}
}

// alter replaces sidecar i by f(sidecar), in both APIs.
func (b *fakeBeacon) alter(i int, f func(m map[string]any)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var m map[string]any
	_ = json.Unmarshal(b.sidecars[i], &m)
	f(m)
	b.sidecars[i], _ = json.Marshal(m)
	var sc goerliSidecar
	_ = json.Unmarshal(b.sidecars[i], &sc)
	b.blobs[kzg4844.CalcBlobHashV1(sha256.New(), &sc.Commitment)] = sc.Blob
}

func (b *fakeBeacon) count(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests[path]
}

// blobBlock builds an L1 block at the time of the recorded slot with blob
// transactions: two to the inbox (blobs 0-2 and 4) and one elsewhere
// (blob 3), so that sidecar indices count every blob of the block.
func blobBlock(t *testing.T, hashes []common.Hash) (*types.Block, []*types.Receipt) {
	t.Helper()
	signer := types.LatestSignerForChainID(big.NewInt(5))
	mk := func(nonce uint64, to common.Address, blobs []common.Hash) *types.Transaction {
		return types.MustSignNewTx(testKey, signer, &types.BlobTx{
			ChainID: uint256.NewInt(5), Nonce: nonce, GasTipCap: uint256.NewInt(1), GasFeeCap: uint256.NewInt(params.GWei),
			Gas: 21000, To: to, BlobFeeCap: uint256.NewInt(params.GWei), BlobHashes: blobs,
		})
	}
	txs := []*types.Transaction{
		mk(0, testInbox, hashes[0:3]),
		mk(1, common.HexToAddress("0x1234"), hashes[3:4]),
		mk(2, testInbox, hashes[4:5]),
	}
	var receipts []*types.Receipt
	for i, tx := range txs {
		receipts = append(receipts, &types.Receipt{Type: types.BlobTxType, Status: 1, CumulativeGasUsed: uint64(21000 * (i + 1)), TxHash: tx.Hash(), GasUsed: 21000, Logs: []*types.Log{}})
	}
	zero, blobGas := uint64(0), uint64(5*params.BlobTxBlobGasPerBlob)
	root := common.Hash{}
	header := &types.Header{
		ParentHash: common.HexToHash("0x01"), UncleHash: types.EmptyUncleHash, Number: big.NewInt(10_000_000),
		Time: 1606824023 + goerliSlot*12, GasLimit: 30_000_000, GasUsed: 63000, BaseFee: big.NewInt(params.InitialBaseFee),
		Difficulty: new(big.Int), WithdrawalsHash: &types.EmptyWithdrawalsHash, BlobGasUsed: &blobGas, ExcessBlobGas: &zero,
		ParentBeaconRoot: &root,
	}
	header.TxHash = types.DeriveSha(types.Transactions(txs), trie.NewStackTrie(nil))
	header.ReceiptHash = types.DeriveSha(types.Receipts(receipts), trie.NewStackTrie(nil))
	b := types.NewBlockWithHeader(header).WithBody(types.Body{Transactions: txs, Withdrawals: []*types.Withdrawal{}})
	for _, r := range receipts {
		r.BlockHash = b.Hash()
		r.BlockNumber = b.Number()
	}
	return b, receipts
}

// recordedHashes are the versioned hashes of the recorded sidecars, in
// sidecar order.
func recordedHashes(t *testing.T) []common.Hash {
	var doc struct {
		Data []goerliSidecar `json:"data"`
	}
	if err := json.Unmarshal(vectors.Read(t, goerliSidecars), &doc); err != nil {
		t.Fatal(err)
	}
	var out []common.Hash
	for _, sc := range doc.Data {
		out = append(out, kzg4844.CalcBlobHashV1(sha256.New(), &sc.Commitment))
	}
	return out
}

type blobSetup struct {
	block  *types.Block
	hashes []common.Hash
	rpc    *fakeRPC
}

func setupBlobs(t *testing.T) blobSetup {
	hashes := recordedHashes(t)
	if len(hashes) != 5 {
		t.Fatalf("the recorded slot has %d sidecars, the test expects 5", len(hashes))
	}
	b, receipts := blobBlock(t, hashes)
	f := newFakeRPC(t)
	f.serveBlocks([]*types.Block{b}, [][]*types.Receipt{receipts})
	return blobSetup{block: b, hashes: hashes, rpc: f}
}

func (s blobSetup) request() sdkl1.BlockDataRequest {
	h := s.block.Hash()
	return sdkl1.BlockDataRequest{Hash: &h, BatchInbox: testInbox, Blobs: true}
}

// wantBlobs checks that data holds the inbox's blobs (0, 1, 2, 4) in block
// order, each matching its versioned hash.
func (s blobSetup) wantBlobs(t *testing.T, data *eth.L1BlockData) {
	t.Helper()
	want := []common.Hash{s.hashes[0], s.hashes[1], s.hashes[2], s.hashes[4]}
	if len(data.Blobs) != len(want) {
		t.Fatalf("%d blobs, want %d", len(data.Blobs), len(want))
	}
	for i, b := range data.Blobs {
		c, err := kzg4844.BlobToCommitment(b.Data)
		if err != nil {
			t.Fatal(err)
		}
		if b.VersionedHash != want[i] || common.Hash(kzg4844.CalcBlobHashV1(sha256.New(), &c)) != want[i] {
			t.Fatalf("blob %d: hash %s, want %s", i, b.VersionedHash, want[i])
		}
	}
	if len(data.BatcherTxs) != 2 || data.BatcherTxs[0].Index != 0 || data.BatcherTxs[1].Index != 2 {
		t.Fatalf("batcher txs %+v", data.BatcherTxs)
	}
}

func TestBlobsFromBeacon(t *testing.T) {
	s := setupBlobs(t)
	beacon := newFakeBeacon(t)
	src := configured(t, map[string]any{"rpc": s.rpc.srv.URL, "beacon": beacon.srv.URL})
	data, err := src.BlockData(context.Background(), s.request())
	if err != nil {
		t.Fatal(err)
	}
	s.wantBlobs(t, data)
	if n := beacon.count("/eth/v1/beacon/blob_sidecars/7422094"); n != 1 {
		t.Fatalf("%d sidecar requests, want 1 (by index)", n)
	}
	// Again: blobs come from the cache, and the slot timing is kept.
	if data, err = src.BlockData(context.Background(), s.request()); err != nil {
		t.Fatal(err)
	}
	s.wantBlobs(t, data)
	if beacon.count("/eth/v1/beacon/blob_sidecars/7422094") != 1 || beacon.count("/eth/v1/beacon/genesis") != 1 {
		t.Fatal("cached blobs or beacon timing fetched again")
	}
	// Without Blobs no beacon request is made.
	req := s.request()
	req.Blobs = false
	if data, err = src.BlockData(context.Background(), req); err != nil || len(data.Blobs) != 0 {
		t.Fatalf("without blobs: %v, %d blobs", err, len(data.Blobs))
	}
}

func TestCorruptBlobRejected(t *testing.T) {
	s := setupBlobs(t)
	bad := newFakeBeacon(t)
	bad.alter(2, func(m map[string]any) {
		blob := m["blob"].(string)
		m["blob"] = blob[:100] + "00" + blob[102:] // keep the field element canonical
		if m["blob"] == blob {
			m["blob"] = blob[:100] + "01" + blob[102:]
		}
	})
	// Alone, the corrupted blob makes BlockData fail, temporarily.
	alone := configured(t, map[string]any{"rpc": s.rpc.srv.URL, "beacon": bad.srv.URL, "retries": 0})
	data, err := alone.BlockData(context.Background(), s.request())
	if data != nil || !errors.Is(err, eth.ErrTemporary) || !errors.Is(err, ErrBadResponse) {
		t.Fatalf("corrupted blob: %v, %v", data != nil, err)
	}
	if !strings.Contains(err.Error(), s.hashes[2].Hex()) {
		t.Fatalf("error does not name the blob: %v", err)
	}
	// With a fallback (an archiver) the good copy is used.
	good := newFakeBeacon(t)
	src := configured(t, map[string]any{"rpc": s.rpc.srv.URL, "beacon": bad.srv.URL, "beacon_fallbacks": []string{good.srv.URL}})
	if data, err = src.BlockData(context.Background(), s.request()); err != nil {
		t.Fatal(err)
	}
	s.wantBlobs(t, data)
}

func TestMissingBlobIsTemporary(t *testing.T) {
	s := setupBlobs(t)
	beacon := newFakeBeacon(t)
	beacon.mu.Lock()
	beacon.sidecars = beacon.sidecars[:4] // blob 4 (an inbox blob) is gone
	delete(beacon.blobs, s.hashes[4])
	beacon.mu.Unlock()
	src := configured(t, map[string]any{"rpc": s.rpc.srv.URL, "beacon": beacon.srv.URL, "retries": 0})
	data, err := src.BlockData(context.Background(), s.request())
	if data != nil || !errors.Is(err, eth.ErrTemporary) {
		t.Fatalf("missing blob: %v, %v", data != nil, err)
	}
	// No beacon configured at all: also temporary, and it says why.
	none := configured(t, map[string]any{"rpc": s.rpc.srv.URL})
	_, err = none.BlockData(context.Background(), s.request())
	if !errors.Is(err, eth.ErrTemporary) || !strings.Contains(err.Error(), "beacon") {
		t.Fatalf("no beacon: %v", err)
	}
}

// A beacon that no longer serves sidecars (after Fulu) but has the blobs
// API: blobs are checked by recomputing their commitments.
func TestBlobsAPIFallback(t *testing.T) {
	s := setupBlobs(t)
	beacon := newFakeBeacon(t)
	beacon.noSidecars = true
	src := configured(t, map[string]any{"rpc": s.rpc.srv.URL, "beacon": beacon.srv.URL, "retries": 0})
	data, err := src.BlockData(context.Background(), s.request())
	if err != nil {
		t.Fatal(err)
	}
	s.wantBlobs(t, data)
}

// The slot must be one of the beacon chain's: a block time off the slot
// grid means a beacon of another chain.
func TestSlotOfOtherChain(t *testing.T) {
	bc := &beaconClient{genesis: 1606824023, slotSecs: 12}
	if slot, err := bc.slotOf(context.Background(), 1606824023+goerliSlot*12); err != nil || slot != goerliSlot {
		t.Fatalf("slot %d, %v", slot, err)
	}
	for _, ts := range []uint64{1606824023 + 5, 1000} {
		if _, err := bc.slotOf(context.Background(), ts); !errors.Is(err, eth.ErrTemporary) {
			t.Fatalf("time %d: %v", ts, err)
		}
	}
}

// A sidecar whose proof field is not a valid blob proof but whose blob
// matches its commitment is accepted (sidecars rebuilt after Fulu).
func TestBlobProofFallsBackToCommitment(t *testing.T) {
	s := setupBlobs(t)
	beacon := newFakeBeacon(t)
	var other string
	beacon.alter(0, func(m map[string]any) { other = m["kzg_proof"].(string) })
	beacon.alter(1, func(m map[string]any) { m["kzg_proof"] = other })
	src := configured(t, map[string]any{"rpc": s.rpc.srv.URL, "beacon": beacon.srv.URL, "retries": 0})
	data, err := src.BlockData(context.Background(), s.request())
	if err != nil {
		t.Fatal(err)
	}
	s.wantBlobs(t, data)
}
