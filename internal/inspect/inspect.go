// Package inspect decodes what a batcher posts (an L1 transaction, a frame
// stream, a compressed channel, a raw batch or a blob) into a JSON report,
// like op-node's batch_decoder. It is the engine of `opal inspect`.
package inspect

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/blob"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/rollup"
)

// Kind is what the input is.
type Kind string

const (
	KindTx      Kind = "tx"
	KindFrames  Kind = "frames"
	KindChannel Kind = "channel"
	KindBatch   Kind = "batch"
	KindBlob    Kind = "blob"
)

// Report is the JSON answer.
type Report struct {
	Kind     Kind          `json:"kind"`
	Tx       *TxInfo       `json:"tx,omitempty"`
	Frames   []FrameInfo   `json:"frames,omitempty"`
	Channels []ChannelInfo `json:"channels,omitempty"`
	Batches  []BatchInfo   `json:"batches,omitempty"`
}

// TxInfo describes an L1 batcher transaction.
type TxInfo struct {
	Hash       common.Hash     `json:"hash"`
	Type       uint8           `json:"type"`
	From       *common.Address `json:"from,omitempty"`
	To         *common.Address `json:"to"`
	Nonce      uint64          `json:"nonce"`
	DataLen    int             `json:"data_len"`
	BlobHashes []common.Hash   `json:"blob_hashes,omitempty"`
}

// FrameInfo describes one frame.
type FrameInfo struct {
	ChannelID   string `json:"channel_id"`
	FrameNumber uint16 `json:"frame_number"`
	DataLen     int    `json:"data_len"`
	IsLast      bool   `json:"is_last"`
}

// ChannelInfo describes the channel the frames make up.
type ChannelInfo struct {
	ID          string      `json:"id"`
	Frames      int         `json:"frames"`
	Complete    bool        `json:"complete"`
	Compression string      `json:"compression,omitempty"`
	Compressed  int         `json:"compressed_len"`
	Batches     []BatchInfo `json:"batches,omitempty"`
	Error       string      `json:"error,omitempty"`
}

// BatchInfo describes a singular or span batch.
type BatchInfo struct {
	Type          string        `json:"type"`
	ParentHash    *common.Hash  `json:"parent_hash,omitempty"`
	EpochNum      *uint64       `json:"epoch_num,omitempty"`
	EpochHash     *common.Hash  `json:"epoch_hash,omitempty"`
	Timestamp     uint64        `json:"timestamp"`
	ParentCheck   hexutil.Bytes `json:"parent_check,omitempty"`
	L1OriginCheck hexutil.Bytes `json:"l1_origin_check,omitempty"`
	L1OriginNum   *uint64       `json:"l1_origin_num,omitempty"`
	BlockCount    int           `json:"block_count,omitempty"`
	TxCount       int           `json:"tx_count"`
	TxHashes      []common.Hash `json:"tx_hashes,omitempty"`
	Blocks        []BlockInfo   `json:"blocks,omitempty"`
	Error         string        `json:"error,omitempty"`
}

// BlockInfo is one block of a span batch.
type BlockInfo struct {
	Timestamp uint64        `json:"timestamp"`
	EpochNum  uint64        `json:"epoch_num"`
	TxCount   int           `json:"tx_count"`
	TxHashes  []common.Hash `json:"tx_hashes"`
}

// Options say how to decode. Without a rollup config, span batches are
// shown with relative timestamps and without per-block details, and
// brotli is accepted.
type Options struct {
	Rollup *rollup.Config
	Kind   Kind // empty: detect
}

// Decode reads input: raw bytes or hex text (0x optional, whitespace
// trimmed).
func Decode(input []byte, opts Options) (*Report, error) {
	data := unhex(input)
	if len(data) == 0 {
		return nil, errors.New("empty input")
	}
	kinds := []Kind{opts.Kind}
	if opts.Kind == "" {
		kinds = detect(data)
	}
	var errs []string
	for _, k := range kinds {
		r, err := decodeAs(k, data, opts)
		if err == nil {
			return r, nil
		}
		errs = append(errs, fmt.Sprintf("as %s: %v", k, err))
	}
	return nil, fmt.Errorf("cannot decode input (%d bytes): %s", len(data), strings.Join(errs, "; "))
}

