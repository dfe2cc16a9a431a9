package batch_test

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/batch"
)

var testChainID = big.NewInt(901)

func testKey(t testing.TB, seed byte) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustEncode(t testing.TB, tx *types.Transaction) []byte {
	t.Helper()
	b, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testTxs returns signed transactions of every supported kind: protected and
// unprotected legacy, legacy creation, access list, dynamic fee (with and
// without an access list, and a creation), and set code.
func testTxs(t testing.TB, chainID *big.Int) [][]byte {
	t.Helper()
	key := testKey(t, 1)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	al := types.AccessList{{Address: to, StorageKeys: []common.Hash{{1}, {2}}}, {Address: common.Address{9}}}
	london := types.LatestSignerForChainID(chainID)
	sign := func(s types.Signer, data types.TxData) []byte {
		tx, err := types.SignNewTx(key, s, data)
		if err != nil {
			t.Fatal(err)
		}
		return mustEncode(t, tx)
	}
	auth, err := types.SignSetCode(testKey(t, 2), types.SetCodeAuthorization{ChainID: *uint256.MustFromBig(chainID), Address: to, Nonce: 7})
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{
		sign(types.NewEIP155Signer(chainID), &types.LegacyTx{Nonce: 0, GasPrice: big.NewInt(1e9), Gas: 21000, To: &to, Value: big.NewInt(5)}),
		sign(types.HomesteadSigner{}, &types.LegacyTx{Nonce: 1, GasPrice: big.NewInt(2e9), Gas: 50000, To: &to, Data: []byte{1, 2, 3}}),
		sign(types.NewEIP155Signer(chainID), &types.LegacyTx{Nonce: 2, GasPrice: big.NewInt(0), Gas: 1 << 20, Data: bytes.Repeat([]byte{0x60}, 100)}),
		sign(london, &types.AccessListTx{ChainID: chainID, Nonce: 3, GasPrice: big.NewInt(7), Gas: 90000, To: &to, AccessList: al}),
		sign(london, &types.DynamicFeeTx{ChainID: chainID, Nonce: 4, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1e10), Gas: 30000, To: &to, Value: big.NewInt(1e18), AccessList: al}),
		sign(london, &types.DynamicFeeTx{ChainID: chainID, Nonce: 5, GasTipCap: big.NewInt(0), GasFeeCap: big.NewInt(3), Gas: 70000, Data: []byte{0x00}}),
		sign(london, &types.SetCodeTx{ChainID: uint256.MustFromBig(chainID), Nonce: 6, GasTipCap: uint256.NewInt(2), GasFeeCap: uint256.NewInt(9), Gas: 100000,
			To: to, Value: uint256.NewInt(3), AccessList: al, AuthList: []types.SetCodeAuthorization{auth}}),
	}
}

func testBlocks(t testing.TB) []batch.SpanBlock {
	txs := testTxs(t, testChainID)
	blocks := []batch.SpanBlock{
		{Singular: batch.Singular{ParentHash: common.Hash{0xaa, 1}, EpochNum: 100, EpochHash: common.Hash{0xe0}, Timestamp: 1010, Transactions: txs[:3]}, SeqNum: 0},
		{Singular: batch.Singular{EpochNum: 100, EpochHash: common.Hash{0xe0}, Timestamp: 1012}, SeqNum: 1},
		{Singular: batch.Singular{EpochNum: 101, EpochHash: common.Hash{0xe1}, Timestamp: 1014, Transactions: txs[3:6]}, SeqNum: 0},
		{Singular: batch.Singular{EpochNum: 102, EpochHash: common.Hash{0xe2, 0xff}, Timestamp: 1016, Transactions: txs[6:]}, SeqNum: 0},
	}
	return blocks
}

