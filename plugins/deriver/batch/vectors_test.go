package batch_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
)

const (
	batchHexPath       = "kona/crates/protocol/protocol/testdata/batch.hex"
	rawBatcherTxPath   = "kona/crates/protocol/derive/testdata/raw_batcher_tx.hex"
	rawSpanBatchPath   = "kona/crates/protocol/protocol/src/batch/testdata/raw_batch.hex"
	referenceChannels  = "reference/brotli_and_zlib_channels.json"
	opMainnetGenesis   = 1686068903
	opMainnetBlockTime = 2
)

var opMainnetChainID = big.NewInt(10)

// expectedSpan is the shape of expected/kona_*.full.json and .summary.json.
type expectedSpan struct {
	Batches []struct {
		BatchType     int            `json:"batch_type"`
		ParentCheck   hexutilBytes   `json:"parent_check"`
		L1OriginCheck hexutilBytes   `json:"l1_origin_check"`
		BlockCount    int            `json:"block_count"`
		TotalTxs      int            `json:"total_txs"`
		Elements      []expectedElem `json:"elements"`
	} `json:"batches"`
	DecodeConfig *struct {
		BlockTime     uint64 `json:"block_time"`
		GenesisL2Time uint64 `json:"genesis_l2_time"`
		L2ChainID     int64  `json:"l2_chain_id"`
	} `json:"decode_config"`
}

type expectedElem struct {
	Timestamp uint64 `json:"timestamp"`
	EpochNum  uint64 `json:"epoch_num"`
	TxCount   int    `json:"tx_count"`
	Txs       []struct {
		Type   uint8          `json:"type"`
		Hash   common.Hash    `json:"hash"`
		Nonce  uint64         `json:"nonce"`
		RawLen int            `json:"raw_len"`
		From   common.Address `json:"from"`
	} `json:"txs"`
}

type hexutilBytes []byte

func (h *hexutilBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	out, err := vectors.DecodeHex(s)
	*h = out
	return err
}

func loadJSON(t *testing.T, rel string, v any) {
	t.Helper()
	if err := json.Unmarshal(vectors.Read(t, rel), v); err != nil {
		t.Fatalf("parsing %s: %v", rel, err)
	}
}

