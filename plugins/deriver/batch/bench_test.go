package batch_test

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"testing"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
)

// BenchmarkBatchHexPipeline is the derivation work for kona's real OP
// Mainnet channel: inflate, split the RLP stream, decode the span batch and
// rebuild all 1766 signed transactions.
func BenchmarkBatchHexPipeline(b *testing.B) {
	data := vectors.ReadHex(b, batchHexPath)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := channel.NewReader(data, channel.MaxRLPBytesPerChannelFjord, true)
		if err != nil {
			b.Fatal(err)
		}
		txs := 0
		for {
			raw, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			bt, err := batch.Decode(raw)
			if err != nil {
				b.Fatal(err)
			}
			elems, err := bt.(*batch.Span).Derive(opMainnetGenesis, opMainnetBlockTime, opMainnetChainID)
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range elems {
				txs += len(e.Transactions)
			}
		}
		if txs != 1766 {
			b.Fatalf("derived %d txs", txs)
		}
	}
}

// BenchmarkBatchHexBareInflate is the floor for the pipeline: inflating the
// same channel into nothing.
func BenchmarkBatchHexBareInflate(b *testing.B) {
	data := vectors.ReadHex(b, batchHexPath)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
}
