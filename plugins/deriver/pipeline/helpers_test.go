package pipeline

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Test chain parameters: L1 blocks every 12 s, L2 blocks every 2 s.
const (
	testL1BlockTime = 12
	testGenesisTime = 1_000_000
)

var (
	testBatcherKey = mustKey("0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6")
	testBatcher    = crypto.PubkeyToAddress(testBatcherKey.PublicKey)
	testL2Key      = mustKey("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba")
	testInbox      = common.HexToAddress("0xff00000000000000000000000000000000000901")
	testPortal     = common.HexToAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3")
	testSysCfgAddr = common.HexToAddress("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512")
	testL1ChainID  = big.NewInt(900)
	testL2ChainID  = big.NewInt(901)
)

func mustKey(hex string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(common.FromHex(hex))
	if err != nil {
		panic(err)
	}
	return k
}

func u64(v uint64) *uint64 { return &v }

// forkTimes names the forks active from L2 time at (nil: not scheduled).
type forkTimes struct {
	canyon, delta, ecotone, fjord, granite, holocene, isthmus, jovian, karst, lagoon *uint64
}

// allForks activates every fork up to and including the named one at time
// 0 (genesis); later forks stay unscheduled.
func allForks(upTo string) forkTimes {
	var f forkTimes
	order := []**uint64{&f.canyon, &f.delta, &f.ecotone, &f.fjord, &f.granite, &f.holocene, &f.isthmus, &f.jovian, &f.karst, &f.lagoon}
	names := []string{"canyon", "delta", "ecotone", "fjord", "granite", "holocene", "isthmus", "jovian", "karst", "lagoon"}
	for i, n := range names {
		*order[i] = u64(0)
		if n == upTo {
			break
		}
	}
	if upTo == "bedrock" {
		f = forkTimes{}
	}
	return f
}

// testConfig is a small chain: genesis at L1 block 0, seq window 6, channel
// timeout 4 (pre-Granite).
func testConfig(l1Genesis eth.L1BlockRef, forks forkTimes) *rollup.Config {
	return &rollup.Config{
		Genesis: rollup.Genesis{
			L1:           l1Genesis.ID(),
			L2:           eth.BlockID{Hash: l2Hash(0), Number: 0},
			L2Time:       testGenesisTime,
			SystemConfig: eth.SystemConfig{BatcherAddr: testBatcher, GasLimit: 30_000_000},
		},
		BlockTime: 2, MaxSequencerDrift: 600, SeqWindowSize: 6, ChannelTimeout: 4,
		L1ChainID: testL1ChainID, L2ChainID: testL2ChainID,
		RegolithTime: u64(0), CanyonTime: forks.canyon, DeltaTime: forks.delta, EcotoneTime: forks.ecotone,
		FjordTime: forks.fjord, GraniteTime: forks.granite, HoloceneTime: forks.holocene, IsthmusTime: forks.isthmus,
		JovianTime: forks.jovian, KarstTime: forks.karst, LagoonTime: forks.lagoon,
		BatchInboxAddress: testInbox, DepositContractAddress: testPortal, L1SystemConfigAddress: testSysCfgAddr,
		ChainOpConfig: &rollup.ChainOpConfig{EIP1559Elasticity: 6, EIP1559Denominator: 50, EIP1559DenominatorCanyon: 250},
	}
}

// l2Hash is the hash the tests give L2 block n.
func l2Hash(n uint64) common.Hash {
	return crypto.Keccak256Hash([]byte("l2"), binary.BigEndian.AppendUint64(nil, n))
}

// l1Ref is a synthetic L1 block reference (for stage tests that do not
// need headers).
func l1Ref(n uint64) eth.L1BlockRef {
	return eth.L1BlockRef{Hash: crypto.Keccak256Hash([]byte("l1"), binary.BigEndian.AppendUint64(nil, n)),
		Number: n, ParentHash: crypto.Keccak256Hash([]byte("l1"), binary.BigEndian.AppendUint64(nil, n-1)), Time: testGenesisTime + n*testL1BlockTime}
}

