// Package ab is A/B derivation: a second ("shadow") deriver runs next to
// the primary on the same inputs, and every L2 block where the attributes
// they derive differ is a divergence. This file is the comparison, shared
// by the running node's shadow mode and offline replay.
package ab

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/sdk/eth"
)

// FieldDiff is one attribute field whose values differ.
type FieldDiff struct {
	// Field names the attribute field: "timestamp", "transactions[3]",
	// "transactions.count", "gas_limit", "eip1559_params", ...
	Field string `json:"field"`
	// A and B are the two values, as text (hex for bytes, decimal for
	// numbers, "absent" for a nil field). Long values are cut.
	A string `json:"a"`
	B string `json:"b"`
}

// maxValue bounds a value kept as text: a transaction can be 128 KiB.
const maxValue = 200

// Compare lists every field where a and b differ, in a fixed order:
// timestamp, the transactions one by one, then the block-building fields.
// Equal attributes give nil.
func Compare(a, b *eth.PayloadAttributes) []FieldDiff {
	if a == nil || b == nil {
		if a == b {
			return nil
		}
		return []FieldDiff{{Field: "attributes", A: presence(a != nil), B: presence(b != nil)}}
	}
	var d []FieldDiff
	add := func(field, x, y string) {
		if x != y {
			d = append(d, FieldDiff{Field: field, A: cut(x), B: cut(y)})
		}
	}
	add("timestamp", u64(a.Timestamp), u64(b.Timestamp))
	n := max(len(a.Transactions), len(b.Transactions))
	for i := 0; i < n; i++ {
		var x, y []byte
		inA, inB := i < len(a.Transactions), i < len(b.Transactions)
		if inA {
			x = a.Transactions[i]
		}
		if inB {
			y = b.Transactions[i]
		}
		// An empty transaction on one side is not an absent one.
		if inA != inB || !bytes.Equal(x, y) {
			d = append(d, FieldDiff{Field: "transactions[" + strconv.Itoa(i) + "]", A: cut(txText(x, inA)), B: cut(txText(y, inB))})
		}
	}
	add("transactions.count", strconv.Itoa(len(a.Transactions)), strconv.Itoa(len(b.Transactions)))
	add("gas_limit", optU64(a.GasLimit), optU64(b.GasLimit))
	add("suggested_fee_recipient", a.SuggestedFeeRecipient.Hex(), b.SuggestedFeeRecipient.Hex())
	add("prev_randao", a.PrevRandao.Hex(), b.PrevRandao.Hex())
	add("eip1559_params", optBytes8(a.EIP1559Params), optBytes8(b.EIP1559Params))
	add("min_base_fee", optU64(a.MinBaseFee), optU64(b.MinBaseFee))
	add("no_tx_pool", strconv.FormatBool(a.NoTxPool), strconv.FormatBool(b.NoTxPool))
	add("withdrawals", withdrawals(a.Withdrawals), withdrawals(b.Withdrawals))
	pa, pb := "absent", "absent"
	if a.ParentBeaconBlockRoot != nil {
		pa = a.ParentBeaconBlockRoot.Hex()
	}
	if b.ParentBeaconBlockRoot != nil {
		pb = b.ParentBeaconBlockRoot.Hex()
	}
	add("parent_beacon_block_root", pa, pb)
	return d
}

func presence(ok bool) string {
	if ok {
		return "present"
	}
	return "absent"
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func optU64(v *uint64) string {
	if v == nil {
		return "absent"
	}
	return u64(*v)
}

func optBytes8(v *eth.Bytes8) string {
	if v == nil {
		return "absent"
	}
	return hexutil.Encode(v[:])
}

// txText is a transaction as text: its hash and type, which is what a
// reader compares first, then the encoding.
func txText(tx []byte, present bool) string {
	if !present {
		return "absent"
	}
	var t types.Transaction
	if err := t.UnmarshalBinary(tx); err == nil {
		return fmt.Sprintf("%s (type %d, %d bytes)", t.Hash().Hex(), t.Type(), len(tx))
	}
	return hexutil.Encode(tx)
}

func withdrawals(w []*types.Withdrawal) string {
	if w == nil {
		return "absent"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d", len(w))
	for _, x := range w {
		fmt.Fprintf(&b, " (%d %d %s %d)", x.Index, x.Validator, x.Address.Hex(), x.Amount)
	}
	return b.String()
}

func cut(s string) string {
	if len(s) <= maxValue {
		return s
	}
	return s[:maxValue] + "…"
}
