package batch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// MaxSpanBatchElementCount bounds the number of blocks, the transactions of
// any block, and the total transactions of a span batch (Fjord; the spec
// applies it to every span batch).
const MaxSpanBatchElementCount = 10_000_000

var (
	// ErrTooManyElements is returned when a count exceeds MaxSpanBatchElementCount.
	ErrTooManyElements = errors.New("span batch element count exceeds maximum")
	// ErrEmptySpan is returned for a span batch of zero blocks.
	ErrEmptySpan = errors.New("span batch has no blocks")
	// ErrInvalidBits is returned for a bit list with set padding bits.
	ErrInvalidBits = errors.New("invalid bit list")
	// ErrInconsistent is returned when a Span's fields disagree in length,
	// e.g. fewer signatures than transactions.
	ErrInconsistent = errors.New("inconsistent span batch")

	errTruncated = errors.New("unexpected end of span batch")
	errVarint    = errors.New("invalid uvarint")
)

// Span is a span batch in wire form. Field order follows the encoding:
//
//	prefix  = rel_timestamp ++ l1_origin_num ++ parent_check ++ l1_origin_check
//	payload = block_count ++ origin_bits ++ block_tx_counts ++ txs
//
// The block count is len(BlockTxCounts). Use Derive to get per-block data.
type Span struct {
	RelTimestamp  uint64   // first block's timestamp minus L2 genesis time
	L1OriginNum   uint64   // L1 origin number of the last block
	ParentCheck   [20]byte // first block's parent hash, truncated
	L1OriginCheck [20]byte // last block's L1 origin hash, truncated
	OriginBits    Bits     // per block: did the L1 origin advance
	BlockTxCounts []uint64
	Txs           SpanTxs
}

// SpanTxs holds the transactions of all blocks of a span, one column per
// field, in block order.
type SpanTxs struct {
	ContractCreationBits Bits
	YParityBits          Bits
	Sigs                 []Signature
	// Tos has one entry per transaction that is not a contract creation.
	Tos []common.Address
	// Datas are the type-specific fields: rlp([value, gasPrice, data]) for
	// legacy transactions, type byte ++ rlp([...]) for typed ones.
	Datas  [][]byte
	Nonces []uint64
	Gases  []uint64
	// ProtectedBits has one bit per legacy transaction: EIP-155 protected.
	ProtectedBits Bits
}

// Signature is a transaction's r and s, big-endian.
type Signature struct {
	R, S [32]byte
}

// Type returns SpanType.
func (*Span) Type() byte { return SpanType }

// BlockCount returns the number of blocks in the span.
func (s *Span) BlockCount() int { return len(s.BlockTxCounts) }

// TxCount returns the number of transactions in the span.
func (s *Span) TxCount() int { return len(s.Txs.Datas) }

// UnmarshalBinary decodes a typed span batch. Txs.Datas alias data, which
// must not be modified while the Span is in use; everything else is copied.
// (Batches read from a channel.Reader are fresh slices, so this holds.)
//
// Decoding checks structure only, like op-node: counts, bit lists, that each
// tx_data is a type byte (0x00-0x7F) or nothing followed by an RLP list. The
// fields inside tx_datas are decoded by Derive. Bytes after the last field
// (protected_bits) are ignored, as op-node's reader does; only canonical
// input (minimal varints, no trailing bytes) re-encodes byte for byte.
func (s *Span) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return ErrEmptyBatch
	}
	if data[0] != SpanType {
		return fmt.Errorf("%w: %d, want span", ErrUnknownType, data[0])
	}
	var out Span
	if err := out.decode(data[1:]); err != nil {
		return fmt.Errorf("decoding span batch: %w", err)
	}
	*s = out
	return nil
}

func (s *Span) decode(data []byte) error {
	d := decoder{data: data}
	s.RelTimestamp = d.uvarint("rel_timestamp")
	s.L1OriginNum = d.uvarint("l1_origin_num")
	d.read(s.ParentCheck[:], "parent_check")
	d.read(s.L1OriginCheck[:], "l1_origin_check")

	blocks := d.uvarint("block_count")
	if d.err != nil {
		return d.err
	}
	if blocks == 0 {
		return ErrEmptySpan
	}
	if blocks > MaxSpanBatchElementCount {
		return fmt.Errorf("block_count %d: %w", blocks, ErrTooManyElements)
	}
	s.OriginBits = d.bits(int(blocks), "origin_bits")
	// Each count takes at least one byte; checking that first keeps a bogus
	// block_count from allocating far more than the input could fill.
	if !d.need(int(blocks), "block_tx_counts") {
		return d.err
	}
	s.BlockTxCounts = make([]uint64, blocks)
	var total uint64
	for i := range s.BlockTxCounts {
		n := d.uvarint("block_tx_count")
		if d.err != nil {
			return d.err
		}
		if n > MaxSpanBatchElementCount {
			return fmt.Errorf("block %d tx count %d: %w", i, n, ErrTooManyElements)
		}
		var carry uint64
		if total, carry = bits.Add64(total, n, 0); carry != 0 || total > MaxSpanBatchElementCount {
			return fmt.Errorf("total tx count: %w", ErrTooManyElements)
		}
		s.BlockTxCounts[i] = n
	}
	if err := s.Txs.decode(&d, int(total)); err != nil {
		return err
	}
	return d.err
}