func unhex(in []byte) []byte {
	s := strings.TrimSpace(string(in))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s)%2 == 0 && len(s) > 0 {
		if b, err := hex.DecodeString(s); err == nil {
			return b
		}
	}
	return in
}

// detect orders the kinds to try from cheap signs.
func detect(data []byte) []Kind {
	if len(data) == len(kzg4844.Blob{}) {
		return []Kind{KindBlob}
	}
	out := []Kind{KindTx, KindFrames, KindChannel, KindBatch}
	if data[0] == frame.DerivationVersion0 {
		out = []Kind{KindFrames, KindBatch, KindTx, KindChannel}
	}
	return out
}

// sender recovers a transaction's sender where its chain id allows: a
// typed transaction with chain id 0 has none (go-ethereum's signers panic
// on it, and the bytes come from outside), a legacy one without EIP-155
// is signed the Homestead way.
func sender(tx *types.Transaction) (common.Address, bool) {
	var signer types.Signer
	switch id := tx.ChainId(); {
	case id != nil && id.Sign() > 0:
		signer = types.LatestSignerForChainID(id)
	case tx.Type() == types.LegacyTxType:
		signer = types.HomesteadSigner{}
	default:
		return common.Address{}, false
	}
	from, err := types.Sender(signer, tx)
	return from, err == nil
}

func decodeAs(k Kind, data []byte, opts Options) (*Report, error) {
	switch k {
	case KindTx:
		var tx types.Transaction
		if err := tx.UnmarshalBinary(data); err != nil {
			return nil, err
		}
		info := &TxInfo{Hash: tx.Hash(), Type: tx.Type(), To: tx.To(), Nonce: tx.Nonce(), DataLen: len(tx.Data()), BlobHashes: tx.BlobHashes()}
		if from, ok := sender(&tx); ok {
			info.From = &from
		}
		r := &Report{Kind: KindTx, Tx: info}
		if tx.Type() == types.BlobTxType {
			return r, nil // the frames are in the blobs, not in the tx
		}
		frames, err := frame.ParseBatcherData(tx.Data())
		if err != nil {
			return nil, fmt.Errorf("tx %s: calldata: %w", tx.Hash(), err)
		}
		fillFrames(r, frames, opts)
		return r, nil
	case KindFrames:
		frames, err := frame.ParseBatcherData(data)
		if err != nil {
			if frames, err = frame.ParseFrames(data); err != nil {
				return nil, err
			}
		}
		r := &Report{Kind: KindFrames}
		fillFrames(r, frames, opts)
		return r, nil
	case KindChannel:
		info, err := decodeChannel("", data, opts)
		if err != nil {
			return nil, err
		}
		return &Report{Kind: KindChannel, Channels: []ChannelInfo{info}}, nil
	case KindBatch:
		b, err := batchInfo(data, opts)
		if err != nil {
			return nil, err
		}
		return &Report{Kind: KindBatch, Batches: []BatchInfo{b}}, nil
	case KindBlob:
		if len(data) != len(kzg4844.Blob{}) {
			return nil, fmt.Errorf("a blob is %d bytes, got %d", len(kzg4844.Blob{}), len(data))
		}
		var bl kzg4844.Blob
		copy(bl[:], data)
		payload, err := blob.Decode(&bl)
		if err != nil {
			return nil, err
		}
		frames, err := frame.ParseBatcherData(payload)
		if err != nil {
			return nil, fmt.Errorf("blob payload: %w", err)
		}
		r := &Report{Kind: KindBlob}
		fillFrames(r, frames, opts)
		return r, nil
	}
	return nil, fmt.Errorf("unknown kind %q (tx, frames, channel, batch, blob)", k)
}

