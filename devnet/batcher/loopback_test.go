package batcher

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// TestLoopback runs the batcher against a real go-ethereum L1 and a fake
// L2 node, both on loopback ports, and reads what landed in the batch
// inbox back into L2 blocks with the deriver's codecs. It covers blobs on
// Prague and Osaka L1s (both sidecar versions), calldata with singular
// zlib batches, and several frames per channel; then more blocks, an idle
// round and an L2 reorg below the posted head.
func TestLoopback(t *testing.T) {
	for _, tc := range []struct {
		name       string
		osaka      bool
		blobs      bool
		span       bool
		algo       channel.Algo
		wantAlgo   channel.Algo
		frameSize  int
		blobsPerTx int
		l1Config   bool
		// cellProofs starts the batcher believing the L1 wants version 1
		// sidecars; learned is what it should believe after posting.
		cellProofs, learned bool
	}{
		{name: "blobs-span-prague", blobs: true, span: true, wantAlgo: channel.Brotli},
		{name: "calldata-singular-zlib", algo: channel.Zlib, wantAlgo: channel.Zlib, frameSize: 300},
		// This geth converts version 0 sidecars itself once Osaka is
		// active (until v1.17), so nothing is learned here...
		{name: "blobs-osaka-converted", osaka: true, blobs: true, span: true, wantAlgo: channel.Brotli},
		// ...the chain config makes the batcher build cell proofs...
		{name: "blobs-osaka-configured", osaka: true, blobs: true, span: true, wantAlgo: channel.Brotli, l1Config: true},
		// ...and a pool refusing the version teaches the other one.
		{name: "blobs-prague-learned", blobs: true, span: true, wantAlgo: channel.Brotli, cellProofs: true, learned: false,
			frameSize: 200, blobsPerTx: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := newRig(t, tc.osaka)
			cfg, l2, bc := r.cfg, r.l2, r.batcherConfig(t)
			bc.UseBlobs, bc.Span, bc.Compression = tc.blobs, tc.span, tc.algo
			bc.MaxFrameSize, bc.MaxBlobsPerTx = tc.frameSize, tc.blobsPerTx
			if tc.l1Config {
				bc.L1ChainConfig = r.l1.Config
			}
			b, err := New(bc)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			b.send.cellProofs = tc.cellProofs
			inbox := &inboxReader{t: t, l1: r.l1, client: r.l1c, cfg: bc}

			step := func(wantBlocks int) {
				t.Helper()
				n, err := b.Step(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n != wantBlocks {
					t.Fatalf("round posted %d blocks, want %d", n, wantBlocks)
				}
			}

			want := l2.extend(t, 3, "a")
			step(3)
			checkBlocks(t, readChannel(t, cfg, inbox.frames(ctx), tc.wantAlgo), want, tc.span)
			s := b.Stats()
			if s.Channels != 1 || s.L2Blocks != 3 || s.LastL2Block != want[2].ID() || s.Frames == 0 || s.Txs == 0 || s.Bytes == 0 {
				t.Fatalf("stats after one channel: %+v", s)
			}
			if tc.blobs != (s.Blobs == s.Frames) {
				t.Fatalf("stats: %d blobs for %d frames", s.Blobs, s.Frames)
			}
			if tc.frameSize > 0 && s.Frames < 2 {
				t.Fatalf("frame size %d gave %d frames; want several", tc.frameSize, s.Frames)
			}

			if b.send.cellProofs != tc.learned {
				t.Fatalf("cell proofs learned: %v, want %v", b.send.cellProofs, tc.learned)
			}
			if tc.blobsPerTx > 0 && s.Txs < 2 {
				t.Fatalf("%d frames in %d txs of at most %d blobs", s.Frames, s.Txs, tc.blobsPerTx)
			}

			step(0) // nothing new

			// Derivation has not caught up: the next round continues
			// after the posted head, not from the safe head.
			more := l2.extend(t, 2, "a")
			step(2)
			checkBlocks(t, readChannel(t, cfg, inbox.frames(ctx), tc.wantAlgo), more, tc.span)

			// L2 reorgs below the posted head: blocks 4 and 5 are
			// replaced while the safe head is at 3.
			l2.setSafe(3)
			l2.rewind(3)
			reorged := l2.extend(t, 2, "bb")
			step(2)
			checkBlocks(t, readChannel(t, cfg, inbox.frames(ctx), tc.wantAlgo), reorged, tc.span)
			if s := b.Stats(); s.Channels != 3 || s.L2Blocks != 7 || s.LastL2Block != reorged[1].ID() {
				t.Fatalf("stats after three channels: %+v", s)
			}
		})
	}
}

// rig is a test L1 and a fake L2 for one rollup config.
type rig struct {
	l1  *testL1
	l1c *ethclient.Client
	cfg *rollup.Config
	l2  *fakeL2
}

func newRig(t *testing.T, osaka bool) *rig {
	t.Helper()
	l1 := startL1(t, osaka)
	l1c, err := ethclient.Dial(l1.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l1c.Close)
	genesis, err := l1c.HeaderByNumber(context.Background(), big.NewInt(0))
	if err != nil {
		t.Fatal(err)
	}
	cfg := testRollup(testL1ChainID)
	cfg.Genesis.L1 = eth.BlockID{Hash: genesis.Hash(), Number: genesis.Number.Uint64()}
	return &rig{l1: l1, l1c: l1c, cfg: cfg, l2: startL2(t, cfg, l1.Config, genesis)}
}

// batcherConfig is the default config pointed at the rig, polling fast
// and logging to the test.
func (r *rig) batcherConfig(t *testing.T) Config {
	bc := DefaultConfig()
	bc.Rollup, bc.L1RPC, bc.L2RPC, bc.Key = r.cfg, r.l1.URL, r.l2.URL, batcherKey
	bc.PollInterval = 20 * time.Millisecond
	bc.TxTimeout = 5 * time.Second // a lost transaction shows in the log soon
	bc.Logger = hclog.New(&hclog.LoggerOptions{Name: "batcher", Output: testWriter{t}, Level: hclog.Debug})
	return bc
}

// inboxReader reads batcher transactions from the test L1 the way
// derivation's data source does: transactions to the inbox, signed by the
// batcher, their calldata or (for type 3) their blobs, checked against the
// versioned hashes.
type inboxReader struct {
	t      *testing.T
	l1     *testL1
	client *ethclient.Client
	cfg    Config
	next   uint64 // first L1 block not read yet
}

// frames returns the frames posted since the last call, in L1 order.
func (r *inboxReader) frames(ctx context.Context) []frame.Frame {
	t := r.t
	t.Helper()
	head, err := r.client.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signer := types.NewCancunSigner(r.cfg.Rollup.L1ChainID)
	var frames []frame.Frame
	for ; r.next <= head; r.next++ {
		blk, err := r.client.BlockByNumber(ctx, new(big.Int).SetUint64(r.next))
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range blk.Transactions() {
			if to := tx.To(); to == nil || *to != r.cfg.Rollup.BatchInboxAddress {
				continue
			}
			from, err := types.Sender(signer, tx)
			if err != nil || from != r.cfg.Rollup.Genesis.SystemConfig.BatcherAddr {
				t.Fatalf("inbox tx %s from %s (%v), want the batcher", tx.Hash(), from, err)
			}
			if tx.Type() != types.BlobTxType {
				frames = append(frames, framesFromCalldata(t, [][]byte{tx.Data()})...)
				continue
			}
			blobs, err := r.l1.blobs(blk.Hash(), tx)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, framesFromBlobs(t, blobs)...)
		}
	}
	return frames
}

// testWriter sends log output to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