func TestNewSpanRoundTrip(t *testing.T) {
	blocks := testBlocks(t)
	for _, firstSeq := range []uint64{0, 3} {
		blocks[0].SeqNum = firstSeq
		span, err := batch.NewSpan(blocks, 1000, testChainID)
		if err != nil {
			t.Fatal(err)
		}
		if span.RelTimestamp != 10 || span.L1OriginNum != 102 || span.ParentCheck[0] != 0xaa || span.L1OriginCheck[0] != 0xe2 {
			t.Fatalf("prefix: %+v", span)
		}
		if span.OriginBits.Bit(0) != (firstSeq == 0) {
			t.Fatalf("first origin bit %v for seq %d", span.OriginBits.Bit(0), firstSeq)
		}
		enc, err := span.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		dec, err := batch.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		re, err := dec.MarshalBinary()
		if err != nil || !bytes.Equal(re, enc) {
			t.Fatalf("re-encoding differs (%v)", err)
		}
		elems, err := dec.(*batch.Span).Derive(1000, 2, testChainID)
		if err != nil {
			t.Fatal(err)
		}
		checkFastPath(t, dec.(*batch.Span), elems, testChainID)
		for i, e := range elems {
			b := blocks[i]
			if e.Timestamp != b.Timestamp || e.EpochNum != b.EpochNum || len(e.Transactions) != len(b.Transactions) {
				t.Fatalf("block %d: got ts %d epoch %d txs %d", i, e.Timestamp, e.EpochNum, len(e.Transactions))
			}
			for j := range e.Transactions {
				if !bytes.Equal(e.Transactions[j], b.Transactions[j]) {
					t.Fatalf("block %d tx %d differs after the round trip", i, j)
				}
			}
		}
	}
}

func TestNewSpanErrors(t *testing.T) {
	key := testKey(t, 3)
	signed := func(s types.Signer, data types.TxData) []byte {
		tx, err := types.SignNewTx(key, s, data)
		if err != nil {
			t.Fatal(err)
		}
		return mustEncode(t, tx)
	}
	to := common.Address{1}
	otherChain := big.NewInt(5)
	tests := []struct {
		name   string
		modify func(b []batch.SpanBlock) []batch.SpanBlock
		want   string
	}{
		{"no blocks", func([]batch.SpanBlock) []batch.SpanBlock { return nil }, "no blocks"},
		{"before genesis", func(b []batch.SpanBlock) []batch.SpanBlock { b[0].Timestamp = 999; return b }, "before genesis"},
		{"time not increasing", func(b []batch.SpanBlock) []batch.SpanBlock { b[1].Timestamp = b[0].Timestamp; return b }, "not after"},
		{"uneven spacing", func(b []batch.SpanBlock) []batch.SpanBlock { b[3].Timestamp++; return b }, "spacing"},
		{"epoch skips", func(b []batch.SpanBlock) []batch.SpanBlock { b[3].EpochNum = 103; return b }, "does not follow"},
		{"epoch goes back", func(b []batch.SpanBlock) []batch.SpanBlock { b[1].EpochNum = 99; return b }, "does not follow"},
		{"garbage tx", func(b []batch.SpanBlock) []batch.SpanBlock { b[1].Transactions = [][]byte{{0x02, 0xc0}}; return b }, "decoding transaction"},
		{"empty tx", func(b []batch.SpanBlock) []batch.SpanBlock { b[1].Transactions = [][]byte{{}}; return b }, "decoding transaction"},
		{"protected legacy on other chain", func(b []batch.SpanBlock) []batch.SpanBlock {
			b[1].Transactions = [][]byte{signed(types.NewEIP155Signer(otherChain), &types.LegacyTx{Gas: 1, To: &to, GasPrice: big.NewInt(1)})}
			return b
		}, "does not match chain id"},
		{"typed tx on other chain", func(b []batch.SpanBlock) []batch.SpanBlock {
			b[1].Transactions = [][]byte{signed(types.LatestSignerForChainID(otherChain), &types.DynamicFeeTx{ChainID: otherChain, Gas: 1, To: &to})}
			return b
		}, "chain id"},
		{"blob tx", func(b []batch.SpanBlock) []batch.SpanBlock {
			b[1].Transactions = [][]byte{signed(types.LatestSignerForChainID(testChainID), &types.BlobTx{ChainID: uint256.MustFromBig(testChainID), Gas: 1, To: to})}
			return b
		}, "unsupported"},
		{"legacy v 0", func(b []batch.SpanBlock) []batch.SpanBlock {
			b[1].Transactions = [][]byte{mustEncode(t, types.NewTx(&types.LegacyTx{Gas: 1, GasPrice: big.NewInt(1), V: big.NewInt(0), R: big.NewInt(1), S: big.NewInt(1)}))}
			return b
		}, "invalid legacy v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := batch.NewSpan(tt.modify(testBlocks(t)), 1000, testChainID)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want error containing %q", err, tt.want)
			}
		})
	}
	if _, err := batch.NewSpan(testBlocks(t), 1000, nil); err == nil {
		t.Error("nil chain id accepted")
	}
}