// decodeChannel reads a whole channel and decodes every batch in it.
func decodeChannel(t *testing.T, data []byte, fjord bool) []batch.Batch {
	t.Helper()
	raw, err := channel.ReadAll(data, channel.MaxRLPBytesPerChannelFjord, fjord)
	if err != nil {
		t.Fatalf("reading channel: %v", err)
	}
	out := make([]batch.Batch, len(raw))
	for i, b := range raw {
		if out[i], err = batch.Decode(b); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		enc, err := out[i].MarshalBinary()
		if err != nil {
			t.Fatalf("batch %d: re-encoding: %v", i, err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("batch %d: re-encoding differs", i)
		}
	}
	return out
}

// checkSpan compares a decoded span batch with the expected values,
// including every transaction hash, type, nonce and recovered sender when
// the expectation lists them.
func checkSpan(t *testing.T, got batch.Batch, want *expectedSpan, genesis, blockTime uint64, chainID *big.Int) {
	t.Helper()
	if len(want.Batches) != 1 {
		t.Fatalf("expected file holds %d batches", len(want.Batches))
	}
	w := want.Batches[0]
	span, ok := got.(*batch.Span)
	if !ok {
		t.Fatalf("got %T, want span batch", got)
	}
	if !bytes.Equal(span.ParentCheck[:], w.ParentCheck) || !bytes.Equal(span.L1OriginCheck[:], w.L1OriginCheck) {
		t.Fatalf("checks %x/%x, want %x/%x", span.ParentCheck, span.L1OriginCheck, w.ParentCheck, w.L1OriginCheck)
	}
	if span.BlockCount() != w.BlockCount || span.TxCount() != w.TotalTxs {
		t.Fatalf("%d blocks / %d txs, want %d / %d", span.BlockCount(), span.TxCount(), w.BlockCount, w.TotalTxs)
	}
	elems, err := span.Derive(genesis, blockTime, chainID)
	if err != nil {
		t.Fatal(err)
	}
	checkFastPath(t, span, elems, chainID)
	if len(elems) != len(w.Elements) {
		t.Fatalf("%d elements, want %d", len(elems), len(w.Elements))
	}
	signer := types.LatestSignerForChainID(chainID)
	checked := 0
	for i, e := range elems {
		we := w.Elements[i]
		if e.Timestamp != we.Timestamp || e.EpochNum != we.EpochNum || len(e.Transactions) != we.TxCount {
			t.Fatalf("block %d: ts %d epoch %d txs %d, want %d %d %d", i, e.Timestamp, e.EpochNum, len(e.Transactions), we.Timestamp, we.EpochNum, we.TxCount)
		}
		if we.Txs == nil {
			continue
		}
		for j, raw := range e.Transactions {
			wt := we.Txs[j]
			if h := crypto.Keccak256Hash(raw); h != wt.Hash || len(raw) != wt.RawLen {
				t.Fatalf("block %d tx %d: hash %s len %d, want %s %d", i, j, h, len(raw), wt.Hash, wt.RawLen)
			}
			var tx types.Transaction
			if err := tx.UnmarshalBinary(raw); err != nil {
				t.Fatalf("block %d tx %d: %v", i, j, err)
			}
			if tx.Type() != wt.Type || tx.Nonce() != wt.Nonce {
				t.Fatalf("block %d tx %d: type %d nonce %d, want %d %d", i, j, tx.Type(), tx.Nonce(), wt.Type, wt.Nonce)
			}
			from, err := types.Sender(signer, &tx)
			if err != nil || from != wt.From {
				t.Fatalf("block %d tx %d: sender %s (%v), want %s", i, j, from, err, wt.From)
			}
			checked++
		}
	}
	t.Logf("%d blocks, %d txs, %d tx hashes and senders checked", len(elems), span.TxCount(), checked)
}

// TestBatchHexChannel decodes kona's real OP Mainnet channel end to end.
func TestBatchHexChannel(t *testing.T) {
	data := vectors.ReadHex(t, batchHexPath)
	var want expectedSpan
	loadJSON(t, "expected/kona_batch_hex_channel.full.json", &want)
	batches := decodeChannel(t, data, false)
	if len(batches) != 1 {
		t.Fatalf("got %d batches, want 1", len(batches))
	}
	checkSpan(t, batches[0], &want, opMainnetGenesis, opMainnetBlockTime, opMainnetChainID)
}

// TestRawBatcherTx goes from a real L1 batcher transaction to L2 blocks.
func TestRawBatcherTx(t *testing.T) {
	var tx types.Transaction
	if err := tx.UnmarshalBinary(vectors.Read(t, rawBatcherTxPath)); err != nil {
		t.Fatal(err)
	}
	frames, err := frame.ParseBatcherData(tx.Data())
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 1 || frames[0].ID.String() != "0xac329933f5efdcc35ccd284232a376d3" || len(frames[0].Data) != 119_799 || !frames[0].IsLast {
		t.Fatalf("unexpected frames: %d", len(frames))
	}
	var want expectedSpan
	loadJSON(t, "expected/kona_raw_batcher_tx.full.json", &want)
	batches := decodeChannel(t, frames[0].Data, false)
	if len(batches) != 1 {
		t.Fatalf("got %d batches, want 1", len(batches))
	}
	checkSpan(t, batches[0], &want, opMainnetGenesis, opMainnetBlockTime, opMainnetChainID)
}

// TestRawSpanBatch decodes op-node's random span batch and re-encodes it.
func TestRawSpanBatch(t *testing.T) {
	data := append([]byte{batch.SpanType}, vectors.Read(t, rawSpanBatchPath)...)
	b, err := batch.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, data) {
		t.Fatal("re-encoding differs")
	}
	var want expectedSpan
	loadJSON(t, "expected/kona_raw_span_batch.summary.json", &want)
	cfg := want.DecodeConfig
	span := b.(*batch.Span)
	if span.RelTimestamp != 1639845645 {
		t.Errorf("rel_timestamp %d", span.RelTimestamp)
	}
	checkSpan(t, b, &want, cfg.GenesisL2Time, cfg.BlockTime, big.NewInt(cfg.L2ChainID))
}

