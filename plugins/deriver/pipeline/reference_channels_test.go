package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// refChannels is the part of reference/brotli_and_zlib_channels.json the
// test reads.
type refChannels struct {
	Channels []struct {
		Name            string          `json:"name"`
		BatcherTxs      []hexutil.Bytes `json:"batcher_txs"`
		ExpectedBatches []refBatch      `json:"expected_batches"`
	} `json:"channels"`
	Inputs struct {
		L1Origins []struct {
			Hash       common.Hash `json:"hash"`
			Number     uint64      `json:"number"`
			ParentHash common.Hash `json:"parent_hash"`
			Time       uint64      `json:"time"`
		} `json:"l1_origins"`
		L2Blocks []struct {
			Hash       common.Hash `json:"hash"`
			Number     uint64      `json:"number"`
			ParentHash common.Hash `json:"parent_hash"`
			Timestamp  uint64      `json:"timestamp"`
			EpochNum   uint64      `json:"epoch_num"`
			EpochHash  common.Hash `json:"epoch_hash"`
			SeqNum     uint64      `json:"seq_num"`
		} `json:"l2_blocks"`
	} `json:"inputs"`
}

type refBatch struct {
	BatchType  int           `json:"batch_type"`
	ParentHash common.Hash   `json:"parent_hash"`
	EpochNum   uint64        `json:"epoch_num"`
	EpochHash  common.Hash   `json:"epoch_hash"`
	Timestamp  uint64        `json:"timestamp"`
	TxHashes   []common.Hash `json:"tx_hashes"`
	Blocks     []refBatch    `json:"blocks"`
}

// l1Feed serves batcher data block by block, as traversal and retrieval
// would: the data of the current block, then io.EOF until advanced.
type l1Feed struct {
	blocks []eth.L1BlockRef
	datas  [][][]byte
	cur    int
}

func (f *l1Feed) Origin() eth.L1BlockRef { return f.blocks[f.cur] }
func (f *l1Feed) NextData(context.Context) ([]byte, error) {
	if len(f.datas[f.cur]) == 0 {
		return nil, io.EOF
	}
	d := f.datas[f.cur][0]
	f.datas[f.cur] = f.datas[f.cur][1:]
	return d, nil
}
func (f *l1Feed) advance() bool {
	if f.cur+1 >= len(f.blocks) {
		return false
	}
	f.cur++
	return true
}

// TestReferenceChannels feeds the reference batcher's four channels (zlib
// and brotli, singular and span batches) as L1 calldata through the frame,
// channel and batch stages, and compares the derived blocks with the
// batches the reference decoder expects.
func TestReferenceChannels(t *testing.T) {
	t.Parallel()
	var ref refChannels
	if err := json.Unmarshal(vectors.Read(t, "reference/brotli_and_zlib_channels.json"), &ref); err != nil {
		t.Fatal(err)
	}
	in := ref.Inputs
	var origins []eth.L1BlockRef
	for _, o := range in.L1Origins {
		origins = append(origins, eth.L1BlockRef{Hash: o.Hash, Number: o.Number, ParentHash: o.ParentHash, Time: o.Time})
	}
	last := origins[len(origins)-1]
	inclusion := eth.L1BlockRef{Hash: crypto.Keccak256Hash([]byte("inclusion")), Number: last.Number + 1, ParentHash: last.Hash, Time: last.Time + 12}
	first := in.L2Blocks[0]
	parent := eth.L2BlockRef{Hash: first.ParentHash, Number: first.Number - 1, Time: first.Timestamp - 2,
		L1Origin: eth.BlockID{Hash: first.EpochHash, Number: first.EpochNum}, SequenceNumber: first.SeqNum - 1}

	for _, ch := range ref.Channels {
		t.Run(ch.Name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(origins[0], allForks("jovian"))
			cfg.Genesis.L2Time, cfg.SeqWindowSize = 1_000_000_000, 3600
			var want []refBatch
			for _, b := range ch.ExpectedBatches {
				if b.BatchType == 0 {
					want = append(want, b)
				} else {
					want = append(want, b.Blocks...)
				}
			}
			feed := &l1Feed{blocks: append(append([]eth.L1BlockRef{}, origins...), inclusion), datas: make([][][]byte, len(origins)+1)}
			for _, tx := range ch.BatcherTxs {
				feed.datas[len(origins)] = append(feed.datas[len(origins)], tx)
			}
			stage := batchStages(cfg, feed, origins[0])
			p := parent
			got := 0
			for range 10_000 {
				b, _, err := stage.NextBatch(context.Background(), p)
				if errors.Is(err, io.EOF) {
					if !feed.advance() {
						break
					}
					continue
				}
				if errors.Is(err, errNotEnoughData) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if got >= len(want) {
					t.Fatalf("extra block at %d", b.Timestamp)
				}
				w, blk := want[got], in.L2Blocks[got]
				if b.Timestamp != w.Timestamp || b.EpochNum != w.EpochNum || b.EpochHash != blk.EpochHash || b.ParentHash != blk.ParentHash {
					t.Fatalf("block %d: time %d epoch %d/%s parent %s", blk.Number, b.Timestamp, b.EpochNum, b.EpochHash, b.ParentHash)
				}
				if len(b.Transactions) != len(w.TxHashes) {
					t.Fatalf("block %d: %d txs, want %d", blk.Number, len(b.Transactions), len(w.TxHashes))
				}
				for i, tx := range b.Transactions {
					if crypto.Keccak256Hash(tx) != w.TxHashes[i] {
						t.Fatalf("block %d tx %d differs", blk.Number, i)
					}
				}
				p = eth.L2BlockRef{Hash: blk.Hash, Number: blk.Number, ParentHash: blk.ParentHash, Time: blk.Timestamp,
					L1Origin: eth.BlockID{Hash: blk.EpochHash, Number: blk.EpochNum}, SequenceNumber: blk.SeqNum}
				got++
			}
			if got != len(want) {
				t.Fatalf("derived %d blocks, want %d", got, len(want))
			}
		})
	}
}

// batchStages wires the stages from the frame queue to the batch stage
// over a data source.
func batchStages(cfg *rollup.Config, src dataSource, base eth.L1BlockRef) batchProvider {
	log := slog.New(slog.DiscardHandler)
	frames := &frameQueue{cfg: cfg, log: log, prev: src}
	chans := &channelMux{cfg: cfg, log: log, prev: frames}
	chans.resetTo(base)
	reader := &channelReader{cfg: cfg, log: log, prev: chans}
	m := &batchMux{base: batchBase{cfg: cfg, log: log, prev: reader, check: newChecker(cfg, &fakeSafe{})}}
	m.resetTo(base)
	return m
}