func TestSingular(t *testing.T) {
	b := &batch.Singular{ParentHash: common.Hash{1}, EpochNum: 77, EpochHash: common.Hash{2}, Timestamp: 1234, Transactions: testTxs(t, testChainID)}
	enc, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if enc[0] != batch.SingularType {
		t.Fatalf("type byte %d", enc[0])
	}
	dec, err := batch.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	got := dec.(*batch.Singular)
	if got.ParentHash != b.ParentHash || got.EpochNum != 77 || got.EpochHash != b.EpochHash || got.Timestamp != 1234 || len(got.Transactions) != len(b.Transactions) {
		t.Fatalf("got %+v", got)
	}
	// No transactions: the list is empty, not absent.
	empty, err := (&batch.Singular{}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := batch.Decode(empty); err != nil {
		t.Fatal(err)
	}

	raw := func(v any) []byte {
		b, err := rlp.EncodeToBytes(v)
		if err != nil {
			t.Fatal(err)
		}
		return append([]byte{batch.SingularType}, b...)
	}
	type short struct {
		ParentHash common.Hash
		EpochNum   uint64
	}
	type badHash struct {
		ParentHash [31]byte
		EpochNum   uint64
		EpochHash  common.Hash
		Timestamp  uint64
		Txs        [][]byte
	}
	type extra struct {
		batch.Singular
		Extra uint64
	}
	bad := map[string][]byte{
		"trailing byte":  append(bytes.Clone(enc), 0x80),
		"too few fields": raw(short{}),
		"short hash":     raw(badHash{}),
		"extra field":    raw(extra{Extra: 1}),
		"not a list":     raw([]byte("hello")),
		"truncated":      enc[:len(enc)-1],
		// rlp([hash, 0x81 0x05, hash, 0, []]): epoch 5 in non-canonical form.
		"non-canonical epoch": append([]byte{batch.SingularType, 0xf8, 0x46, 0xa0}, append(make([]byte, 32),
			append([]byte{0x81, 0x05, 0xa0}, append(make([]byte, 32), 0x80, 0xc0)...)...)...),
	}
	for name, data := range bad {
		if _, err := batch.Decode(data); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestDecodeType(t *testing.T) {
	if _, err := batch.Decode(nil); !errors.Is(err, batch.ErrEmptyBatch) {
		t.Errorf("empty: %v", err)
	}
	for _, typ := range []byte{batch.SpanV2Type, 3, 0x7e, 0xff} {
		if _, err := batch.Decode([]byte{typ, 0xc0}); !errors.Is(err, batch.ErrUnknownType) {
			t.Errorf("type %d: %v", typ, err)
		}
	}
	var s batch.Span
	if err := s.UnmarshalBinary([]byte{batch.SingularType, 0xc0}); !errors.Is(err, batch.ErrUnknownType) {
		t.Errorf("span from singular: %v", err)
	}
	var g batch.Singular
	if err := g.UnmarshalBinary([]byte{batch.SpanType}); !errors.Is(err, batch.ErrUnknownType) {
		t.Errorf("singular from span: %v", err)
	}
	// The future span batch v2 vector is not accepted either.
	if v2 := vectors.TryRead("optimism/op-node/rollup/derive/testdata/raw_batch_v2.hex"); v2 != nil {
		data, err := vectors.DecodeHex(string(v2))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := batch.Decode(data); !errors.Is(err, batch.ErrUnknownType) {
			t.Errorf("span batch v2: %v", err)
		}
	}
}

// spanBuilder writes span batch fields by hand for malformed-input tests.
type spanBuilder struct{ b []byte }

func (w *spanBuilder) uv(v uint64) *spanBuilder      { w.b = binary.AppendUvarint(w.b, v); return w }
func (w *spanBuilder) raw(p ...byte) *spanBuilder    { w.b = append(w.b, p...); return w }
func (w *spanBuilder) zeros(n int) *spanBuilder      { w.b = append(w.b, make([]byte, n)...); return w }
func (w *spanBuilder) prefix() *spanBuilder          { return w.raw(batch.SpanType).uv(10).uv(5).zeros(40) }
func (w *spanBuilder) bytes() []byte                 { return w.b }
func newSpan() *spanBuilder                          { return new(spanBuilder).prefix() }
func (w *spanBuilder) legacyData() *spanBuilder      { return w.raw(0xc3, 0x80, 0x80, 0x80) }
func (w *spanBuilder) oneTxBlock(n int) *spanBuilder { return w.uv(1).raw(0x01).uv(uint64(n)) }

func TestSpanMalformed(t *testing.T) {
	// A valid span: one block, one legacy tx (contract creation).
	valid := newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).legacyData().uv(0).uv(21000).raw(0x00).bytes()
	if _, err := batch.Decode(valid); err != nil {
		t.Fatalf("baseline span: %v", err)
	}
	tests := []struct {
		name string
		data []byte
		want error // nil: any error
	}{
		{"no prefix", []byte{batch.SpanType}, nil},
		{"varint overflow", new(spanBuilder).raw(batch.SpanType).raw(bytes.Repeat([]byte{0xff}, 10)...).raw(0x01).bytes(), nil},
		{"short parent check", new(spanBuilder).raw(batch.SpanType).uv(1).uv(1).zeros(19).bytes(), nil},
		{"zero blocks", newSpan().uv(0).bytes(), batch.ErrEmptySpan},
		{"too many blocks", newSpan().uv(batch.MaxSpanBatchElementCount + 1).bytes(), batch.ErrTooManyElements},
		{"block count beyond input", newSpan().uv(batch.MaxSpanBatchElementCount).zeros(1_250_000).bytes(), nil},
		{"origin bits padding", newSpan().uv(1).raw(0x02).uv(0).bytes(), batch.ErrInvalidBits},
		{"origin bits padding 9 blocks", newSpan().uv(9).raw(0x02, 0x00).bytes(), batch.ErrInvalidBits},
		{"too many txs in a block", newSpan().oneTxBlock(batch.MaxSpanBatchElementCount + 1).bytes(), batch.ErrTooManyElements},
		{"too many txs in total", newSpan().uv(2).raw(0x00).uv(6_000_000).uv(6_000_000).bytes(), batch.ErrTooManyElements},
		{"tx count overflow", newSpan().uv(2).raw(0x00).uv(^uint64(0)).uv(2).bytes(), batch.ErrTooManyElements},
		{"creation bits padding", newSpan().oneTxBlock(1).raw(0x03, 0x00).bytes(), batch.ErrInvalidBits},
		{"parity bits padding", newSpan().oneTxBlock(1).raw(0x00, 0x80).bytes(), batch.ErrInvalidBits},
		{"missing sigs", newSpan().oneTxBlock(1).raw(0x00, 0x00).zeros(63).bytes(), nil},
		{"missing to", newSpan().oneTxBlock(1).raw(0x00, 0x00).zeros(64 + 19).bytes(), nil},
		{"tx data is a string", newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).raw(0x83, 1, 2, 3).uv(0).uv(0).raw(0).bytes(), nil},
		{"tx data truncated list", newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).raw(0xc3, 0x80).bytes(), nil},
		{"tx data non-canonical header", newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).raw(0xf8, 0x03, 0x80, 0x80, 0x80).uv(0).uv(0).raw(0).bytes(), nil},
		{"typed tx data missing list", newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).raw(0x02).bytes(), nil},
		{"missing nonce", newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).legacyData().bytes(), nil},
		{"missing gas", newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).legacyData().uv(0).bytes(), nil},
		{"missing protected bits", newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).legacyData().uv(0).uv(0).bytes(), nil},
		{"protected bits padding", newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).legacyData().uv(0).uv(0).raw(0x02).bytes(), batch.ErrInvalidBits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := batch.Decode(tt.data)
			if err == nil {
				t.Fatal("decoded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("rejecting took %s", d)
			}
		})
	}
	// Every strict prefix of a valid span batch is an error.
	for n := 0; n < len(valid); n++ {
		if _, err := batch.Decode(valid[:n]); err == nil {
			t.Fatalf("prefix of %d bytes decoded", n)
		}
	}
}

