package batcher

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/blob"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Block is an L2 block reduced to what a batch carries about it.
type Block struct {
	Hash       common.Hash
	ParentHash common.Hash
	Number     uint64
	Time       uint64
	// L1Origin and SeqNum come from the block's L1-info deposit;
	// L1OriginTime decides whether a span batch starting here is valid.
	L1Origin     eth.BlockID
	L1OriginTime uint64
	SeqNum       uint64
	// Txs are the block's non-deposit transactions, EIP-2718 encoded, in
	// block order: derivation re-creates the deposits from L1 itself.
	Txs [][]byte
}

// ID returns the block's id.
func (b *Block) ID() eth.BlockID { return eth.BlockID{Hash: b.Hash, Number: b.Number} }

func (b *Block) singular() batch.Singular {
	return batch.Singular{
		ParentHash:   b.ParentHash,
		EpochNum:     b.L1Origin.Number,
		EpochHash:    b.L1Origin.Hash,
		Timestamp:    b.Time,
		Transactions: b.Txs,
	}
}

// encoding is how one channel is encoded: chosen per round from the forks
// active at the L1 head, so that derivation accepts it when it lands.
type encoding struct {
	algo  channel.Algo
	span  bool
	blobs bool
	// frameSize is the encoded frame size, overhead included.
	frameSize int
	// maxRLPBytes is derivation's clip on the decompressed channel.
	maxRLPBytes uint64
}

// encodingAt picks the encoding for a channel posted when the L1 head has
// time l1Time, whose first block has an L1 origin at originTime. Forks
// only activate, so what is active at the head is active when derivation
// reads the channel from a later block: blobs from Ecotone, brotli from
// Fjord, span batches from Delta (which derivation also checks against
// the span's first L1 origin).
func (c *Config) encodingAt(l1Time, originTime uint64) (encoding, error) {
	rc := c.Rollup
	enc := encoding{
		blobs:       c.UseBlobs && rc.IsEcotone(l1Time),
		span:        c.Span && rc.IsDelta(l1Time) && rc.IsDelta(originTime),
		algo:        c.Compression,
		maxRLPBytes: rc.MaxRLPBytesPerChannel(l1Time),
	}
	enc.frameSize = c.frameSize(enc.blobs)
	switch {
	case enc.algo == 0 && rc.IsFjord(l1Time):
		enc.algo = channel.Brotli
	case enc.algo == 0:
		enc.algo = channel.Zlib
	case enc.algo == channel.Brotli && !rc.IsFjord(l1Time):
		return encoding{}, fmt.Errorf("brotli compression configured but Fjord is not active at L1 time %d", l1Time)
	}
	return enc, nil
}

// errChannelTooLarge reports batches whose decompressed size exceeds what
// derivation reads from a channel; the caller retries with fewer blocks.
var errChannelTooLarge = errors.New("channel exceeds the max RLP bytes per channel")

// built is a closed channel cut into frames.
type built struct {
	id     frame.ChannelID
	blocks []Block
	enc    encoding
	// frames alias data, the compressed channel.
	data   []byte
	frames []frame.Frame
}

// buildChannel encodes consecutive L2 blocks as one channel: a single span
// batch or one singular batch per block, compressed, then cut into frames.
func buildChannel(cfg *rollup.Config, id frame.ChannelID, blocks []Block, enc encoding) (*built, error) {
	if len(blocks) == 0 {
		return nil, errors.New("building channel: no blocks")
	}
	batches, err := encodeBatches(cfg, blocks, enc.span)
	if err != nil {
		return nil, err
	}
	w, err := channel.NewWriter(enc.algo)
	if err != nil {
		return nil, err
	}
	for _, b := range batches {
		if err := w.WriteBatch(b); err != nil {
			return nil, err
		}
	}
	if w.InputBytes() > enc.maxRLPBytes {
		return nil, fmt.Errorf("%w: %d blocks make %d bytes, limit %d", errChannelTooLarge, len(blocks), w.InputBytes(), enc.maxRLPBytes)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	data := w.Bytes()
	frames, err := channel.SplitFrames(id, data, enc.frameSize)
	if err != nil {
		return nil, err
	}
	return &built{id: id, blocks: blocks, enc: enc, data: data, frames: frames}, nil
}

// encodeBatches returns the typed batches (type byte ++ content) for blocks.
func encodeBatches(cfg *rollup.Config, blocks []Block, span bool) ([][]byte, error) {
	if span {
		sb := make([]batch.SpanBlock, len(blocks))
		for i := range blocks {
			sb[i] = batch.SpanBlock{Singular: blocks[i].singular(), SeqNum: blocks[i].SeqNum}
		}
		s, err := batch.NewSpan(sb, cfg.Genesis.L2Time, cfg.L2ChainID)
		if err != nil {
			return nil, err
		}
		enc, err := s.MarshalBinary()
		if err != nil {
			return nil, err
		}
		return [][]byte{enc}, nil
	}
	out := make([][]byte, len(blocks))
	for i := range blocks {
		s := blocks[i].singular()
		enc, err := s.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", blocks[i].Number, err)
		}
		out[i] = enc
	}
	return out, nil
}

// calldata returns the payload of each calldata transaction: the
// derivation version byte and one frame. One frame per transaction keeps a
// transaction well under the L1's size limit.
func (c *built) calldata() [][]byte {
	out := make([][]byte, len(c.frames))
	for i, f := range c.frames {
		out[i] = frame.MarshalBatcherData(f)
	}
	return out
}

// blobs returns the blobs of each blob transaction: every blob holds the
// version byte and one frame, and a transaction carries up to perTx blobs.
func (c *built) blobs(perTx int) ([][]kzg4844.Blob, error) {
	var out [][]kzg4844.Blob
	for i, f := range c.frames {
		b, err := blob.Encode(frame.MarshalBatcherData(f))
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", f.Number, err)
		}
		if i%perTx == 0 {
			out = append(out, make([]kzg4844.Blob, 0, perTx))
		}
		out[len(out)-1] = append(out[len(out)-1], *b)
	}
	return out, nil
}

// size is the number of batcher data bytes the channel posts: version
// bytes and frames, before any blob encoding.
func (c *built) size() int {
	n := 0
	for _, f := range c.frames {
		n += 1 + f.Size()
	}
	return n
}
