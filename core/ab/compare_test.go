package ab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/eth"
)

// signedTx returns a signed dynamic-fee transaction, EIP-2718 encoded,
// and its text as Compare shows it.
func signedTx(t *testing.T, nonce uint64) ([]byte, string) {
	t.Helper()
	key, err := crypto.HexToECDSA("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291")
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	chainID := big.NewInt(10)
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2),
		Gas: 21000, To: &to, Value: big.NewInt(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return raw, fmt.Sprintf("%s (type %d, %d bytes)", tx.Hash().Hex(), types.DynamicFeeTxType, len(raw))
}

// unsignedLegacyTx is a legacy transaction with no signature: it still
// decodes, so it is shown by its hash too.
func unsignedLegacyTx(t *testing.T) ([]byte, string) {
	t.Helper()
	tx := types.NewTx(&types.LegacyTx{Nonce: 7, GasPrice: big.NewInt(1), Gas: 21000, Value: big.NewInt(0)})
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return raw, fmt.Sprintf("%s (type %d, %d bytes)", tx.Hash().Hex(), types.LegacyTxType, len(raw))
}

func u64p(v uint64) *uint64 { return &v }

func TestCompare(t *testing.T) {
	tx0, tx0Text := signedTx(t, 0)
	tx1, tx1Text := signedTx(t, 1)
	legacy, legacyText := unsignedLegacyTx(t)
	root := common.HexToHash("0x1111111111111111111111111111111111111111111111111111111111111111")
	w := &types.Withdrawal{Index: 1, Validator: 2, Address: common.HexToAddress("0x0000000000000000000000000000000000000003"), Amount: 4}

	// base returns fresh attributes (Canyon-style empty withdrawals, a
	// beacon root) that each case changes on one side.
	base := func() *eth.PayloadAttributes {
		r := root
		return &eth.PayloadAttributes{
			Timestamp: 1000, Transactions: [][]byte{tx0}, GasLimit: u64p(30_000_000),
			Withdrawals: []*types.Withdrawal{}, ParentBeaconBlockRoot: &r,
		}
	}
	with := func(f func(a *eth.PayloadAttributes)) *eth.PayloadAttributes {
		a := base()
		f(a)
		return a
	}

	garbage := bytes.Repeat([]byte{0xab}, 300) // does not decode as a transaction
	longHex := "0x" + strings.Repeat("ab", 300)

	tests := []struct {
		name string
		a, b *eth.PayloadAttributes
		want []FieldDiff
	}{
		{name: "equal", a: base(), b: base()},
		{name: "nil vs nil"},
		{name: "nil vs attributes", b: base(), want: []FieldDiff{{Field: "attributes", A: "absent", B: "present"}}},
		{name: "attributes vs nil", a: base(), want: []FieldDiff{{Field: "attributes", A: "present", B: "absent"}}},
		{
			name: "timestamp", a: base(), b: with(func(a *eth.PayloadAttributes) { a.Timestamp = 1002 }),
			want: []FieldDiff{{Field: "timestamp", A: "1000", B: "1002"}},
		},
		{
			name: "one tx differs", a: with(func(a *eth.PayloadAttributes) { a.Transactions = [][]byte{tx0, tx1} }),
			b:    with(func(a *eth.PayloadAttributes) { a.Transactions = [][]byte{tx0, legacy} }),
			want: []FieldDiff{{Field: "transactions[1]", A: tx1Text, B: legacyText}},
		},
		{
			name: "tx that does not decode is hex", a: base(),
			b:    with(func(a *eth.PayloadAttributes) { a.Transactions = [][]byte{{0x7e, 0x01}} }),
			want: []FieldDiff{{Field: "transactions[0]", A: tx0Text, B: "0x7e01"}},
		},
		{
			name: "extra tx on B", a: base(),
			b: with(func(a *eth.PayloadAttributes) { a.Transactions = [][]byte{tx0, tx1} }),
			want: []FieldDiff{
				{Field: "transactions[1]", A: "absent", B: tx1Text},
				{Field: "transactions.count", A: "1", B: "2"},
			},
		},
		{
			name: "extra tx on A", a: with(func(a *eth.PayloadAttributes) { a.Transactions = [][]byte{tx0, tx1} }),
			b: base(),
			want: []FieldDiff{
				{Field: "transactions[1]", A: tx1Text, B: "absent"},
				{Field: "transactions.count", A: "2", B: "1"},
			},
		},
		{
			name: "empty tx vs none", a: with(func(a *eth.PayloadAttributes) { a.Transactions = [][]byte{tx0, {}} }),
			b: base(),
			want: []FieldDiff{
				{Field: "transactions[1]", A: "0x", B: "absent"},
				{Field: "transactions.count", A: "2", B: "1"},
			},
		},
		{
			name: "gas_limit nil vs set", a: with(func(a *eth.PayloadAttributes) { a.GasLimit = nil }), b: base(),
			want: []FieldDiff{{Field: "gas_limit", A: "absent", B: "30000000"}},
		},
		{
			name: "gas_limit values", a: base(), b: with(func(a *eth.PayloadAttributes) { a.GasLimit = u64p(60_000_000) }),
			want: []FieldDiff{{Field: "gas_limit", A: "30000000", B: "60000000"}},
		},
		{
			name: "eip1559_params nil vs set", a: base(),
			b:    with(func(a *eth.PayloadAttributes) { a.EIP1559Params = &eth.Bytes8{0, 0, 0, 250, 0, 0, 0, 6} }),
			want: []FieldDiff{{Field: "eip1559_params", A: "absent", B: "0x000000fa00000006"}},
		},
		{
			name: "eip1559_params values", a: with(func(a *eth.PayloadAttributes) { a.EIP1559Params = &eth.Bytes8{} }),
			b:    with(func(a *eth.PayloadAttributes) { a.EIP1559Params = &eth.Bytes8{0, 0, 0, 250, 0, 0, 0, 6} }),
			want: []FieldDiff{{Field: "eip1559_params", A: "0x0000000000000000", B: "0x000000fa00000006"}},
		},
		{
			name: "min_base_fee", a: with(func(a *eth.PayloadAttributes) { a.MinBaseFee = u64p(0) }),
			b:    with(func(a *eth.PayloadAttributes) { a.MinBaseFee = u64p(1_000_000) }),
			want: []FieldDiff{{Field: "min_base_fee", A: "0", B: "1000000"}},
		},
		{
			name: "min_base_fee nil vs zero", a: base(), b: with(func(a *eth.PayloadAttributes) { a.MinBaseFee = u64p(0) }),
			want: []FieldDiff{{Field: "min_base_fee", A: "absent", B: "0"}},
		},
		{
			name: "no_tx_pool", a: base(), b: with(func(a *eth.PayloadAttributes) { a.NoTxPool = true }),
			want: []FieldDiff{{Field: "no_tx_pool", A: "false", B: "true"}},
		},
		{
			name: "withdrawals nil vs empty", a: with(func(a *eth.PayloadAttributes) { a.Withdrawals = nil }), b: base(),
			want: []FieldDiff{{Field: "withdrawals", A: "absent", B: "0"}},
		},
		{
			name: "withdrawals empty vs one", a: base(),
			b:    with(func(a *eth.PayloadAttributes) { a.Withdrawals = []*types.Withdrawal{w} }),
			want: []FieldDiff{{Field: "withdrawals", A: "0", B: "1 (1 2 0x0000000000000000000000000000000000000003 4)"}},
		},
		{
			name: "withdrawals equal", a: with(func(a *eth.PayloadAttributes) { a.Withdrawals = []*types.Withdrawal{w} }),
			b: with(func(a *eth.PayloadAttributes) {
				cp := *w
				a.Withdrawals = []*types.Withdrawal{&cp}
			}),
		},
		{
			name: "parent_beacon_block_root absent vs set", a: with(func(a *eth.PayloadAttributes) { a.ParentBeaconBlockRoot = nil }),
			b:    base(),
			want: []FieldDiff{{Field: "parent_beacon_block_root", A: "absent", B: root.Hex()}},
		},
		{
			name: "suggested_fee_recipient and prev_randao", a: base(),
			b: with(func(a *eth.PayloadAttributes) {
				a.SuggestedFeeRecipient = common.HexToAddress("0x4200000000000000000000000000000000000011")
				a.PrevRandao = root
			}),
			want: []FieldDiff{
				{Field: "suggested_fee_recipient", A: common.Address{}.Hex(), B: "0x4200000000000000000000000000000000000011"},
				{Field: "prev_randao", A: common.Hash{}.Hex(), B: root.Hex()},
			},
		},
		{
			name: "long values are cut", a: base(),
			b:    with(func(a *eth.PayloadAttributes) { a.Transactions = [][]byte{garbage} }),
			want: []FieldDiff{{Field: "transactions[0]", A: tx0Text, B: longHex[:maxValue] + "…"}},
		},
		{
			// Everything differs: timestamp first, then the transactions one
			// by one and their count, then the block-building fields in a
			// fixed order.
			name: "order of fields",
			a: &eth.PayloadAttributes{
				Timestamp: 1, Transactions: [][]byte{tx0, tx1},
			},
			b: &eth.PayloadAttributes{
				Timestamp: 2, Transactions: [][]byte{legacy}, GasLimit: u64p(1),
				SuggestedFeeRecipient: common.HexToAddress("0x01"), PrevRandao: root,
				EIP1559Params: &eth.Bytes8{1}, MinBaseFee: u64p(5), NoTxPool: true,
				Withdrawals: []*types.Withdrawal{}, ParentBeaconBlockRoot: &root,
			},
			want: []FieldDiff{
				{Field: "timestamp", A: "1", B: "2"},
				{Field: "transactions[0]", A: tx0Text, B: legacyText},
				{Field: "transactions[1]", A: tx1Text, B: "absent"},
				{Field: "transactions.count", A: "2", B: "1"},
				{Field: "gas_limit", A: "absent", B: "1"},
				{Field: "suggested_fee_recipient", A: common.Address{}.Hex(), B: common.HexToAddress("0x01").Hex()},
				{Field: "prev_randao", A: common.Hash{}.Hex(), B: root.Hex()},
				{Field: "eip1559_params", A: "absent", B: "0x0100000000000000"},
				{Field: "min_base_fee", A: "absent", B: "5"},
				{Field: "no_tx_pool", A: "false", B: "true"},
				{Field: "withdrawals", A: "absent", B: "0"},
				{Field: "parent_beacon_block_root", A: "absent", B: root.Hex()},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Compare(tc.a, tc.b)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Compare:\n got %s\nwant %s", js(got), js(tc.want))
			}
			// Swapping the sides swaps the values and keeps the fields.
			back := Compare(tc.b, tc.a)
			if len(back) != len(got) {
				t.Fatalf("Compare(b, a) gives %d diffs, Compare(a, b) %d", len(back), len(got))
			}
			for i := range back {
				if back[i].Field != got[i].Field || back[i].A != got[i].B || back[i].B != got[i].A {
					t.Fatalf("Compare(b, a)[%d] = %+v, want the mirror of %+v", i, back[i], got[i])
				}
			}
		})
	}
}