func TestRawSpanBatchPrefixes(t *testing.T) {
	data := append([]byte{batch.SpanType}, vectors.Read(t, rawSpanBatchPath)...)
	for n := 0; n < len(data); n++ {
		if _, err := batch.Decode(data[:n]); err == nil {
			t.Fatalf("prefix of %d of %d bytes decoded", n, len(data))
		}
	}
}

func TestDeriveErrors(t *testing.T) {
	base := func() *batch.Span {
		span, err := batch.NewSpan(testBlocks(t), 1000, testChainID)
		if err != nil {
			t.Fatal(err)
		}
		return span
	}
	legacyIdx := 0 // first tx of testTxs is legacy
	typedIdx := 4  // dynamic fee
	setCodeIdx := 6
	tests := []struct {
		name   string
		modify func(s *batch.Span)
		want   error
	}{
		{"unknown tx type", func(s *batch.Span) { s.Txs.Datas[typedIdx] = []byte{0x03, 0xc0} }, batch.ErrUnsupportedTxType},
		{"deposit tx type", func(s *batch.Span) { s.Txs.Datas[typedIdx] = []byte{0x7e, 0xc0} }, batch.ErrUnsupportedTxType},
		{"legacy tx with type byte 0", func(s *batch.Span) {
			s.Txs.Datas[typedIdx] = []byte{0x00, 0xc3, 0x80, 0x80, 0x80}
			s.Txs.ProtectedBits = grow(s.Txs.ProtectedBits)
		}, batch.ErrUnsupportedTxType},
		{"legacy data too short", func(s *batch.Span) { s.Txs.Datas[legacyIdx] = []byte{0xc2, 0x80, 0x80} }, batch.ErrInvalidTxData},
		{"legacy data too long", func(s *batch.Span) { s.Txs.Datas[legacyIdx] = []byte{0xc4, 0x80, 0x80, 0x80, 0x80} }, batch.ErrInvalidTxData},
		{"legacy value not canonical", func(s *batch.Span) { s.Txs.Datas[legacyIdx] = []byte{0xc4, 0x81, 0x00, 0x80, 0x80} }, batch.ErrInvalidTxData},
		{"legacy value is a list", func(s *batch.Span) { s.Txs.Datas[legacyIdx] = []byte{0xc3, 0xc0, 0x80, 0x80} }, batch.ErrInvalidTxData},
		{"dynamic fee bad access list", func(s *batch.Span) { s.Txs.Datas[typedIdx] = []byte{0x02, 0xc6, 0x80, 0x80, 0x80, 0x80, 0xc1, 0xc0} }, batch.ErrInvalidTxData},
		{"set code creation", func(s *batch.Span) {
			// The set code tx is the last one, so its to is the last entry.
			s.Txs.ContractCreationBits.Set(setCodeIdx, true)
			s.Txs.Tos = s.Txs.Tos[:len(s.Txs.Tos)-1]
		}, batch.ErrInvalidTxData},
		{"set code bad auth list", func(s *batch.Span) {
			s.Txs.Datas[setCodeIdx] = []byte{0x04, 0xc7, 0x80, 0x80, 0x80, 0x80, 0xc0, 0xc1, 0xc0}
		}, batch.ErrInvalidTxData},
		{"too few sigs", func(s *batch.Span) { s.Txs.Sigs = s.Txs.Sigs[1:] }, batch.ErrInconsistent},
		{"too few tos", func(s *batch.Span) { s.Txs.Tos = s.Txs.Tos[1:] }, batch.ErrInconsistent},
		{"wrong protected bits", func(s *batch.Span) { s.Txs.ProtectedBits = batch.NewBits(1) }, batch.ErrInconsistent},
		{"wrong origin bits", func(s *batch.Span) { s.OriginBits = batch.NewBits(9) }, batch.ErrInconsistent},
		{"trailing tx data", func(s *batch.Span) { s.Txs.Datas[legacyIdx] = append(bytes.Clone(s.Txs.Datas[legacyIdx]), 0x80) }, batch.ErrInconsistent},
		{"empty tx data", func(s *batch.Span) { s.Txs.Datas[legacyIdx] = nil }, nil},
		{"no blocks", func(s *batch.Span) { s.BlockTxCounts = nil }, batch.ErrEmptySpan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.modify(s)
			_, err := s.Derive(1000, 2, testChainID)
			if err == nil {
				t.Fatal("derived")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if _, err := s.MarshalBinary(); tt.want == batch.ErrInconsistent && err == nil {
				t.Fatal("inconsistent span encoded")
			}
		})
	}
	if _, err := base().Derive(1000, 2, big.NewInt(0)); err == nil {
		t.Error("chain id 0 accepted")
	}
}

