package batcher

import (
	"bytes"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/devnet/devkeys"
	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/blob"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

const (
	testL2ChainID   = 901
	testGenesisTime = 1_700_000_000
	testBlockTime   = 2
)

// The devnet's batcher account, funded on the test L1, and an L2 user.
var (
	batcherKey = devkeys.Key(devkeys.Batcher)
	userKey    = devkeys.Key(devkeys.FirstUser)
)

// testRollup is a rollup config with every fork through Jovian at genesis
// and the batcher key's address as the batcher.
func testRollup(l1ChainID int64) *rollup.Config {
	zero := uint64(0)
	sys := eth.SystemConfig{BatcherAddr: crypto.PubkeyToAddress(batcherKey.PublicKey), GasLimit: 30_000_000}
	sys.Scalar[0] = eth.ScalarVersionEcotone
	sys.Scalar[31] = 1
	return &rollup.Config{
		Genesis: rollup.Genesis{
			L1:           eth.BlockID{Hash: common.HexToHash("0x11"), Number: 0},
			L2:           eth.BlockID{Hash: common.HexToHash("0x22"), Number: 0},
			L2Time:       testGenesisTime,
			SystemConfig: sys,
		},
		BlockTime:              testBlockTime,
		MaxSequencerDrift:      600,
		SeqWindowSize:          3600,
		ChannelTimeout:         300,
		L1ChainID:              big.NewInt(l1ChainID),
		L2ChainID:              big.NewInt(testL2ChainID),
		RegolithTime:           &zero,
		CanyonTime:             &zero,
		DeltaTime:              &zero,
		EcotoneTime:            &zero,
		FjordTime:              &zero,
		GraniteTime:            &zero,
		HoloceneTime:           &zero,
		IsthmusTime:            &zero,
		JovianTime:             &zero,
		BatchInboxAddress:      common.HexToAddress("0xff00000000000000000000000000000000000901"),
		DepositContractAddress: common.HexToAddress("0x0000000000000000000000000000000000d00d01"),
		L1SystemConfigAddress:  common.HexToAddress("0x0000000000000000000000000000000000d00d02"),
	}
}

// userTx returns a signed L2 transaction of the given type (0 protected
// legacy, 1, 2, 4) with nonce and a payload of size bytes.
func userTx(t testing.TB, typ byte, nonce uint64, size int) []byte {
	t.Helper()
	chainID := big.NewInt(testL2ChainID)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	data := noise(size, nonce, typ)
	var inner types.TxData
	switch typ {
	case types.LegacyTxType:
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: big.NewInt(1e9), Gas: 100_000, To: &to, Value: big.NewInt(1), Data: data}
	case types.AccessListTxType:
		inner = &types.AccessListTx{ChainID: chainID, Nonce: nonce, GasPrice: big.NewInt(1e9), Gas: 100_000, To: &to,
			Data: data, AccessList: types.AccessList{{Address: to, StorageKeys: []common.Hash{{1}}}}}
	case types.DynamicFeeTxType:
		inner = &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1e9),
			Gas: 100_000, To: &to, Value: big.NewInt(7), Data: data}
	case types.SetCodeTxType:
		inner = &types.SetCodeTx{ChainID: uint256.NewInt(testL2ChainID), Nonce: nonce, GasTipCap: uint256.NewInt(1),
			GasFeeCap: uint256.NewInt(1e9), Gas: 100_000, To: to, Value: new(uint256.Int), Data: data,
			AuthList: []types.SetCodeAuthorization{{ChainID: *uint256.NewInt(testL2ChainID), Address: to, Nonce: 3}}}
	default:
		t.Fatalf("tx type %d", typ)
	}
	tx, err := types.SignNewTx(userKey, types.LatestSignerForChainID(chainID), inner)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// noise returns size incompressible bytes determined by the seeds.
func noise(size int, seeds ...any) []byte {
	out := make([]byte, 0, size+32)
	h := crypto.Keccak256([]byte(fmt.Sprint(seeds...)))
	for len(out) < size {
		out = append(out, h...)
		h = crypto.Keccak256(h)
	}
	return out[:size]
}

// syntheticBlocks returns n consecutive L2 blocks after the genesis, with
// the L1 origin advancing every other block and a mix of transaction
// types, including empty blocks.
func syntheticBlocks(t testing.TB, n, payload int) []Block {
	t.Helper()
	blocks := make([]Block, n)
	parent := common.HexToHash("0x22")
	var nonce uint64
	for i := range blocks {
		epoch := uint64(10 + i/2)
		b := Block{
			Number: uint64(i + 1), Time: testGenesisTime + uint64(i+1)*testBlockTime, ParentHash: parent,
			L1Origin:     eth.BlockID{Number: epoch, Hash: common.BigToHash(big.NewInt(int64(1000 + epoch)))},
			L1OriginTime: testGenesisTime + epoch, SeqNum: uint64(i % 2),
		}
		b.Hash = crypto.Keccak256Hash(parent[:], []byte{byte(i)})
		if i%3 != 2 { // every third block is empty
			for _, typ := range []byte{types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType, types.SetCodeTxType} {
				b.Txs = append(b.Txs, userTx(t, typ, nonce, payload))
				nonce++
			}
		}
		blocks[i] = b
		parent = b.Hash
	}
	return blocks
}

