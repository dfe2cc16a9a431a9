package postexec

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
)

func mustEncode(t *testing.T, p *Payload) []byte {
	t.Helper()
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// raw encodes any RLP value behind the type byte.
func raw(t *testing.T, v any, trailing ...byte) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]byte{TxType}, b...), trailing...)
}

func TestDecode(t *testing.T) {
	t.Parallel()
	good := &Payload{Version: 1, BlockNumber: 7, Entries: []Entry{{0, 21000}, {3, 5}}}
	many := make([]Entry, MaxEntries+1)
	for i := range many {
		many[i] = Entry{uint64(i), 1}
	}
	cases := []struct {
		name string
		tx   []byte
		ok   bool
	}{
		{"valid", mustEncode(t, good), true},
		{"no entries", mustEncode(t, &Payload{Version: 1, BlockNumber: 7}), true},
		{"max entries", mustEncode(t, &Payload{Version: 1, BlockNumber: 7, Entries: many[:MaxEntries]}), true},
		{"too many entries", mustEncode(t, &Payload{Version: 1, BlockNumber: 7, Entries: many}), false},
		{"version 0", mustEncode(t, &Payload{Version: 0, BlockNumber: 7}), false},
		{"version 2", mustEncode(t, &Payload{Version: 2, BlockNumber: 7}), false},
		{"trailing bytes", append(mustEncode(t, good), 0x00), false},
		{"extra item", raw(t, []any{uint64(1), uint64(7), []any{}, uint64(0)}), false},
		{"missing item", raw(t, []any{uint64(1), uint64(7)}), false},
		{"entry with three items", raw(t, []any{uint64(1), uint64(7), []any{[]any{uint64(1), uint64(2), uint64(3)}}}), false},
		{"entry not a list", raw(t, []any{uint64(1), uint64(7), []any{uint64(1)}}), false},
		{"non-canonical integer", []byte{TxType, 0xc4, 0x01, 0x81, 0x05, 0xc0}, false},
		{"not a list", []byte{TxType, 0x01}, false},
		{"empty", []byte{TxType}, false},
		{"wrong type", []byte{0x02, 0xc0}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Decode(tc.tx)
			if tc.ok != (err == nil) {
				t.Fatalf("ok=%v, err=%v", tc.ok, err)
			}
			if err == nil && p.Version != Version {
				t.Fatal("version not kept")
			}
			if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotPostExec) {
				t.Fatalf("error %v is neither ErrMalformed nor ErrNotPostExec", err)
			}
		})
	}
	p, err := Decode(mustEncode(t, good))
	if err != nil || p.BlockNumber != 7 || len(p.Entries) != 2 || p.Entries[1] != (Entry{3, 5}) {
		t.Fatalf("round trip: %+v, %v", p, err)
	}
}

func TestCheckBlock(t *testing.T) {
	t.Parallel()
	user := []byte{0x02, 0xc0}
	pe := func(number uint64, entries ...Entry) []byte {
		return mustEncode(t, &Payload{Version: 1, BlockNumber: number, Entries: entries})
	}
	cases := []struct {
		name string
		txs  [][]byte
		ok   bool
		at   int
	}{
		{"no post-exec", [][]byte{user, user}, true, 0},
		{"last", [][]byte{user, pe(9, Entry{0, 100})}, true, 0},
		{"only", [][]byte{pe(9)}, true, 0},
		{"not last", [][]byte{pe(9, Entry{0, 100}), user}, false, 0},
		{"two", [][]byte{user, pe(9), pe(9)}, false, 2},
		{"two, the first malformed", [][]byte{{TxType, 0xc0}, pe(9)}, false, 0},
		{"wrong block number", [][]byte{user, pe(8, Entry{0, 100})}, false, 1},
		{"zero refund", [][]byte{user, pe(9, Entry{0, 0})}, false, 1},
		{"repeated index", [][]byte{user, pe(9, Entry{0, 1}, Entry{0, 2})}, false, 1},
		{"index past the block is the engine's to refuse", [][]byte{user, pe(9, Entry{50, 1})}, true, 0},
		{"malformed", [][]byte{user, {TxType, 0xc0}}, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			at, reason := CheckBlock(tc.txs, 9)
			if tc.ok != (reason == "") {
				t.Fatalf("ok=%v, reason %q", tc.ok, reason)
			}
			if !tc.ok && at != tc.at {
				t.Fatalf("offending tx %d, want %d (%s)", at, tc.at, reason)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{TxType, 0xc3, 0x01, 0x07, 0xc0})
	f.Add([]byte{TxType, 0xc0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes: the decoding is strict.
		again, err := Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(b) {
			t.Fatalf("not canonical: %x re-encodes as %x", b, again)
		}
	})
}