type refChannelsFile struct {
	DecodeConfig struct {
		BlockTime     uint64 `json:"block_time"`
		GenesisL2Time uint64 `json:"genesis_l2_time"`
		L2ChainID     int64  `json:"l2_chain_id"`
	} `json:"decode_config"`
	Inputs struct {
		L2Blocks []struct {
			EpochHash  common.Hash `json:"epoch_hash"`
			EpochNum   uint64      `json:"epoch_num"`
			ParentHash common.Hash `json:"parent_hash"`
			SeqNum     uint64      `json:"seq_num"`
			Timestamp  uint64      `json:"timestamp"`
		} `json:"l2_blocks"`
	} `json:"inputs"`
	Channels []struct {
		Name         string         `json:"name"`
		Compression  string         `json:"compression"`
		ChannelID    hexutilBytes   `json:"channel_id"`
		MaxFrameSize int            `json:"max_frame_size"`
		BatcherTxs   []hexutilBytes `json:"batcher_txs"`
		Decompressed hexutilBytes   `json:"decompressed_channel"`
		Expected     []refBatch     `json:"expected_batches"`
	} `json:"channels"`
}

type refBlock struct {
	Timestamp uint64         `json:"timestamp"`
	EpochNum  uint64         `json:"epoch_num"`
	TxCount   int            `json:"tx_count"`
	TxHashes  []common.Hash  `json:"tx_hashes"`
	TxTypes   []uint8        `json:"tx_types"`
	Txs       []hexutilBytes `json:"txs"`
}

type refBatch struct {
	BatchType byte `json:"batch_type"`
	// singular
	ParentHash common.Hash `json:"parent_hash"`
	EpochHash  common.Hash `json:"epoch_hash"`
	refBlock
	// span
	ParentCheck   hexutilBytes `json:"parent_check"`
	L1OriginCheck hexutilBytes `json:"l1_origin_check"`
	BlockCount    int          `json:"block_count"`
	Blocks        []refBlock   `json:"blocks"`
}

func checkBlock(t *testing.T, what string, ts, epoch uint64, txs [][]byte, want *refBlock) {
	t.Helper()
	if ts != want.Timestamp || epoch != want.EpochNum || len(txs) != want.TxCount {
		t.Fatalf("%s: ts %d epoch %d txs %d, want %d %d %d", what, ts, epoch, len(txs), want.Timestamp, want.EpochNum, want.TxCount)
	}
	for i, raw := range txs {
		if h := crypto.Keccak256Hash(raw); h != want.TxHashes[i] || !bytes.Equal(raw, want.Txs[i]) {
			t.Fatalf("%s tx %d: hash %s, want %s", what, i, h, want.TxHashes[i])
		}
		var tx types.Transaction
		if err := tx.UnmarshalBinary(raw); err != nil || tx.Type() != want.TxTypes[i] {
			t.Fatalf("%s tx %d: type %d (%v), want %d", what, i, tx.Type(), err, want.TxTypes[i])
		}
	}
}

func toTxs(in []hexutilBytes) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = b
	}
	return out
}