func (t *SpanTxs) decode(d *decoder, n int) error {
	t.ContractCreationBits = d.bits(n, "contract_creation_bits")
	t.YParityBits = d.bits(n, "y_parity_bits")
	if d.err != nil {
		return d.err
	}
	if !d.need(n*64, "tx_sigs") {
		return d.err
	}
	t.Sigs = make([]Signature, n)
	for i := range t.Sigs {
		d.read(t.Sigs[i].R[:], "tx_sigs")
		d.read(t.Sigs[i].S[:], "tx_sigs")
	}
	tos := n - t.ContractCreationBits.Count()
	if !d.need(tos*common.AddressLength, "tx_tos") {
		return d.err
	}
	t.Tos = make([]common.Address, tos)
	for i := range t.Tos {
		d.read(t.Tos[i][:], "tx_tos")
	}
	if !d.need(n, "tx_datas") {
		return d.err
	}
	// Tx datas are most of a span batch; they alias the input rather than
	// being copied (capped, so appending to one cannot clobber the next).
	t.Datas = make([][]byte, n)
	legacy := 0
	for i := range n {
		end, typ, err := splitTxData(d.data, d.off)
		if err != nil {
			return fmt.Errorf("tx_datas[%d]: %w", i, err)
		}
		if typ == legacyTxType {
			legacy++
		}
		t.Datas[i] = d.data[d.off:end:end]
		d.off = end
	}
	if !d.need(n, "tx_nonces") {
		return d.err
	}
	t.Nonces = make([]uint64, n)
	for i := range t.Nonces {
		t.Nonces[i] = d.uvarint("tx_nonce")
	}
	if !d.need(n, "tx_gases") {
		return d.err
	}
	t.Gases = make([]uint64, n)
	for i := range t.Gases {
		t.Gases[i] = d.uvarint("tx_gas")
	}
	t.ProtectedBits = d.bits(legacy, "protected_bits")
	return d.err
}

// legacyTxType is the type of a legacy transaction, and also what a tx_data
// starting with 0x00 counts as, as in op-node; Derive rejects the latter.
const legacyTxType = 0

// splitTxData finds the end of the tx_data at data[off:]: an optional type
// byte (0x00-0x7F) and an RLP list, which must be canonical.
//
// The list, header included, may be at most MaxSpanBatchElementCount bytes;
// the type byte does not count. That is op-node's limit (ReadTxData reads
// the list with an rlp.Stream capped at that many bytes, and the stream
// charges the header against the cap before checking the content fits).
// The spec states no per-transaction limit.
func splitTxData(data []byte, off int) (end int, typ byte, err error) {
	if off >= len(data) {
		return 0, 0, errTruncated
	}
	if b := data[off]; b <= 0x7F {
		typ = b
		off++
	}
	kind, _, rest, err := rlp.Split(data[off:])
	if err != nil {
		return 0, 0, fmt.Errorf("reading tx RLP: %w", err)
	}
	if kind != rlp.List {
		return 0, 0, errors.New("tx RLP must be a list")
	}
	end = len(data) - len(rest)
	if size := end - off; size > MaxSpanBatchElementCount {
		return 0, 0, fmt.Errorf("tx RLP of %d bytes with its header: %w", size, ErrTooManyElements)
	}
	return end, typ, nil
}

// decoder reads span batch fields, remembering the first error so the field
// sequence reads straight through.
type decoder struct {
	data []byte
	off  int
	err  error
}

func (d *decoder) fail(what string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s at offset %d: %w", what, d.off, err)
	}
}

// need reports whether at least n bytes remain, failing otherwise.
func (d *decoder) need(n int, what string) bool {
	if d.err != nil {
		return false
	}
	if n > len(d.data)-d.off {
		d.fail(what, fmt.Errorf("%w: need at least %d bytes, have %d", errTruncated, n, len(d.data)-d.off))
		return false
	}
	return true
}

// uvarint reads a protobuf varint. Like Go's binary.ReadUvarint used by
// op-node, it accepts non-minimal encodings and rejects overflow.
func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.off:])
	switch {
	case n == 0:
		d.fail(what, errTruncated)
		return 0
	case n < 0:
		d.fail(what, fmt.Errorf("%w: overflows 64 bits", errVarint))
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) read(dst []byte, what string) {
	if !d.need(len(dst), what) {
		return
	}
	d.off += copy(dst, d.data[d.off:])
}