func TestCompareDoesNotModify(t *testing.T) {
	tx0, _ := signedTx(t, 0)
	a := &eth.PayloadAttributes{Timestamp: 1, Transactions: [][]byte{tx0}}
	b := &eth.PayloadAttributes{Timestamp: 2}
	before := js(a)
	Compare(a, b)
	if js(a) != before {
		t.Fatal("Compare changed its input")
	}
}

func js(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestNewDivergence(t *testing.T) {
	parent := eth.L2BlockRef{Hash: common.HexToHash("0xaa"), Number: 41, Time: 100}
	from := eth.L1BlockRef{Hash: common.HexToHash("0xbb"), Number: 9}
	diffs := []FieldDiff{{Field: "timestamp", A: "102", B: "104"}, {Field: "no_tx_pool", A: "false", B: "true"}}
	d := NewDivergence(parent, 102, from, diffs)
	want := Divergence{
		Kind: KindDivergence, L2Block: 42, Parent: parent.ID(), Timestamp: 102,
		DerivedFrom: from.ID(), Field: "timestamp", Fields: diffs,
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("NewDivergence:\n got %s\nwant %s", js(d), js(want))
	}
}

func TestReadReportRoundTrip(t *testing.T) {
	open := Run{Kind: KindRun, Primary: "default 1.0.0", Shadow: "variant 0.1.0"}
	d1 := NewDivergence(eth.L2BlockRef{Hash: common.HexToHash("0x01"), Number: 3}, 1006, eth.L1BlockRef{Hash: common.HexToHash("0x02"), Number: 7},
		[]FieldDiff{{Field: "transactions[0]", A: "0xaa", B: "0xbb"}, {Field: "transactions.count", A: "2", B: "1"}})
	d2 := NewDivergence(eth.L2BlockRef{Hash: common.HexToHash("0x03"), Number: 4}, 1008, eth.L1BlockRef{Hash: common.HexToHash("0x04"), Number: 8},
		[]FieldDiff{{Field: "timestamp", A: "1008", B: "1010"}})
	final := open
	final.FirstL2, final.LastL2, final.Compared, final.Diverged = 1, 600, 600, 2

	// Written as replay writes it, with a line of a kind this reader does
	// not know and a blank line in between.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, v := range []any{open, d1} {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	buf.WriteString(`{"kind":"checkpoint","l2_block":4,"extra":[1,2,3]}` + "\n\n")
	for _, v := range []any{d2, final} {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := &Report{Runs: []Run{open, final}, Divergences: []Divergence{d1, d2}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("ReadReport:\n got %s\nwant %s", js(r), js(want))
	}
}

func TestReadReportEmpty(t *testing.T) {
	r, err := ReadReport(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Runs) != 0 || len(r.Divergences) != 0 {
		t.Fatalf("empty input read as %s", js(r))
	}
}

func TestReadReportErrors(t *testing.T) {
	run := `{"kind":"run","primary":"a","shadow":"b"}`
	tests := []struct {
		name, in, want string
	}{
		{name: "not JSON", in: run + "\n{\"kind\":\"run\"\n", want: "report line 2:"},
		{name: "after a blank line", in: run + "\n\n\nnot json\n", want: "report line 4:"},
		{name: "run of the wrong shape", in: `{"kind":"run","compared":"many"}`, want: "report line 1:"},
		{name: "divergence of the wrong shape", in: run + "\n" + `{"kind":"divergence","l2_block":-1,"field":"timestamp"}`, want: "report line 2:"},
		{name: "kind not a string", in: `{"kind":1}`, want: "report line 1:"},
		{name: "divergence without field", in: run + "\n" + `{"kind":"divergence","l2_block":7,"fields":[]}`, want: "report line 2: divergence of L2 block 7 names no field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ReadReport(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("no error; read %s", js(r))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// A divergence that names its first field or lists the fields is enough:
// the report renders either.
func TestReadReportDivergenceFieldOrFields(t *testing.T) {
	in := `{"kind":"divergence","l2_block":5,"field":"timestamp"}` + "\n" +
		`{"kind":"divergence","l2_block":6,"fields":[{"field":"gas_limit","a":"1","b":"2"}]}` + "\n"
	r, err := ReadReport(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Divergences) != 2 || r.Divergences[0].Field != "timestamp" || r.Divergences[1].Fields[0].Field != "gas_limit" {
		t.Fatalf("read %s", js(r))
	}
}