// grow returns a bit list one longer, with the same bits.
func grow(b batch.Bits) batch.Bits {
	out := batch.NewBits(b.Len() + 1)
	for i := 0; i < b.Len(); i++ {
		out.Set(i, b.Bit(i))
	}
	return out
}

func TestBits(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 16, 17, 100} {
		b := batch.NewBits(n)
		if b.Len() != n || len(b.Bytes()) != (n+7)/8 {
			t.Fatalf("n=%d: len %d bytes %d", n, b.Len(), len(b.Bytes()))
		}
		for i := 0; i < n; i += 3 {
			b.Set(i, true)
		}
		want := new(big.Int)
		for i := 0; i < n; i += 3 {
			want.SetBit(want, i, 1)
		}
		// The wire form is the big-endian integer, left-padded.
		got := new(big.Int).SetBytes(b.Bytes())
		if got.Cmp(want) != 0 {
			t.Fatalf("n=%d: wire %x, want %x", n, b.Bytes(), want)
		}
		if b.Count() != (n+2)/3 {
			t.Fatalf("n=%d: count %d", n, b.Count())
		}
		for i := 0; i < n; i++ {
			if b.Bit(i) != (i%3 == 0) {
				t.Fatalf("n=%d: bit %d", n, i)
			}
			b.Set(i, false)
		}
		if b.Count() != 0 {
			t.Fatalf("n=%d: clearing failed", n)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Set out of range did not panic")
		}
	}()
	batch.NewBits(3).Set(3, true)
}

