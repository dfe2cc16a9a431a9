package batch

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// This file is the fast path of Derive for legacy, access list and dynamic
// fee transactions. Going through types.Transaction costs a decode into
// fresh big.Ints and slices, a deep copy in types.NewTx and a reflective
// encode, which made rebuilding transactions cost as much as inflating the
// channel. Instead, the tx_data items (value, fees, data, access list) are
// checked with exactly the rules go-ethereum's decoder applies to the field
// types buildTx uses, and then copied verbatim: a canonical item decodes and
// re-encodes to the same bytes, so the output is byte-identical to buildTx,
// which the tests and FuzzDeriveFastPath check.

// maxTxOverhead bounds what a signed transaction adds to its tx_data: type
// byte and list header (10), chain id (33), nonce and gas (9 each), to (21),
// v (34), r and s (33 each).
const maxTxOverhead = 10 + 33 + 9 + 9 + 21 + 34 + 33 + 33

// txEncoder holds the per-chain encodings that every transaction repeats.
type txEncoder struct {
	chainID     []byte    // RLP of the chain id
	protectedV  [2][]byte // RLP of 2*chainID+35+y for y = 0, 1
	typedV      [2][]byte // RLP of y for typed transactions
	unprotected [2][]byte // RLP of 27+y
}

func newTxEncoder(chainID *big.Int) *txEncoder {
	e := &txEncoder{
		chainID:     appendBigInt(nil, chainID.Bytes()),
		typedV:      [2][]byte{{0x80}, {0x01}},
		unprotected: [2][]byte{{27}, {28}},
	}
	for y := range 2 {
		v := new(big.Int).Lsh(chainID, 1)
		v.Add(v, big.NewInt(int64(35+y)))
		e.protectedV[y] = appendBigInt(nil, v.Bytes())
	}
	return e
}

// appendTx appends the signed encoding of a legacy, access list or dynamic
// fee transaction to buf.
func (e *txEncoder) appendTx(buf, data []byte, f *txFields) ([]byte, error) {
	var (
		typ   byte
		items []byte // value, fee(s), data, [access list]: the tx_data list content
		err   error
	)
	switch data[0] {
	case types.AccessListTxType, types.DynamicFeeTxType:
		typ = data[0]
		items, err = checkTypedTxData(data[1:], typ)
	default:
		if data[0] < 0xC0 {
			return nil, fmt.Errorf("%w: %d", ErrUnsupportedTxType, data[0])
		}
		items, err = checkLegacyTxData(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTxData, err)
	}

	var sigBuf [2 * 33]byte
	sig := appendBigInt(sigBuf[:0], trimZeros(f.sig.R[:]))
	sig = appendBigInt(sig, trimZeros(f.sig.S[:]))
	var nonceBuf, gasBuf [9]byte
	nonce := appendUint(nonceBuf[:0], f.nonce)
	gas := appendUint(gasBuf[:0], f.gas)
	var toBuf [1 + common.AddressLength]byte
	to := toBuf[:1]
	to[0] = 0x80 // empty string: contract creation
	if f.to != nil {
		to[0] += common.AddressLength
		to = append(to, f.to[:]...)
	}

	// Field order per type, with the tx_data items split where the
	// transaction puts gas and to between them:
	//   legacy: nonce, gasPrice, gas, to, value, data, v, r, s
	//   1:      chainId, nonce, gasPrice, gas, to, value, data, accessList, v, r, s
	//   2:      chainId, nonce, tip, feeCap, gas, to, value, data, accessList, v, r, s
	// In tx_data the order is value, fee(s), data, [accessList], so the
	// value item is moved behind the fees.
	value, rest, _ := splitItem(items)
	fees := rest
	nFees := 1
	if typ == types.DynamicFeeTxType {
		nFees = 2
	}
	for range nFees {
		_, rest, _ = splitItem(rest)
	}
	fees = fees[:len(fees)-len(rest)]
	tail := rest // data, [accessList]

	var v []byte
	switch {
	case typ != 0:
		v = e.typedV[f.y]
	case f.protected:
		v = e.protectedV[f.y]
	default:
		v = e.unprotected[f.y]
	}

	size := len(nonce) + len(fees) + len(gas) + len(to) + len(value) + len(tail) + len(v) + len(sig)
	if typ != 0 {
		size += len(e.chainID)
		buf = append(buf, typ)
	}
	buf = appendListHeader(buf, size)
	if typ != 0 {
		buf = append(buf, e.chainID...)
	}
	buf = append(buf, nonce...)
	buf = append(buf, fees...)
	buf = append(buf, gas...)
	buf = append(buf, to...)
	buf = append(buf, value...)
	buf = append(buf, tail...)
	buf = append(buf, v...)
	buf = append(buf, sig...)
	return buf, nil
}

// checkLegacyTxData checks rlp([value, gasPrice, data]) and returns the list content.
func checkLegacyTxData(b []byte) ([]byte, error) {
	content, err := wholeList(b)
	if err != nil {
		return nil, err
	}
	rest := content
	for _, check := range []func([]byte) ([]byte, error){checkBigInt, checkBigInt, checkBytes} {
		if rest, err = check(rest); err != nil {
			return nil, err
		}
	}
	if len(rest) != 0 {
		return nil, errTooManyElements
	}
	return content, nil
}