// fillFrames lists the frames and decodes the channels they complete.
func fillFrames(r *Report, frames []frame.Frame, opts Options) {
	type acc struct {
		frames map[uint16][]byte
		last   int
	}
	var order []frame.ChannelID
	chans := map[frame.ChannelID]*acc{}
	for _, f := range frames {
		r.Frames = append(r.Frames, FrameInfo{ChannelID: f.ID.String(), FrameNumber: f.Number, DataLen: len(f.Data), IsLast: f.IsLast})
		a := chans[f.ID]
		if a == nil {
			a = &acc{frames: map[uint16][]byte{}, last: -1}
			chans[f.ID] = a
			order = append(order, f.ID)
		}
		a.frames[f.Number] = f.Data
		if f.IsLast {
			a.last = int(f.Number)
		}
	}
	for _, id := range order {
		a := chans[id]
		ci := ChannelInfo{ID: id.String(), Frames: len(a.frames)}
		var buf bytes.Buffer
		complete := a.last >= 0
		for i := 0; complete && i <= a.last; i++ {
			d, ok := a.frames[uint16(i)]
			if !ok {
				complete = false
				break
			}
			buf.Write(d)
		}
		ci.Complete = complete
		if complete {
			dec, err := decodeChannel(ci.ID, buf.Bytes(), opts)
			if err != nil {
				ci.Error = err.Error()
			} else {
				dec.Frames = ci.Frames
				ci = dec
			}
		}
		r.Channels = append(r.Channels, ci)
	}
}

func decodeChannel(id string, data []byte, opts Options) (ChannelInfo, error) {
	ci := ChannelInfo{ID: id, Complete: true, Compressed: len(data)}
	limit := uint64(rollup.MaxRLPBytesPerChannelFjord)
	fjord := true
	if opts.Rollup != nil && opts.Rollup.FjordTime == nil {
		limit, fjord = rollup.MaxRLPBytesPerChannelBedrock, false
	}
	rd, err := channel.NewReader(data, limit, fjord)
	if err != nil {
		return ci, err
	}
	ci.Compression = rd.Algo().String()
	for {
		b, err := rd.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				if len(ci.Batches) == 0 {
					return ci, err
				}
				ci.Error = err.Error()
			}
			break
		}
		bi, err := batchInfo(b, opts)
		if err != nil {
			bi = BatchInfo{Error: err.Error()}
		}
		ci.Batches = append(ci.Batches, bi)
	}
	if len(ci.Batches) == 0 {
		return ci, errors.New("channel holds no batches")
	}
	return ci, nil
}

func hashes(txs [][]byte) []common.Hash {
	out := make([]common.Hash, len(txs))
	for i, tx := range txs {
		out[i] = crypto.Keccak256Hash(tx)
	}
	return out
}

func batchInfo(data []byte, opts Options) (BatchInfo, error) {
	b, err := batch.Decode(data)
	if err != nil {
		return BatchInfo{}, err
	}
	switch v := b.(type) {
	case *batch.Singular:
		epoch, parent, eh := v.EpochNum, common.Hash(v.ParentHash), common.Hash(v.EpochHash)
		return BatchInfo{Type: "singular", ParentHash: &parent, EpochNum: &epoch, EpochHash: &eh, Timestamp: v.Timestamp,
			TxCount: len(v.Transactions), TxHashes: hashes(v.Transactions)}, nil
	case *batch.Span:
		on := v.L1OriginNum
		bi := BatchInfo{Type: "span", ParentCheck: v.ParentCheck[:], L1OriginCheck: v.L1OriginCheck[:], L1OriginNum: &on,
			Timestamp: v.RelTimestamp, BlockCount: v.BlockCount(), TxCount: v.TxCount()}
		if opts.Rollup == nil {
			return bi, nil // timestamps stay relative to L2 genesis
		}
		chainID := opts.Rollup.L2ChainID
		if chainID == nil {
			chainID = new(big.Int)
		}
		elems, err := v.Derive(opts.Rollup.Genesis.L2Time, opts.Rollup.BlockTime, chainID)
		if err != nil {
			return bi, err
		}
		bi.Timestamp = elems[0].Timestamp
		for _, e := range elems {
			bi.Blocks = append(bi.Blocks, BlockInfo{Timestamp: e.Timestamp, EpochNum: e.EpochNum, TxCount: len(e.Transactions), TxHashes: hashes(e.Transactions)})
		}
		return bi, nil
	}
	return BatchInfo{}, fmt.Errorf("unknown batch %T", b)
}

func (k Kind) String() string { return string(k) }
