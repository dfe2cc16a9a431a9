package l1source

import (
	"context"
	"testing"
)

// rpc_kind offers op-node's receipt methods per provider and picks among
// them as op-node does (whole-block methods on per-method-billed providers
// only for blocks with enough transactions).
func TestReceiptMethodsByKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind          string
		small, large  receiptMethod // the pick for a block of 2 and of 100 transactions
		withoutBlocks receiptMethod // the pick once every whole-block method is missing
	}{
		{"standard", ethBlockReceipts, ethBlockReceipts, perTxReceipts},
		{"basic", perTxReceipts, perTxReceipts, perTxReceipts},
		{"infura", perTxReceipts, perTxReceipts, perTxReceipts},
		{"alchemy", perTxReceipts, alchemyReceipts, perTxReceipts},
		{"quicknode", debugRawReceipts, debugRawReceipts, perTxReceipts},
		{"debug_geth", debugRawReceipts, debugRawReceipts, perTxReceipts},
		{"parity", parityReceipts, parityReceipts, perTxReceipts},
		{"nethermind", parityReceipts, parityReceipts, perTxReceipts},
		{"erigon", ethBlockReceipts, ethBlockReceipts, perTxReceipts},
		{"any", alchemyReceipts, alchemyReceipts, perTxReceipts},
	}
	for _, tc := range cases {
		avail, ok := receiptMethods(tc.kind)
		if !ok || avail&perTxReceipts == 0 {
			t.Fatalf("%s: methods %v", tc.kind, avail)
		}
		if got := pickReceiptMethod(tc.kind, avail, 2); got != tc.small {
			t.Errorf("%s, 2 txs: %v, want %v", tc.kind, got, tc.small)
		}
		if got := pickReceiptMethod(tc.kind, avail, 100); got != tc.large {
			t.Errorf("%s, 100 txs: %v, want %v", tc.kind, got, tc.large)
		}
		if got := pickReceiptMethod(tc.kind, perTxReceipts, 100); got != tc.withoutBlocks {
			t.Errorf("%s without whole-block methods: %v", tc.kind, got)
		}
	}
	// Alchemy's thresholds: alchemy_getTransactionReceipts past 16
	// transactions, eth_getBlockReceipts (without it) past 33.
	a := ethBlockReceipts | perTxReceipts
	if pickReceiptMethod("alchemy", a, 33) != perTxReceipts || pickReceiptMethod("alchemy", a, 34) != ethBlockReceipts {
		t.Error("alchemy's eth_getBlockReceipts threshold")
	}
	if pickReceiptMethod("alchemy", alchemyReceipts|a, 16) != perTxReceipts || pickReceiptMethod("alchemy", alchemyReceipts|a, 17) != alchemyReceipts {
		t.Error("alchemy's alchemy_getTransactionReceipts threshold")
	}
	if _, ok := receiptMethods("fancy"); ok {
		t.Error("an unknown kind accepted")
	}
}

// Against a real geth, which serves eth_getBlockReceipts and
// debug_getRawReceipts and none of the providers' own methods: each kind
// reads the same verified receipts with the methods it should, and a
// method geth lacks is asked once, then the next one is used.
func TestRPCKindsAgainstGeth(t *testing.T) {
	l1 := shared(t)
	blockMethods := []string{"eth_getBlockReceipts", "debug_getRawReceipts", "alchemy_getTransactionReceipts", "parity_getBlockReceipts", "erigon_getBlockReceiptsByBlockHash"}
	cases := []struct {
		kind  string
		asked map[string]bool // the whole-block methods that must be asked (others must not)
		once  []string        // those asked exactly once (missing in geth)
		perTx bool            // receipts come per transaction
	}{
		{"standard", map[string]bool{"eth_getBlockReceipts": true}, nil, false},
		{"basic", nil, nil, true},
		{"infura", nil, nil, true},
		{"debug_geth", map[string]bool{"debug_getRawReceipts": true}, nil, false},
		{"quicknode", map[string]bool{"debug_getRawReceipts": true}, nil, false},
		{"parity", map[string]bool{"parity_getBlockReceipts": true}, []string{"parity_getBlockReceipts"}, true},
		{"nethermind", map[string]bool{"parity_getBlockReceipts": true}, []string{"parity_getBlockReceipts"}, true},
		{"erigon", map[string]bool{"eth_getBlockReceipts": true}, nil, false},
		{"alchemy", nil, nil, true}, // small blocks: per transaction is cheaper
		{"any", map[string]bool{"alchemy_getTransactionReceipts": true, "debug_getRawReceipts": true}, []string{"alchemy_getTransactionReceipts"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			p := newProxy(t, l1.HTTP)
			src := configured(t, map[string]any{"rpc": p.srv.URL, "rpc_kind": tc.kind, "cache_bytes": 0})
			for _, n := range []uint64{3, 6, 9, 10} {
				data, err := src.BlockData(context.Background(), request(n))
				if err != nil {
					t.Fatal(err)
				}
				checkData(t, l1, data, request(n))
			}
			for _, m := range blockMethods {
				if got := p.count(m); (got > 0) != tc.asked[m] {
					t.Errorf("%s asked %d times", m, got)
				}
			}
			for _, m := range tc.once {
				if got := p.count(m); got != 1 {
					t.Errorf("%s (missing in geth) asked %d times, want once", m, got)
				}
			}
			if got := p.count("") + p.count("eth_getTransactionReceipt"); (got > 0) != tc.perTx {
				t.Errorf("%d per-transaction requests", got)
			}
		})
	}
}