// checkTypedTxData checks rlp([value, gasPrice, data, accessList]) (type 1)
// or rlp([value, tip, feeCap, data, accessList]) (type 2).
func checkTypedTxData(b []byte, typ byte) ([]byte, error) {
	content, err := wholeList(b)
	if err != nil {
		return nil, err
	}
	checks := []func([]byte) ([]byte, error){checkBigInt, checkBigInt, checkBytes, checkAccessList}
	if typ == types.DynamicFeeTxType {
		checks = []func([]byte) ([]byte, error){checkBigInt, checkBigInt, checkBigInt, checkBytes, checkAccessList}
	}
	rest := content
	for _, check := range checks {
		if rest, err = check(rest); err != nil {
			return nil, err
		}
	}
	if len(rest) != 0 {
		return nil, errTooManyElements
	}
	return content, nil
}

var (
	errTooFewElements  = errors.New("rlp: too few elements")
	errTooManyElements = errors.New("rlp: too many elements")
)

// wholeList returns the content of the list that must fill b exactly, as
// rlp.DecodeBytes requires.
func wholeList(b []byte) ([]byte, error) {
	content, rest, err := rlp.SplitList(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, rlp.ErrMoreThanOneValue
	}
	return content, nil
}

// splitItem splits off the first item of a list's content, header included.
func splitItem(b []byte) (item, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errTooFewElements
	}
	_, _, rest, err = rlp.Split(b)
	if err != nil {
		return nil, nil, err
	}
	return b[:len(b)-len(rest)], rest, nil
}

// checkBigInt accepts what decoding into *big.Int accepts: a string without
// leading zero bytes (a lone 0x00 byte is a non-canonical zero).
func checkBigInt(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errTooFewElements
	}
	kind, content, rest, err := rlp.Split(b)
	switch {
	case err != nil:
		return nil, err
	case kind == rlp.List:
		return nil, rlp.ErrExpectedString
	case len(content) > 0 && content[0] == 0:
		return nil, rlp.ErrCanonInt
	}
	return rest, nil
}

// checkBytes accepts what decoding into []byte accepts: any string.
// rlp.Split already rejects a one-byte string that should encode itself.
func checkBytes(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errTooFewElements
	}
	kind, _, rest, err := rlp.Split(b)
	if err != nil {
		return nil, err
	}
	if kind == rlp.List {
		return nil, rlp.ErrExpectedString
	}
	return rest, nil
}

// checkFixed accepts a string of exactly n (> 1) bytes, as decoding into a
// byte array of that size does.
func checkFixed(b []byte, n int) ([]byte, error) {
	if len(b) == 0 {
		return nil, errTooFewElements
	}
	kind, content, rest, err := rlp.Split(b)
	if err != nil {
		return nil, err
	}
	if kind != rlp.String || len(content) != n {
		return nil, fmt.Errorf("rlp: want a %d-byte string", n)
	}
	return rest, nil
}

// checkAccessList accepts a list of [address, [storage key, ...]] tuples.
func checkAccessList(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errTooFewElements
	}
	tuples, rest, err := rlp.SplitList(b)
	if err != nil {
		return nil, err
	}
	for len(tuples) > 0 {
		var tuple []byte
		if tuple, tuples, err = rlp.SplitList(tuples); err != nil {
			return nil, err
		}
		if tuple, err = checkFixed(tuple, common.AddressLength); err != nil {
			return nil, err
		}
		if len(tuple) == 0 {
			return nil, errTooFewElements
		}
		keys, after, err := rlp.SplitList(tuple)
		if err != nil {
			return nil, err
		}
		if len(after) != 0 {
			return nil, errTooManyElements
		}
		for len(keys) > 0 {
			if keys, err = checkFixed(keys, common.HashLength); err != nil {
				return nil, err
			}
		}
	}
	return rest, nil
}

// appendUint appends the RLP encoding of x.
func appendUint(dst []byte, x uint64) []byte {
	return rlp.AppendUint64(dst, x)
}

// appendBigInt appends the RLP encoding of the integer with big-endian
// bytes b, which have no leading zeros.
func appendBigInt(dst, b []byte) []byte {
	switch {
	case len(b) == 0:
		return append(dst, 0x80)
	case len(b) == 1 && b[0] < 0x80:
		return append(dst, b[0])
	case len(b) < 56:
		dst = append(dst, 0x80+byte(len(b)))
	default:
		dst = appendLongHeader(dst, 0xB7, len(b))
	}
	return append(dst, b...)
}

func appendListHeader(dst []byte, size int) []byte {
	if size < 56 {
		return append(dst, 0xC0+byte(size))
	}
	return appendLongHeader(dst, 0xF7, size)
}

func appendLongHeader(dst []byte, base byte, size int) []byte {
	var be [8]byte
	i := len(be)
	for v := uint64(size); v > 0; v >>= 8 {
		i--
		be[i] = byte(v)
	}
	dst = append(dst, base+byte(len(be)-i))
	return append(dst, be[i:]...)
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
