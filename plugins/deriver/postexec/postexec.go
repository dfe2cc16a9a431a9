// Package postexec decodes and checks the SDM post-exec transaction (type
// 0x7D), active from Lagoon: a sequencer-written list of gas refunds for the
// transactions of its block, executed after them.
//
//	tx      = 0x7D ‖ rlp([version, blockNumber, [[index, gasRefund], ...]])
//
// It has no signer (the sender is the zero address), and the execution layer
// checks the index bounds and refund ceilings; derivation checks the shape
// (CheckBlock), as op-node and kona do before a batch is accepted.
package postexec

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"
)

// TxType is the EIP-2718 type of a post-exec transaction.
const TxType = 0x7D

// Version is the only payload version.
const Version = 1

// MaxEntries bounds the refund entries of one payload.
const MaxEntries = 8192

// Entry refunds GasRefund gas to the transaction at Index in the block.
type Entry struct {
	Index     uint64
	GasRefund uint64
}

// Payload is the content of a post-exec transaction.
type Payload struct {
	Version     uint64
	BlockNumber uint64
	Entries     []Entry
}

var (
	// ErrNotPostExec is returned for bytes that do not start with TxType.
	ErrNotPostExec = errors.New("not a post-exec transaction")
	// ErrMalformed is returned for a payload that does not decode strictly.
	ErrMalformed = errors.New("malformed post-exec payload")
)

// Decode reads a post-exec transaction strictly: the type byte, one RLP list
// of exactly three items with canonical integers, nothing after it, version
// 1, at most MaxEntries entries of exactly two integers each.
func Decode(tx []byte) (*Payload, error) {
	if len(tx) == 0 || tx[0] != TxType {
		return nil, ErrNotPostExec
	}
	body := tx[1:]
	// Count the entries before decoding them, so an oversized list is
	// refused without building it.
	if err := checkEntryCount(body); err != nil {
		return nil, err
	}
	var p Payload
	// rlp.DecodeBytes refuses trailing bytes, extra or missing list items
	// and non-canonical integers.
	if err := rlp.DecodeBytes(body, &p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if p.Version != Version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrMalformed, p.Version, Version)
	}
	return &p, nil
}

func checkEntryCount(body []byte) error {
	outer, _, err := rlp.SplitList(body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	// Skip version and block number; the third item is the entry list.
	rest := outer
	for range 2 {
		if _, _, rest, err = rlp.Split(rest); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	entries, _, err := rlp.SplitList(rest)
	if err != nil {
		return fmt.Errorf("%w: entries: %w", ErrMalformed, err)
	}
	n, err := rlp.CountValues(entries)
	if err != nil {
		return fmt.Errorf("%w: entries: %w", ErrMalformed, err)
	}
	if n > MaxEntries {
		return fmt.Errorf("%w: %d entries, at most %d", ErrMalformed, n, MaxEntries)
	}
	return nil
}

// Encode writes p as a post-exec transaction.
func Encode(p *Payload) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte(TxType)
	if err := rlp.Encode(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CheckBlock applies the batch rules for post-exec transactions to the
// transactions of the L2 block number, after Lagoon, in kona's order
// (check_post_exec_txs; op-node's Go code gates only the type, these rules
// come with the later SDM batch checks): at most one; it decodes strictly;
// its block number is the block's; no entry refunds zero gas and no index
// repeats; and, checked last so that "more than one" wins, it is the last
// transaction. It returns the index of the offending transaction and the
// reason, or "" when the block passes.
func CheckBlock(txs [][]byte, number uint64) (int, string) {
	found := -1
	for i, tx := range txs {
		if len(tx) == 0 || tx[0] != TxType {
			continue
		}
		if found >= 0 {
			return i, fmt.Sprintf("more than one post-exec transaction (first at %d)", found)
		}
		found = i
		p, err := Decode(tx)
		if err != nil {
			return i, err.Error()
		}
		if p.BlockNumber != number {
			return i, fmt.Sprintf("post-exec transaction for block %d in block %d", p.BlockNumber, number)
		}
		seen := make(map[uint64]struct{}, len(p.Entries))
		for _, e := range p.Entries {
			if e.GasRefund == 0 {
				return i, fmt.Sprintf("post-exec entry for tx %d refunds zero gas", e.Index)
			}
			if _, dup := seen[e.Index]; dup {
				return i, fmt.Sprintf("post-exec entries repeat tx index %d", e.Index)
			}
			seen[e.Index] = struct{}{}
		}
	}
	if found >= 0 && found != len(txs)-1 {
		return found, "post-exec transaction is not the last transaction"
	}
	return 0, ""
}
