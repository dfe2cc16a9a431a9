package l1

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/devnet/devkeys"
)

// start runs an on-demand L1 with the dev accounts funded.
func start(t *testing.T, cfg Config) (*Node, *ethclient.Client) {
	t.Helper()
	cfg.Alloc = devkeys.Alloc(devkeys.DefaultBalance)
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	c, err := ethclient.Dial(n.HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return n, c
}

func commit(t *testing.T, n *Node, count int) *types.Block {
	t.Helper()
	var b *types.Block
	for i := 0; i < count; i++ {
		var err error
		if b, err = n.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestCommitSlotsAndLabels(t *testing.T) {
	t.Parallel()
	n, c := start(t, Config{OnDemand: true, SafeLag: 2, FinalizedLag: 5})
	ctx := context.Background()
	commit(t, n, 12)
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if head.Number.Uint64() != 12 {
		t.Fatalf("head %d, want 12", head.Number)
	}
	// Every block sits on its own slot boundary.
	prev := n.GenesisBlock().Header()
	for i := uint64(1); i <= 12; i++ {
		h, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if (h.Time-prev.Time)%n.SlotTime() != 0 || h.Time <= prev.Time || n.slotTime(n.Slot(h.Time)) != h.Time {
			t.Fatalf("block %d time %d is not on a new slot after %d", i, h.Time, prev.Time)
		}
		if h.ParentBeaconRoot == nil || *h.ParentBeaconRoot == (common.Hash{}) {
			t.Fatalf("block %d has no parent beacon root", i)
		}
		prev = h
	}
	for tag, want := range map[int64]uint64{int64(rpc.SafeBlockNumber): 10, int64(rpc.FinalizedBlockNumber): 7} {
		h, err := c.HeaderByNumber(ctx, big.NewInt(tag))
		if err != nil {
			t.Fatal(err)
		}
		if h.Number.Uint64() != want {
			t.Errorf("label %d at %d, want %d", tag, h.Number, want)
		}
	}
}

func TestBlockClock(t *testing.T) {
	t.Parallel()
	n, c := start(t, Config{SlotTime: 1})
	deadline := time.Now().Add(10 * time.Second)
	for {
		num, err := c.BlockNumber(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if num >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d blocks after 10s with 1s slots", num)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReorg(t *testing.T) {
	t.Parallel()
	n, c := start(t, Config{OnDemand: true, SafeLag: 1, FinalizedLag: 3})
	ctx := context.Background()
	commit(t, n, 6)
	before := hashes(t, c, 6)
	if err := n.Reorg(ctx, 2); err != nil {
		t.Fatal(err)
	}
	after := hashes(t, c, 6)
	for i := 0; i <= 4; i++ {
		if before[i] != after[i] {
			t.Errorf("block %d changed", i)
		}
	}
	for i := 5; i <= 6; i++ {
		if before[i] == after[i] {
			t.Errorf("block %d did not change", i)
		}
	}
	if err := n.Reorg(ctx, 4); err == nil {
		t.Error("reorg past the finalized block was allowed")
	}
	// The chain goes on from the new branch.
	if b := commit(t, n, 1); b.ParentHash() != after[6] {
		t.Error("next block is not on the new branch")
	}

	// A transaction of a dropped block is mined again after the reorg.
	key := devkeys.Key(devkeys.FirstUser)
	chainID, _ := c.ChainID(ctx)
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: 0, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(50e9), Gas: 21_000,
		To: &common.Address{1}, Value: big.NewInt(1),
	})
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if b := commit(t, n, 1); len(b.Transactions()) != 1 {
		t.Fatal("transaction not mined")
	}
	if err := n.Reorg(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TransactionReceipt(ctx, tx.Hash()); err == nil {
		t.Fatal("transaction still mined after its block was dropped")
	}
	commit(t, n, 1)
	if rec, err := c.TransactionReceipt(ctx, tx.Hash()); err != nil || rec.Status != 1 {
		t.Fatalf("dropped transaction not mined again: %v", err)
	}
}

func hashes(t *testing.T, c *ethclient.Client, upto uint64) []common.Hash {
	t.Helper()
	out := make([]common.Hash, upto+1)
	for i := range out {
		h, err := c.HeaderByNumber(context.Background(), big.NewInt(int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = h.Hash()
	}
	return out
}

func TestBlobSidecarsServed(t *testing.T) {
	t.Parallel()
	n, c := start(t, Config{OnDemand: true})
	ctx := context.Background()
	commit(t, n, 1)
	inbox := common.HexToAddress("0xff00000000000000000000000000000000000901")
	tx, blob := blobTx(t, c, devkeys.Key(devkeys.Batcher), inbox)
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	b := commit(t, n, 1)
	rec, err := c.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != 1 || rec.BlockHash != b.Hash() || rec.BlobGasUsed == 0 {
		t.Fatalf("blob tx not included in block %d: %+v", b.NumberU64(), rec)
	}
	slot := n.Slot(b.Time())

	// op-node's format: the sidecars of the block at the slot.
	var sc struct {
		Data []struct {
			Index         string        `json:"index"`
			Blob          hexutil.Bytes `json:"blob"`
			KZGCommitment hexutil.Bytes `json:"kzg_commitment"`
			KZGProof      hexutil.Bytes `json:"kzg_proof"`
			Header        struct {
				Message struct {
					Slot string `json:"slot"`
				} `json:"message"`
			} `json:"signed_block_header"`
		} `json:"data"`
	}
	get(t, n.BeaconEndpoint()+"/eth/v1/beacon/blob_sidecars/"+strconv.FormatUint(slot, 10), &sc)
	if len(sc.Data) != 1 {
		t.Fatalf("%d sidecars at slot %d, want 1", len(sc.Data), slot)
	}
	s := sc.Data[0]
	var commitment kzg4844.Commitment
	copy(commitment[:], s.KZGCommitment)
	if vh := kzg4844.CalcBlobHashV1(sha256.New(), &commitment); vh != tx.BlobHashes()[0] {
		t.Fatalf("served commitment hashes to %x, tx carries %x", vh, tx.BlobHashes()[0])
	}
	var proof kzg4844.Proof
	copy(proof[:], s.KZGProof)
	var served kzg4844.Blob
	copy(served[:], s.Blob)
	if served != *blob || kzg4844.VerifyBlobProof(&served, commitment, proof) != nil {
		t.Fatal("served blob differs from the sent one or fails its proof")
	}
	if s.Index != "0" || s.Header.Message.Slot != strconv.FormatUint(slot, 10) {
		t.Fatalf("index %s slot %s", s.Index, s.Header.Message.Slot)
	}

	// The newer blobs endpoint, filtered by versioned hash.
	var bl struct {
		Data []hexutil.Bytes `json:"data"`
	}
	get(t, n.BeaconEndpoint()+"/eth/v1/beacon/blobs/"+strconv.FormatUint(slot, 10)+"?versioned_hashes="+tx.BlobHashes()[0].Hex(), &bl)
	if len(bl.Data) != 1 || kzg4844.Blob(bl.Data[0]) != *blob {
		t.Fatalf("blobs endpoint returned %d blobs", len(bl.Data))
	}
	// The parent block has no blobs; a slot without a block is not found.
	parent, err := c.HeaderByHash(ctx, b.ParentHash())
	if err != nil {
		t.Fatal(err)
	}
	get(t, n.BeaconEndpoint()+"/eth/v1/beacon/blob_sidecars/"+strconv.FormatUint(n.Slot(parent.Time), 10), &sc)
	if len(sc.Data) != 0 {
		t.Fatal("sidecars served for a block without blobs")
	}
	resp, err := http.Get(n.BeaconEndpoint() + "/eth/v1/beacon/blob_sidecars/" + strconv.FormatUint(slot+1, 10))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("slot after the head: %s, want 404", resp.Status)
	}

	var genesis struct {
		Data struct {
			GenesisTime string `json:"genesis_time"`
		} `json:"data"`
	}
	get(t, n.BeaconEndpoint()+"/eth/v1/beacon/genesis", &genesis)
	var spec struct {
		Data struct {
			SecondsPerSlot string `json:"SECONDS_PER_SLOT"`
		} `json:"data"`
	}
	get(t, n.BeaconEndpoint()+"/eth/v1/config/spec", &spec)
	gt, _ := new(big.Int).SetString(genesis.Data.GenesisTime, 10)
	sps, _ := new(big.Int).SetString(spec.Data.SecondsPerSlot, 10)
	if gt == nil || sps == nil || (b.Time()-gt.Uint64())/sps.Uint64() != slot {
		t.Fatalf("genesis %q and seconds per slot %q do not give slot %d for time %d", genesis.Data.GenesisTime, spec.Data.SecondsPerSlot, slot, b.Time())
	}
}

func TestWriteGenesis(t *testing.T) {
	t.Parallel()
	n, _ := start(t, Config{OnDemand: true})
	path := filepath.Join(t.TempDir(), "l1-genesis.json")
	if err := n.WriteGenesis(path); err != nil {
		t.Fatal(err)
	}
	g, err := readGenesis(path)
	if err != nil {
		t.Fatal(err)
	}
	if h := g.ToBlock().Hash(); h != n.GenesisBlock().Hash() {
		t.Fatalf("written genesis hashes to %s, chain genesis is %s", h, n.GenesisBlock().Hash())
	}
	if g.Config.PragueTime == nil || *g.Config.PragueTime != 0 || g.Config.OsakaTime != nil || g.Config.BlobScheduleConfig.Prague == nil {
		t.Fatal("written chain config lacks Prague at genesis or has Osaka")
	}
}

func readGenesis(path string) (*core.Genesis, error) {
	var g core.Genesis
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &g, json.Unmarshal(data, &g)
}

func get(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// blobTx makes a one-blob transaction from key to `to`.
func blobTx(t *testing.T, c *ethclient.Client, key *ecdsa.PrivateKey, to common.Address) (*types.Transaction, *kzg4844.Blob) {
	t.Helper()
	ctx := context.Background()
	blob := new(kzg4844.Blob)
	for i := 0; i < len(blob); i += 32 {
		blob[i+1] = byte(i / 32) // the first byte of each field element stays 0
	}
	commitment, err := kzg4844.BlobToCommitment(blob)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := kzg4844.ComputeBlobProof(blob, commitment)
	if err != nil {
		t.Fatal(err)
	}
	sidecar := types.NewBlobTxSidecar(types.BlobSidecarVersion0, []kzg4844.Blob{*blob}, []kzg4844.Commitment{commitment}, []kzg4844.Proof{proof})
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(chainID), &types.BlobTx{
		ChainID:    uint256.MustFromBig(chainID),
		Nonce:      nonce,
		GasTipCap:  uint256.NewInt(1e9),
		GasFeeCap:  uint256.NewInt(100e9),
		Gas:        21_000,
		To:         to,
		BlobFeeCap: uint256.NewInt(100e9),
		BlobHashes: sidecar.BlobHashes(),
		Sidecar:    sidecar,
	})
	return tx, blob
}