// decodedBlock is what derivation reads back for one L2 block.
type decodedBlock struct {
	Time       uint64
	EpochNum   uint64
	EpochHash  common.Hash // zero when the batch does not carry it (inner span blocks)
	ParentHash common.Hash // likewise
	Txs        [][]byte
}

// framesFromCalldata parses calldata payloads as derivation does.
func framesFromCalldata(t testing.TB, payloads [][]byte) []frame.Frame {
	t.Helper()
	var frames []frame.Frame
	for i, p := range payloads {
		fs, err := frame.ParseBatcherData(p)
		if err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
		frames = append(frames, fs...)
	}
	return frames
}

// framesFromBlobs decodes the blobs and parses their frames.
func framesFromBlobs(t testing.TB, blobs []kzg4844.Blob) []frame.Frame {
	t.Helper()
	payloads := make([][]byte, len(blobs))
	for i := range blobs {
		data, err := blob.Decode(&blobs[i])
		if err != nil {
			t.Fatalf("blob %d: %v", i, err)
		}
		payloads[i] = data
	}
	return framesFromCalldata(t, payloads)
}

// readChannel reassembles one channel from its frames and decodes its
// batches into blocks with the deriver's codecs, checking the framing
// rules derivation applies.
func readChannel(t testing.TB, cfg *rollup.Config, frames []frame.Frame, wantAlgo channel.Algo) []decodedBlock {
	t.Helper()
	if len(frames) == 0 {
		t.Fatal("no frames")
	}
	var data []byte
	for i, f := range frames {
		if f.ID != frames[0].ID {
			t.Fatalf("frame %d is on channel %s, frame 0 on %s", i, f.ID, frames[0].ID)
		}
		if int(f.Number) != i {
			t.Fatalf("frame %d has number %d", i, f.Number)
		}
		if f.IsLast != (i == len(frames)-1) {
			t.Fatalf("frame %d of %d: is_last %v", i, len(frames), f.IsLast)
		}
		data = append(data, f.Data...)
	}
	r, err := channel.NewReader(data, cfg.MaxRLPBytesPerChannel(testGenesisTime), true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Algo() != wantAlgo {
		t.Fatalf("channel compression %s, want %s", r.Algo(), wantAlgo)
	}
	raw, err := channel.ReadAll(data, cfg.MaxRLPBytesPerChannel(testGenesisTime), true)
	if err != nil {
		t.Fatal(err)
	}
	var out []decodedBlock
	for _, rb := range raw {
		b, err := batch.Decode(rb)
		if err != nil {
			t.Fatal(err)
		}
		switch b := b.(type) {
		case *batch.Singular:
			out = append(out, decodedBlock{Time: b.Timestamp, EpochNum: b.EpochNum, EpochHash: b.EpochHash,
				ParentHash: b.ParentHash, Txs: b.Transactions})
		case *batch.Span:
			elems, err := b.Derive(cfg.Genesis.L2Time, cfg.BlockTime, cfg.L2ChainID)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range elems {
				d := decodedBlock{Time: e.Timestamp, EpochNum: e.EpochNum, Txs: e.Transactions}
				// The span keeps 20-byte checks of the first parent and
				// the last origin; widen them for comparison.
				if i == 0 {
					copy(d.ParentHash[:], b.ParentCheck[:])
				}
				if i == len(elems)-1 {
					copy(d.EpochHash[:], b.L1OriginCheck[:])
				}
				out = append(out, d)
			}
		default:
			t.Fatalf("unexpected batch %T", b)
		}
	}
	return out
}

// checkBlocks compares what derivation read with the blocks posted.
func checkBlocks(t testing.TB, got []decodedBlock, want []Block, span bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("decoded %d blocks, posted %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if err := compareBlock(g, w, span, i == 0, i == len(want)-1); err != nil {
			t.Errorf("block %d (#%d): %v", i, w.Number, err)
		}
	}
}

func compareBlock(g decodedBlock, w Block, span, first, last bool) error {
	if g.Time != w.Time {
		return fmt.Errorf("time %d, want %d", g.Time, w.Time)
	}
	if g.EpochNum != w.L1Origin.Number {
		return fmt.Errorf("epoch %d, want %d", g.EpochNum, w.L1Origin.Number)
	}
	var wantParent, wantEpoch common.Hash
	switch {
	case !span:
		wantParent, wantEpoch = w.ParentHash, w.L1Origin.Hash
	default:
		if first {
			copy(wantParent[:20], w.ParentHash[:20])
		}
		if last {
			copy(wantEpoch[:20], w.L1Origin.Hash[:20])
		}
	}
	if g.ParentHash != wantParent || g.EpochHash != wantEpoch {
		return fmt.Errorf("parent/epoch hash %s/%s, want %s/%s", g.ParentHash, g.EpochHash, wantParent, wantEpoch)
	}
	if len(g.Txs) != len(w.Txs) {
		return fmt.Errorf("%d txs, want %d", len(g.Txs), len(w.Txs))
	}
	for j := range g.Txs {
		if !bytes.Equal(g.Txs[j], w.Txs[j]) {
			return fmt.Errorf("tx %d differs:\n got %x\nwant %x", j, g.Txs[j], w.Txs[j])
		}
	}
	return nil
}