func l1Refs(n int) []eth.L1BlockRef {
	out := make([]eth.L1BlockRef, n)
	for i := range out {
		out[i] = l1Ref(uint64(i))
	}
	return out
}

// l2Ref is L2 block n of the test chains: time from genesis, the given
// origin and sequence number.
func l2Ref(n uint64, origin eth.L1BlockRef, seq uint64) eth.L2BlockRef {
	return eth.L2BlockRef{Hash: l2Hash(n), Number: n, ParentHash: l2Hash(n - 1), Time: testGenesisTime + 2*n, L1Origin: origin.ID(), SequenceNumber: seq}
}

// l2Tx returns a signed L2 dynamic fee transaction.
func l2Tx(t testing.TB, nonce uint64) []byte {
	t.Helper()
	to := common.HexToAddress("0x1111")
	tx := types.MustSignNewTx(testL2Key, types.LatestSignerForChainID(testL2ChainID), &types.DynamicFeeTx{
		ChainID: testL2ChainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1e9), Gas: 21000, To: &to, Value: big.NewInt(1),
	})
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// singular builds the batch of L2 block n on the given origin.
func singular(n uint64, origin eth.L1BlockRef, txs ...[]byte) *batch.Singular {
	return &batch.Singular{ParentHash: l2Hash(n - 1), EpochNum: origin.Number, EpochHash: origin.Hash, Timestamp: testGenesisTime + 2*n, Transactions: txs}
}

// spanOf builds a span batch (decoded form) over singular batches, as the
// channel reader hands it on.
func spanOf(t testing.TB, cfg *rollup.Config, seqs []uint64, bs ...*batch.Singular) *spanBatch {
	t.Helper()
	s := encodeSpan(t, cfg, seqs, bs...)
	blocks, err := s.Derive(cfg.Genesis.L2Time, cfg.BlockTime, cfg.L2ChainID)
	if err != nil {
		t.Fatal(err)
	}
	return newSpanBatch(s, blocks)
}