// TestSpanTxRLPSizeLimit pins op-node's per-transaction size limit
// (ReadTxData in op-node/rollup/derive/span_batch.go). It reads each
// tx_data's RLP list through an rlp.Stream limited to
// MaxSpanBatchElementCount bytes; the stream counts the list header it
// reads against that limit before comparing the content size with what is
// left, so the limit is on header plus content. The type byte of a typed
// transaction is read before the stream and does not count.
func TestSpanTxRLPSizeLimit(t *testing.T) {
	const limit = batch.MaxSpanBatchElementCount
	// list returns an RLP list of exactly total bytes: header and content.
	list := func(total int) []byte {
		for header := 1; header <= 9; header++ {
			content := total - header
			if content < 0 {
				break
			}
			enc := append(encodeListHeader(content), make([]byte, content)...)
			if len(enc) == total {
				return enc
			}
		}
		t.Fatalf("no RLP list of %d bytes", total)
		return nil
	}
	span := func(txData []byte, legacy bool) []byte {
		w := newSpan().oneTxBlock(1).raw(0x01, 0x00).zeros(64).raw(txData...).uv(0).uv(21000)
		if legacy {
			w.raw(0x00)
		}
		return w.bytes()
	}
	tests := []struct {
		name   string
		total  int  // RLP list bytes, header included
		typed  bool // preceded by a 0x02 type byte, which does not count
		reject bool
	}{
		{"legacy list one byte under the limit", limit - 1, false, false},
		{"legacy list at the limit", limit, false, false},
		{"legacy list one byte over the limit", limit + 1, false, true},
		{"legacy list content at the limit, header over it", limit + 4, false, true},
		{"typed list at the limit, type byte not counted", limit, true, false},
		{"typed list one byte over the limit", limit + 1, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := list(tt.total)
			if tt.typed {
				data = append([]byte{types.DynamicFeeTxType}, data...)
			}
			_, err := batch.Decode(span(data, !tt.typed))
			switch {
			case tt.reject && !errors.Is(err, batch.ErrTooManyElements):
				t.Fatalf("got %v, want %v", err, batch.ErrTooManyElements)
			case !tt.reject && err != nil:
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

// encodeListHeader returns the RLP header of a list of size content bytes.
func encodeListHeader(size int) []byte {
	if size < 56 {
		return []byte{0xC0 + byte(size)}
	}
	var be []byte
	for v := size; v > 0; v >>= 8 {
		be = append([]byte{byte(v)}, be...)
	}
	return append([]byte{0xF7 + byte(len(be))}, be...)
}

// TestDeriveOriginBitsBeyondL1OriginNum pins what op-node does with origin
// bits that count more epoch changes than l1_origin_num can absorb: nothing
// at decode time. RawSpanBatch.derive (op-node/rollup/derive/span_batch.go)
// walks back from the last block, subtracting one for every set bit but bit
// 0, in uint64 arithmetic, so the early epochs wrap around. The batch
// checks then drop such a span (its start epoch is far past the safe head's
// origin), which under Holocene also flushes the channel.
func TestDeriveOriginBitsBeyondL1OriginNum(t *testing.T) {
	const max = ^uint64(0)
	tests := []struct {
		name   string
		last   uint64   // l1_origin_num; the origin bits are 1,0,1,1
		epochs []uint64 // per block
	}{
		{"bit 0 is not subtracted", 2, []uint64{0, 0, 1, 2}},
		{"popcount one past l1_origin_num wraps", 1, []uint64{max, max, 0, 1}},
		{"l1_origin_num 0 wraps", 0, []uint64{max - 1, max - 1, max, 0}},
		{"in range", 102, []uint64{100, 100, 101, 102}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			span, err := batch.NewSpan(testBlocks(t), 1000, testChainID)
			if err != nil {
				t.Fatal(err)
			}
			span.L1OriginNum = tt.last
			enc, err := span.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			dec, err := batch.Decode(enc)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			elems, err := dec.(*batch.Span).Derive(1000, 2, testChainID)
			if err != nil {
				t.Fatalf("derive: %v", err)
			}
			for i, e := range elems {
				if e.EpochNum != tt.epochs[i] {
					t.Fatalf("block %d epoch %d, want %d", i, e.EpochNum, tt.epochs[i])
				}
			}
		})
	}
}
