package batch_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
)

// seedBatches returns real typed batches for fuzz seeds: op-node's random
// span batch and every reference batch. The mainnet span batches are left
// out: at hundreds of kilobytes, the fuzzer spends its time minimizing them
// instead of exploring, and their decoding is tested directly.
func seedBatches() [][]byte {
	var out [][]byte
	if raw := vectors.TryRead(rawSpanBatchPath); raw != nil {
		out = append(out, append([]byte{batch.SpanType}, raw...))
	}
	if raw := vectors.TryRead(referenceChannels); raw != nil {
		var file struct {
			Channels []struct {
				Compressed hexutilBytes `json:"compressed_channel"`
			} `json:"channels"`
		}
		if json.Unmarshal(raw, &file) == nil {
			for _, ch := range file.Channels {
				if bs, err := channel.ReadAll(ch.Compressed, channel.MaxRLPBytesPerChannelFjord, true); err == nil {
					out = append(out, bs...)
				}
			}
		}
	}
	return out
}

// FuzzDecode checks that decoding never panics, that what decodes encodes
// stably, and that Derive's fast path agrees with the types path. The 23 KB
// raw_batch seed makes minimizing new inputs slow; fuzz with a small
// -fuzzminimizetime (e.g. 5s) to keep exploring.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{batch.SingularType, 0xc0})
	f.Add([]byte{batch.SpanType, 0x00, 0x00})
	for _, b := range seedBatches() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := batch.Decode(data)
		if err != nil {
			return
		}
		enc, err := b.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded batch does not encode: %v", err)
		}
		b2, err := batch.Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		enc2, err := b2.MarshalBinary()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %v", err)
		}
		span, ok := b.(*batch.Span)
		if !ok {
			// Singular batches are strict RLP: decoding is bijective.
			if !bytes.Equal(enc, data) {
				t.Fatal("singular batch round trip differs")
			}
			return
		}
		elems, err := span.Derive(1000, 2, big.NewInt(10))
		ref, refErr := batch.DeriveTxsWithTypes(span, big.NewInt(10))
		if (err == nil) != (refErr == nil) {
			t.Fatalf("fast path error %v, types path error %v", err, refErr)
		}
		if err != nil {
			return
		}
		// Epochs, walked back from the last block as op-node does: a set
		// bit on block i+1 means block i is one epoch earlier (mod 2^64).
		epoch := span.L1OriginNum
		for j := len(elems) - 1; j >= 0; j-- {
			if elems[j].EpochNum != epoch {
				t.Fatalf("block %d epoch %d, want %d", j, elems[j].EpochNum, epoch)
			}
			if j > 0 && span.OriginBits.Bit(j) {
				epoch--
			}
		}
		i := 0
		for _, e := range elems {
			for _, tx := range e.Transactions {
				if !bytes.Equal(tx, ref[i]) {
					t.Fatalf("tx %d differs between fast and types paths", i)
				}
				i++
			}
		}
	})
}

// FuzzDeriveFastPath checks that the fast transaction builder accepts
// exactly the tx_datas go-ethereum's decoder does and encodes them the same.
func FuzzDeriveFastPath(f *testing.F) {
	for _, raw := range testTxs(f, testChainID) {
		// Turn the signed txs back into tx_datas via a span batch.
		span, err := batch.NewSpan([]batch.SpanBlock{{Singular: batch.Singular{Transactions: [][]byte{raw}}}}, 0, testChainID)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(span.Txs.Datas[0], true, uint8(1), true, uint64(3), uint64(21000))
	}
	f.Add([]byte{0xc3, 0x80, 0x80, 0x80}, false, uint8(0), false, uint64(0), uint64(0))
	f.Add([]byte{0x01, 0xc4, 0x80, 0x80, 0x80, 0xc0}, true, uint8(1), false, uint64(1), uint64(1))
	f.Add([]byte{0x02, 0xc8, 0x80, 0x80, 0x80, 0x80, 0xc3, 0xc2, 0x80, 0xc0}, true, uint8(0), false, uint64(1), uint64(1))
	f.Fuzz(func(t *testing.T, data []byte, hasTo bool, y uint8, protected bool, nonce, gas uint64) {
		if len(data) == 0 || data[0] == types.SetCodeTxType {
			return // set code always takes the types path
		}
		var to *[20]byte
		if hasTo {
			to = &[20]byte{0xde, 0xad, 19: 0x01}
		}
		r := [32]byte{0: 0x7f, 31: 1}
		s := [32]byte{31: 0x80}
		yy := uint64(y & 1)
		fast, err := batch.FastTx(data, to, yy, r, s, nonce, gas, protected, testChainID)
		ref, refErr := batch.TypesTx(data, to, yy, r, s, nonce, gas, protected, testChainID)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("fast path error %v, types path error %v", err, refErr)
		}
		if err == nil && !bytes.Equal(fast, ref) {
			t.Fatalf("encodings differ:\nfast  %x\ntypes %x", fast, ref)
		}
	})
}