// TestReferenceChannels decodes the reference batcher's four channels and
// rebuilds their batches from the expected blocks, which must give back the
// decompressed channel byte for byte.
func TestReferenceChannels(t *testing.T) {
	var file refChannelsFile
	loadJSON(t, referenceChannels, &file)
	cfg := file.DecodeConfig
	chainID := big.NewInt(cfg.L2ChainID)
	byTime := map[uint64]int{}
	for i, b := range file.Inputs.L2Blocks {
		byTime[b.Timestamp] = i
	}
	seenTypes := map[uint8]int{}
	for _, ch := range file.Channels {
		t.Run(ch.Name, func(t *testing.T) {
			var data []byte
			for _, tx := range ch.BatcherTxs {
				frames, err := frame.ParseBatcherData(tx)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range frames {
					data = append(data, f.Data...)
				}
			}
			got := decodeChannel(t, data, true)
			if len(got) != len(ch.Expected) {
				t.Fatalf("%d batches, want %d", len(got), len(ch.Expected))
			}
			var rebuilt []byte
			var rebuiltBatches [][]byte
			for i, want := range ch.Expected {
				var enc []byte
				switch b := got[i].(type) {
				case *batch.Singular:
					if want.BatchType != batch.SingularType || b.ParentHash != want.ParentHash || b.EpochHash != want.EpochHash {
						t.Fatalf("batch %d: singular header differs", i)
					}
					checkBlock(t, "singular", b.Timestamp, b.EpochNum, b.Transactions, &want.refBlock)
					for _, ty := range want.TxTypes {
						seenTypes[ty]++
					}
					re := &batch.Singular{ParentHash: want.ParentHash, EpochNum: want.EpochNum, EpochHash: want.EpochHash,
						Timestamp: want.Timestamp, Transactions: toTxs(want.Txs)}
					var err error
					if enc, err = re.MarshalBinary(); err != nil {
						t.Fatal(err)
					}
				case *batch.Span:
					if want.BatchType != batch.SpanType || !bytes.Equal(b.ParentCheck[:], want.ParentCheck) ||
						!bytes.Equal(b.L1OriginCheck[:], want.L1OriginCheck) || b.BlockCount() != want.BlockCount {
						t.Fatalf("batch %d: span header differs", i)
					}
					elems, err := b.Derive(cfg.GenesisL2Time, cfg.BlockTime, chainID)
					if err != nil {
						t.Fatal(err)
					}
					checkFastPath(t, b, elems, chainID)
					if elems[0].Timestamp != want.Timestamp {
						t.Fatalf("span start %d, want %d", elems[0].Timestamp, want.Timestamp)
					}
					blocks := make([]batch.SpanBlock, len(elems))
					for j, e := range elems {
						checkBlock(t, "span block", e.Timestamp, e.EpochNum, e.Transactions, &want.Blocks[j])
						in := file.Inputs.L2Blocks[byTime[want.Blocks[j].Timestamp]]
						blocks[j] = batch.SpanBlock{
							Singular: batch.Singular{ParentHash: in.ParentHash, EpochNum: in.EpochNum, EpochHash: in.EpochHash,
								Timestamp: want.Blocks[j].Timestamp, Transactions: toTxs(want.Blocks[j].Txs)},
							SeqNum: in.SeqNum,
						}
					}
					re, err := batch.NewSpan(blocks, cfg.GenesisL2Time, chainID)
					if err != nil {
						t.Fatal(err)
					}
					if enc, err = re.MarshalBinary(); err != nil {
						t.Fatal(err)
					}
				default:
					t.Fatalf("batch %d: unexpected %T", i, b)
				}
				rebuiltBatches = append(rebuiltBatches, enc)
				rlpEnc, err := rlp.EncodeToBytes(enc)
				if err != nil {
					t.Fatal(err)
				}
				rebuilt = append(rebuilt, rlpEnc...)
			}
			if !bytes.Equal(rebuilt, ch.Decompressed) {
				t.Fatal("rebuilt batches differ from the decompressed channel")
			}

			// The whole batcher path, blocks to L1 calldata, reproduces the
			// reference batcher's transactions.
			algo := channel.Zlib
			if strings.HasPrefix(ch.Compression, "brotli") {
				algo = channel.Brotli
			}
			compressed, err := channel.Compress(algo, rebuiltBatches...)
			if err != nil {
				t.Fatal(err)
			}
			var id frame.ChannelID
			copy(id[:], ch.ChannelID)
			frames, err := channel.SplitFrames(id, compressed, ch.MaxFrameSize)
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) != len(ch.BatcherTxs) {
				t.Fatalf("%d frames, reference posted %d txs", len(frames), len(ch.BatcherTxs))
			}
			for i, f := range frames {
				if !bytes.Equal(frame.MarshalBatcherData(f), ch.BatcherTxs[i]) {
					t.Fatalf("batcher tx %d differs from the reference", i)
				}
			}
		})
	}
	// The vectors promise all four supported tx types, SetCode included.
	for _, ty := range []uint8{types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType, types.SetCodeTxType} {
		if seenTypes[ty] == 0 {
			t.Errorf("no tx of type %d in the reference channels", ty)
		}
	}
}

// checkFastPath compares Derive's transactions with the ones go-ethereum's
// types build from the same span.
func checkFastPath(t *testing.T, span *batch.Span, elems []batch.SpanElement, chainID *big.Int) {
	t.Helper()
	ref, err := batch.DeriveTxsWithTypes(span, chainID)
	if err != nil {
		t.Fatalf("types path: %v", err)
	}
	i := 0
	for _, e := range elems {
		for _, tx := range e.Transactions {
			if !bytes.Equal(tx, ref[i]) {
				t.Fatalf("tx %d: fast path differs from types path", i)
			}
			i++
		}
	}
	if i != len(ref) {
		t.Fatalf("%d txs, types path built %d", i, len(ref))
	}
}
