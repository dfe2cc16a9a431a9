package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/plugins/deriver/blob"
	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/sysconfig"
	"github.com/opalnode/opal/sdk/eth"
)

// fakeL1Block serves one block as the retrieval stage's source.
type fakeL1Block struct {
	blk *eth.L1BlockData
	cfg eth.SystemConfig
}

func (f *fakeL1Block) Origin() eth.L1BlockRef { return f.blk.Ref() }
func (f *fakeL1Block) Current() (*eth.L1BlockData, eth.SystemConfig) {
	return f.blk, f.cfg
}

func TestRetrieval(t *testing.T) {
	t.Parallel()
	other := mustKey("0x0123456789012345678901234567890123456789012345678901234567890123")
	payload := func(s string) []byte { return append([]byte{0}, s...) }
	goodBlob, err := blob.Encode(payload("blob"))
	if err != nil {
		t.Fatal(err)
	}
	badBlob := new(kzg4844.Blob)
	badBlob[1] = 9 // unknown encoding version
	hGood, hBad, hMissing := common.Hash{1, 1}, common.Hash{1, 2}, common.Hash{1, 3}
	blobs := []eth.Blob{{VersionedHash: hGood, Data: goodBlob}, {VersionedHash: hBad, Data: badBlob}}
	depositTx := func(from common.Address, to common.Address, data string) []byte {
		raw, err := (&deposit.Tx{From: from, To: &to, Value: new(big.Int), Gas: 1, Data: payload(data)}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	setCode := func() []byte {
		tx := types.MustSignNewTx(testBatcherKey, types.LatestSignerForChainID(testL1ChainID), &types.SetCodeTx{
			ChainID: uint256.MustFromBig(testL1ChainID), GasTipCap: uint256.NewInt(1), GasFeeCap: uint256.NewInt(1e10), Gas: 100_000,
			To: testInbox, Value: uint256.NewInt(0), Data: payload("setcode"),
			AuthList: []types.SetCodeAuthorization{{ChainID: *uint256.NewInt(0), Address: common.HexToAddress("0x1")}},
		})
		raw, _ := tx.MarshalBinary()
		return raw
	}()
	toElsewhere := func() []byte {
		to := common.HexToAddress("0x1234")
		tx := types.MustSignNewTx(testBatcherKey, types.LatestSignerForChainID(testL1ChainID), &types.DynamicFeeTx{
			ChainID: testL1ChainID, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1e10), Gas: 100_000, To: &to, Data: payload("elsewhere")})
		raw, _ := tx.MarshalBinary()
		return raw
	}()
	legacy := func() []byte {
		tx := types.MustSignNewTx(testBatcherKey, types.NewEIP155Signer(testL1ChainID), &types.LegacyTx{
			GasPrice: big.NewInt(1e10), Gas: 100_000, To: &testInbox, Data: payload("legacy")})
		raw, _ := tx.MarshalBinary()
		return raw
	}()
	cases := []struct {
		name    string
		forks   forkTimes
		txs     [][]byte
		want    []string
		wantErr error
	}{
		{"calldata in order", allForks("ecotone"), [][]byte{calldataTx(t, testBatcherKey, 0, payload("a")), calldataTx(t, testBatcherKey, 1, payload("b"))}, []string{"a", "b"}, nil},
		{"legacy tx", allForks("ecotone"), [][]byte{legacy}, []string{"legacy"}, nil},
		{"unauthorized sender", allForks("ecotone"), [][]byte{calldataTx(t, other, 0, payload("x")), calldataTx(t, testBatcherKey, 0, payload("a"))}, []string{"a"}, nil},
		{"not to the inbox", allForks("ecotone"), [][]byte{toElsewhere}, nil, nil},
		{"set code tx", allForks("isthmus"), [][]byte{setCode}, nil, nil},
		{"undecodable", allForks("ecotone"), [][]byte{{0x02, 0x01}, {}}, nil, nil},
		{"blob: calldata ignored from ecotone", allForks("ecotone"), [][]byte{blobTx(t, testBatcherKey, 0, payload("cd"), hGood)}, []string{"blob"}, nil},
		{"blob tx calldata before ecotone", allForks("delta"), [][]byte{blobTx(t, testBatcherKey, 0, payload("cd"), hGood)}, []string{"cd"}, nil},
		{"blob and calldata keep tx order", allForks("ecotone"), [][]byte{calldataTx(t, testBatcherKey, 0, payload("a")), blobTx(t, testBatcherKey, 1, nil, hGood), calldataTx(t, testBatcherKey, 2, payload("b"))},
			[]string{"a", "blob", "b"}, nil},
		{"badly encoded blob dropped", allForks("ecotone"), [][]byte{blobTx(t, testBatcherKey, 0, nil, hBad, hGood)}, []string{"blob"}, nil},
		{"missing blob is temporary", allForks("ecotone"), [][]byte{blobTx(t, testBatcherKey, 0, nil, hGood, hMissing)}, nil, eth.ErrTemporary},
		{"blob tx from another sender", allForks("ecotone"), [][]byte{blobTx(t, other, 0, nil, hMissing)}, nil, nil},
		{"deposit from the batcher", allForks("ecotone"), [][]byte{depositTx(testBatcher, testInbox, "dep")}, []string{"dep"}, nil},
		{"deposit from another sender", allForks("ecotone"), [][]byte{depositTx(common.Address{9}, testInbox, "dep")}, nil, nil},
		{"deposit to another address", allForks("ecotone"), [][]byte{depositTx(testBatcher, common.Address{9}, "dep")}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			blk := &eth.L1BlockData{Header: newL1Chain(t, 1).blocks[0].Header, Blobs: blobs}
			for i, raw := range tc.txs {
				blk.BatcherTxs = append(blk.BatcherTxs, eth.L1Tx{Index: uint32(i), Raw: raw})
			}
			cfg := testConfig(blk.Ref(), tc.forks)
			r := &retrieval{cfg: cfg, log: slog.New(slog.DiscardHandler), decodeBlob: decodeBlob,
				prev: &fakeL1Block{blk: blk, cfg: cfg.Genesis.SystemConfig}}
			var got []string
			for range 100 {
				d, err := r.NextData(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					if tc.wantErr == nil || !errors.Is(err, tc.wantErr) {
						t.Fatalf("error %v, want %v", err, tc.wantErr)
					}
					return
				}
				got = append(got, string(d[1:]))
			}
			if tc.wantErr != nil {
				t.Fatalf("no error, want %v", tc.wantErr)
			}
			if !equalStrings(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// batcherLog is a ConfigUpdate log changing the batcher.
func batcherLog(addr common.Address) eth.Log {
	data := make([]byte, 96)
	data[31], data[63] = 32, 32
	copy(data[76:], addr[:])
	return eth.Log{Address: testSysCfgAddr, Topics: []common.Hash{sysconfig.EventTopic, {}, common.BigToHash(big.NewInt(sysconfig.UpdateBatcher))}, Data: data}
}

// TestTraversalBatcherRotation changes the batcher in an L1 block: that
// block's data is already read with the new batcher.
func TestTraversalBatcherRotation(t *testing.T) {
	t.Parallel()
	newKey := mustKey("0x0123456789012345678901234567890123456789012345678901234567890123")
	newBatcher := crypto.PubkeyToAddress(newKey.PublicKey)
	chain := newL1Chain(t, 3)
	chain.blocks[1].Receipts = []eth.Receipt{{Status: 1, Logs: []eth.Log{batcherLog(newBatcher)}}}
	chain.addRaw(1, calldataTx(t, testBatcherKey, 0, []byte{0, 'o', 'l', 'd'}))
	chain.addRaw(1, calldataTx(t, newKey, 0, []byte{0, 'n', 'e', 'w'}))
	cfg := testConfig(chain.ref(0), allForks("ecotone"))
	p, err := New(Config{Rollup: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Reset(l2Ref(0, chain.ref(0), 0), cfg.Genesis.SystemConfig, chain.ref(0), cfg.Genesis.SystemConfig); err != nil {
		t.Fatal(err)
	}
	for i := range chain.blocks[:2] {
		if err := p.AddL1Block(chain.blocks[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !p.advance() {
		t.Fatal("no block to advance to")
	}
	if _, sc := p.trav.Current(); sc.BatcherAddr != newBatcher {
		t.Fatalf("batcher %s after the update, want %s", sc.BatcherAddr, newBatcher)
	}
	d, err := p.retr.NextData(context.Background())
	if err != nil || string(d[1:]) != "new" {
		t.Fatalf("data %q, %v", d, err)
	}
	if _, err := p.retr.NextData(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("more data: %v", err)
	}
}