func (d *decoder) bits(n int, what string) Bits {
	if d.err != nil {
		return Bits{}
	}
	b, rest, err := decodeBits(d.data[d.off:], n, what)
	if err != nil {
		d.fail(what, err)
		return Bits{}
	}
	d.off = len(d.data) - len(rest)
	return b
}

// MarshalBinary returns `0x01 ++ prefix ++ payload`. It checks that the
// fields are consistent and that every tx_data would decode, so what it
// returns always decodes back to the same Span.
func (s *Span) MarshalBinary() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	t := &s.Txs
	size := 1 + 4*binary.MaxVarintLen64 + 40 + len(s.OriginBits.b) + len(s.BlockTxCounts)*binary.MaxVarintLen64 +
		len(t.ContractCreationBits.b) + len(t.YParityBits.b) + 64*len(t.Sigs) + 20*len(t.Tos) +
		2*binary.MaxVarintLen64*len(t.Nonces) + len(t.ProtectedBits.b)
	for _, d := range t.Datas {
		size += len(d)
	}
	out := make([]byte, 0, size)
	out = append(out, SpanType)
	out = binary.AppendUvarint(out, s.RelTimestamp)
	out = binary.AppendUvarint(out, s.L1OriginNum)
	out = append(out, s.ParentCheck[:]...)
	out = append(out, s.L1OriginCheck[:]...)
	out = binary.AppendUvarint(out, uint64(len(s.BlockTxCounts)))
	out = append(out, s.OriginBits.b...)
	for _, c := range s.BlockTxCounts {
		out = binary.AppendUvarint(out, c)
	}
	out = append(out, t.ContractCreationBits.b...)
	out = append(out, t.YParityBits.b...)
	for _, sig := range t.Sigs {
		out = append(out, sig.R[:]...)
		out = append(out, sig.S[:]...)
	}
	for _, to := range t.Tos {
		out = append(out, to[:]...)
	}
	for _, d := range t.Datas {
		out = append(out, d...)
	}
	for _, n := range t.Nonces {
		out = binary.AppendUvarint(out, n)
	}
	for _, g := range t.Gases {
		out = binary.AppendUvarint(out, g)
	}
	out = append(out, t.ProtectedBits.b...)
	return out, nil
}

// check verifies that the columns of s agree with each other and with the
// limits, so that encoding and deriving can index them safely.
func (s *Span) check() error {
	blocks := len(s.BlockTxCounts)
	if blocks == 0 {
		return ErrEmptySpan
	}
	if blocks > MaxSpanBatchElementCount {
		return fmt.Errorf("%d blocks: %w", blocks, ErrTooManyElements)
	}
	if err := checkBits(s.OriginBits, blocks, "origin_bits"); err != nil {
		return err
	}
	var total uint64
	for _, c := range s.BlockTxCounts {
		if c > MaxSpanBatchElementCount {
			return fmt.Errorf("block tx count %d: %w", c, ErrTooManyElements)
		}
		total += c
	}
	if total > MaxSpanBatchElementCount {
		return fmt.Errorf("%d txs: %w", total, ErrTooManyElements)
	}
	n := int(total)
	t := &s.Txs
	if err := checkBits(t.ContractCreationBits, n, "contract_creation_bits"); err != nil {
		return err
	}
	if err := checkBits(t.YParityBits, n, "y_parity_bits"); err != nil {
		return err
	}
	if len(t.Sigs) != n || len(t.Datas) != n || len(t.Nonces) != n || len(t.Gases) != n {
		return fmt.Errorf("%w: %d txs but %d sigs, %d datas, %d nonces, %d gases",
			ErrInconsistent, n, len(t.Sigs), len(t.Datas), len(t.Nonces), len(t.Gases))
	}
	if want := n - t.ContractCreationBits.Count(); len(t.Tos) != want {
		return fmt.Errorf("%w: %d tos for %d non-creation txs", ErrInconsistent, len(t.Tos), want)
	}
	legacy := 0
	for i, d := range t.Datas {
		end, typ, err := splitTxData(d, 0)
		if err != nil {
			return fmt.Errorf("tx_datas[%d]: %w", i, err)
		}
		if end != len(d) {
			return fmt.Errorf("%w: tx_datas[%d] has %d trailing bytes", ErrInconsistent, i, len(d)-end)
		}
		if typ == legacyTxType {
			legacy++
		}
	}
	return checkBits(t.ProtectedBits, legacy, "protected_bits")
}

func checkBits(b Bits, n int, what string) error {
	if b.n != n || len(b.b) != bitsBytes(n) {
		return fmt.Errorf("%w: %s has %d bits, want %d", ErrInconsistent, what, b.n, n)
	}
	if pad := n % 8; pad != 0 && b.b[0]>>pad != 0 {
		return fmt.Errorf("%s: %w: padding bits set", what, ErrInvalidBits)
	}
	return nil
}
