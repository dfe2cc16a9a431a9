package discovery

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/enr"
	"github.com/ethereum/go-ethereum/rlp"
)

func TestOpStackEntryKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		chainID, version uint64
		rlp              string
	}{
		{901, 0, "83850700"},  // op devnet
		{8453, 0, "83854200"}, // Base, as in its bootnode records
		{10, 0, "820a00"},     // OP Mainnet
		{0, 0, "820000"},
		{127, 0, "827f00"},
		{128, 0, "83800100"},
		{901, 1, "83850701"},
		{math.MaxUint64, 0, "8bffffffffffffffffff0100"},
	} {
		b, err := rlp.EncodeToBytes(OpStackEntry{ChainID: tc.chainID, Version: tc.version})
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(b); got != tc.rlp {
			t.Errorf("chain %d version %d: RLP %s, want %s", tc.chainID, tc.version, got, tc.rlp)
		}
		var e OpStackEntry
		if err := rlp.DecodeBytes(b, &e); err != nil {
			t.Fatalf("decoding %s: %v", tc.rlp, err)
		}
		if e.ChainID != tc.chainID || e.Version != tc.version {
			t.Errorf("decoded %+v from %s", e, tc.rlp)
		}
	}
}

func TestOpStackEntryInRecord(t *testing.T) {
	key, _ := gethcrypto.GenerateKey()
	var r enr.Record
	r.Set(OpStackEntry{ChainID: 901})
	if err := enode.SignV4(&r, key); err != nil {
		t.Fatal(err)
	}
	n, err := enode.New(enode.ValidSchemes, &r)
	if err != nil {
		t.Fatal(err)
	}
	// Through text form and back, as records travel.
	n2, err := enode.Parse(enode.ValidSchemes, n.String())
	if err != nil {
		t.Fatal(err)
	}
	e, ok := ChainOf(n2)
	if !ok || e != (OpStackEntry{ChainID: 901}) {
		t.Fatalf("ChainOf = %+v, %v", e, ok)
	}
	if !OnChain(n2, 901) || OnChain(n2, 902) {
		t.Fatal("OnChain filter wrong")
	}
	// The raw value under the key is the known answer.
	var raw rlp.RawValue
	if err := n2.Load(enr.WithEntry(OpStackKey, &raw)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, []byte{0x83, 0x85, 0x07, 0x00}) {
		t.Fatalf("raw opstack value %x", raw)
	}
}

func TestOnChainFilter(t *testing.T) {
	key, _ := gethcrypto.GenerateKey()
	mk := func(entries ...enr.Entry) *enode.Node {
		var r enr.Record
		for _, e := range entries {
			r.Set(e)
		}
		if err := enode.SignV4(&r, key); err != nil {
			t.Fatal(err)
		}
		n, err := enode.New(enode.ValidSchemes, &r)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		name string
		n    *enode.Node
		want bool
	}{
		{"same chain v0", mk(OpStackEntry{ChainID: 901}), true},
		{"other chain", mk(OpStackEntry{ChainID: 902}), false},
		{"version 1", mk(OpStackEntry{ChainID: 901, Version: 1}), false},
		{"no entry", mk(), false},
		{"garbage entry", mk(enr.WithEntry(OpStackKey, []byte{0xff})), false},
		{"list entry", mk(enr.WithEntry(OpStackKey, []uint{901, 0})), false},
		{"nil node", nil, false},
	} {
		if got := OnChain(tc.n, 901); got != tc.want {
			t.Errorf("%s: OnChain = %v", tc.name, got)
		}
	}
}

// Decoding follows op-node: two varints read from a byte string, trailing
// bytes ignored, everything else an error. None of it may panic.
func TestOpStackEntryDecodeGarbage(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
		want OpStackEntry
	}{
		{"trailing bytes ignored", "84850700ff", true, OpStackEntry{ChainID: 901}},
		{"empty string", "80", false, OpStackEntry{}},
		{"one byte, no version", "05", false, OpStackEntry{}},
		{"chain only", "828507", false, OpStackEntry{}},
		{"unterminated varint", "8185", false, OpStackEntry{}},
		{"varint overflow", "8bffffffffffffffffffff00", false, OpStackEntry{}},
		{"version overflow", "8c05ffffffffffffffffffff02", false, OpStackEntry{}},
		{"list", "c0", false, OpStackEntry{}},
		{"list of ints", "c3820385", false, OpStackEntry{}},
		{"truncated string", "838507", false, OpStackEntry{}},
		{"non-canonical single byte", "8105", false, OpStackEntry{}},
		{"nothing", "", false, OpStackEntry{}},
		{"long string header, short data", "b90100", false, OpStackEntry{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := hex.DecodeString(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var e OpStackEntry
			err = rlp.DecodeBytes(in, &e)
			if tc.ok != (err == nil) {
				t.Fatalf("decode %s: err = %v", tc.in, err)
			}
			if tc.ok && e != tc.want {
				t.Fatalf("decoded %+v", e)
			}
			if err != nil && !strings.Contains(err.Error(), "opstack") && !strings.Contains(err.Error(), "rlp") {
				t.Fatalf("unhelpful error %v", err)
			}
		})
	}
}

func FuzzOpStackEntryDecode(f *testing.F) {
	for _, s := range []string{"83850700", "83854200", "80", "c0", "8bffffffffffffffffffff00", "84850700ff", "05"} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var e OpStackEntry
		if err := rlp.DecodeBytes(in, &e); err != nil {
			return
		}
		// Whatever decodes re-encodes to a value decoding the same.
		b, err := rlp.EncodeToBytes(e)
		if err != nil {
			t.Fatal(err)
		}
		var again OpStackEntry
		if err := rlp.DecodeBytes(b, &again); err != nil || again != e {
			t.Fatalf("round trip of %+v: %+v, %v", e, again, err)
		}
	})
}