func encodeSpan(t testing.TB, cfg *rollup.Config, seqs []uint64, bs ...*batch.Singular) *batch.Span {
	t.Helper()
	blocks := make([]batch.SpanBlock, len(bs))
	for i, b := range bs {
		blocks[i] = batch.SpanBlock{Singular: *b, SeqNum: seqs[i]}
	}
	s, err := batch.NewSpan(blocks, cfg.Genesis.L2Time, cfg.L2ChainID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// channelFrames compresses typed batches into a channel and cuts it into
// frames of at most frameSize bytes.
func channelFrames(t testing.TB, id byte, algo channel.Algo, frameSize int, batches ...[]byte) []frame.Frame {
	t.Helper()
	data, err := channel.Compress(algo, batches...)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := channel.SplitFrames(frame.ChannelID{id}, data, frameSize)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

func marshal(t testing.TB, b batch.Batch) []byte {
	t.Helper()
	raw, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func fr(id byte, n uint16, last bool, data ...byte) frame.Frame {
	return frame.Frame{ID: frame.ChannelID{id}, Number: n, IsLast: last, Data: data}
}

// --- fakes of the previous stages ---

// fakeFrames serves a fixed frame list with a settable origin.
type fakeFrames struct {
	origin eth.L1BlockRef
	frames []frame.Frame
}

func (f *fakeFrames) Origin() eth.L1BlockRef { return f.origin }
func (f *fakeFrames) NextFrame(context.Context) (frame.Frame, error) {
	if len(f.frames) == 0 {
		return frame.Frame{}, io.EOF
	}
	fr := f.frames[0]
	f.frames = f.frames[1:]
	return fr, nil
}

// fakeData serves a fixed list of batcher data items.
type fakeData struct {
	origin eth.L1BlockRef
	datas  [][]byte
}

func (f *fakeData) Origin() eth.L1BlockRef { return f.origin }
func (f *fakeData) NextData(context.Context) ([]byte, error) {
	if len(f.datas) == 0 {
		return nil, io.EOF
	}
	d := f.datas[0]
	f.datas = f.datas[1:]
	return d, nil
}

// fakeChannels serves complete channels and counts flushes.
type fakeChannels struct {
	origin  eth.L1BlockRef
	datas   [][]byte
	flushed int
}

func (f *fakeChannels) Origin() eth.L1BlockRef { return f.origin }
func (f *fakeChannels) NextData(context.Context) ([]byte, error) {
	if len(f.datas) == 0 {
		return nil, io.EOF
	}
	d := f.datas[0]
	f.datas = f.datas[1:]
	return d, nil
}
func (f *fakeChannels) flush() { f.flushed++ }

// fakeBatches serves batches and counts flushes; a flush drops the rest of
// the current channel, which the fake models as "the next batch".
type fakeBatches struct {
	origin  eth.L1BlockRef
	items   []batchItem
	flushed int
}

func (f *fakeBatches) Origin() eth.L1BlockRef { return f.origin }
func (f *fakeBatches) NextBatch(context.Context) (batchItem, error) {
	if len(f.items) == 0 {
		return batchItem{}, io.EOF
	}
	b := f.items[0]
	f.items = f.items[1:]
	return b, nil
}
func (f *fakeBatches) flush() { f.flushed++ }

// fakeSafe is an L2 safe chain with refs, transactions and configs by
// number; a missing number is an error.
type fakeSafe struct {
	refs map[uint64]eth.L2BlockRef
	txs  map[uint64][][]byte
	cfgs map[common.Hash]eth.SystemConfig
}

var errFakeMissing = errors.New("fake safe chain: not found")

func (f *fakeSafe) safeRef(_ context.Context, n uint64) (eth.L2BlockRef, error) {
	r, ok := f.refs[n]
	if !ok {
		return eth.L2BlockRef{}, fmt.Errorf("%w: %d", errFakeMissing, n)
	}
	return r, nil
}

func (f *fakeSafe) safeBlock(ctx context.Context, n uint64) (eth.L2BlockRef, [][]byte, error) {
	r, err := f.safeRef(ctx, n)
	if err != nil {
		return r, nil, err
	}
	txs, ok := f.txs[n]
	if !ok {
		return r, nil, fmt.Errorf("%w: txs of %d", errFakeMissing, n)
	}
	return r, txs, nil
}

// blobTx builds a signed blob transaction to the inbox for the given
// versioned hashes (the L1 source has checked them against the blobs).
func blobTx(t testing.TB, key *ecdsa.PrivateKey, nonce uint64, calldata []byte, hashes ...common.Hash) []byte {
	t.Helper()
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(testL1ChainID), &types.BlobTx{
		ChainID: uint256.MustFromBig(testL1ChainID), Nonce: nonce, GasTipCap: uint256.NewInt(1), GasFeeCap: uint256.NewInt(1e10),
		Gas: 100_000, To: testInbox, Value: uint256.NewInt(0), Data: calldata, BlobFeeCap: uint256.NewInt(1e10), BlobHashes: hashes,
	})
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// calldataTx builds a signed dynamic fee transaction to the inbox.
func calldataTx(t testing.TB, key *ecdsa.PrivateKey, nonce uint64, data []byte) []byte {
	t.Helper()
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(testL1ChainID), &types.DynamicFeeTx{
		ChainID: testL1ChainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1e10), Gas: 1_000_000, To: &testInbox, Data: data,
	})
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

type rollupConfig = rollup.Config

func itoa(v uint64) string { return fmt.Sprint(v) }

// zlibBytes compresses data with zlib at the best level.
func zlibBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appendRLPString appends s as an RLP byte string.
func appendRLPString(dst, s []byte) []byte {
	enc, err := rlp.EncodeToBytes(s)
	if err != nil {
		panic(err)
	}
	return append(dst, enc...)
}
