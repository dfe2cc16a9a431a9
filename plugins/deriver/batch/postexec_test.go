package batch_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/postexec"
)

func postExecSpan(t *testing.T) ([]batch.SpanBlock, *batch.Span) {
	t.Helper()
	pe, err := postexec.Encode(&postexec.Payload{Version: 1, BlockNumber: 5, Entries: []postexec.Entry{{Index: 1, GasRefund: 900}}})
	if err != nil {
		t.Fatal(err)
	}
	blocks := testBlocks(t)
	blocks[0].Transactions = append(append([][]byte(nil), blocks[0].Transactions...), pe)
	span, err := batch.NewSpan(blocks, 1000, testChainID)
	if err != nil {
		t.Fatal(err)
	}
	return blocks, span
}

// A post-exec transaction in a span batch: its tx_data is the whole
// transaction, it is marked a contract creation with a zero signature,
// nonce and gas, and it comes back byte for byte.
func TestSpanPostExecRoundTrip(t *testing.T) {
	blocks, span := postExecSpan(t)
	i := len(blocks[0].Transactions) - 1
	pe := blocks[0].Transactions[i]
	if !span.Txs.ContractCreationBits.Bit(i) || span.Txs.YParityBits.Bit(i) || span.Txs.Sigs[i] != (batch.Signature{}) ||
		span.Txs.Nonces[i] != 0 || span.Txs.Gases[i] != 0 || !bytes.Equal(span.Txs.Datas[i], pe) {
		t.Fatal("post-exec columns are not as the span batch encoding requires")
	}
	enc, err := span.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := batch.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	elems, err := dec.(*batch.Span).Derive(1000, 2, testChainID)
	if err != nil {
		t.Fatal(err)
	}
	for b := range blocks {
		for j, tx := range blocks[b].Transactions {
			if !bytes.Equal(elems[b].Transactions[j], tx) {
				t.Fatalf("block %d tx %d differs after the round trip", b, j)
			}
		}
	}
	// A malformed post-exec transaction is not encoded.
	blocks[0].Transactions[i] = []byte{postexec.TxType, 0xc0}
	if _, err := batch.NewSpan(blocks, 1000, testChainID); !errors.Is(err, postexec.ErrMalformed) {
		t.Fatalf("malformed post-exec encoded: %v", err)
	}
}

// The span batch rules for 0x7D: contract creation bit set, y parity 0,
// zero signature, nonce 0, gas 0. Anything else still decodes (the tx_data
// is the whole transaction) but marks the block holding it with a fault,
// for the batch checks to drop; the other blocks carry none.
func TestSpanPostExecColumns(t *testing.T) {
	_, base := postExecSpan(t)
	i := -1 // the column index of the post-exec tx
	for j := range base.Txs.Datas {
		if len(base.Txs.Datas[j]) > 0 && base.Txs.Datas[j][0] == postexec.TxType {
			i = j
		}
	}
	cases := map[string]func(s *batch.Span){
		"y parity":  func(s *batch.Span) { s.Txs.YParityBits.Set(i, true) },
		"signature": func(s *batch.Span) { s.Txs.Sigs[i].R[31] = 1 },
		"nonce":     func(s *batch.Span) { s.Txs.Nonces[i] = 1 },
		"gas":       func(s *batch.Span) { s.Txs.Gases[i] = 21000 },
		"recipient": func(s *batch.Span) {
			s.Txs.ContractCreationBits.Set(i, false)
			// The recipient column gains the entry at the tx's place.
			before := 0
			for j := 0; j < i; j++ {
				if !s.Txs.ContractCreationBits.Bit(j) {
					before++
				}
			}
			s.Txs.Tos = append(s.Txs.Tos[:before], append([]common.Address{{1}}, s.Txs.Tos[before:]...)...)
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			_, s := postExecSpan(t)
			mutate(s)
			enc, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			dec, err := batch.Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			elems, err := dec.(*batch.Span).Derive(1000, 2, testChainID)
			if err != nil {
				t.Fatalf("a bad %s column failed decoding: %v", name, err)
			}
			first, faults := 0, 0
			for b, e := range elems {
				in := i >= first && i < first+len(e.Transactions)
				switch {
				case in && (e.Fault == nil || e.Fault.Index != i-first || !strings.Contains(e.Fault.Reason, "post-exec")):
					t.Fatalf("block %d holds the post-exec tx at %d, fault %+v", b, i-first, e.Fault)
				case in && !bytes.Equal(e.Transactions[i-first], base.Txs.Datas[i]):
					t.Fatalf("post-exec tx %x, want its tx_data %x", e.Transactions[i-first], base.Txs.Datas[i])
				case !in && e.Fault != nil:
					t.Fatalf("block %d has a fault %+v", b, e.Fault)
				}
				if e.Fault != nil {
					faults++
				}
				first += len(e.Transactions)
			}
			if faults != 1 {
				t.Fatalf("%d faults", faults)
			}
		})
	}
}
