package blockmsg

import (
	"encoding/binary"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/sdk/eth"
)

func prefixLen(v Version) int {
	if v.HasBeaconRoot() {
		return 32
	}
	return 0
}

// The field offsets of the digest's SSZ table, on a V4 body where every
// field has a distinct value.
func TestMarshalBodyLayout(t *testing.T) {
	env := sampleEnvelope(V4)
	p := env.ExecutionPayload
	p.BlobGasUsed, p.ExcessBlobGas = u64p(0x1112131415161718), u64p(0x2122232425262728)
	body := mustMarshal(t, env, V4)
	if got := body[:32]; string(got) != string(env.ParentBeaconBlockRoot[:]) {
		t.Fatalf("body does not start with the beacon root: %x", got)
	}
	s := body[32:]
	le32 := func(off int) uint64 { return uint64(binary.LittleEndian.Uint32(s[off:])) }
	le64 := func(off int) uint64 { return binary.LittleEndian.Uint64(s[off:]) }
	baseFeeLE := make([]byte, 32)
	p.BaseFeePerGas.FillBytes(baseFeeLE)
	reverse(baseFeeLE)
	txOffsets := []byte{12, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0}
	txData := []byte{0x7e, 0x01, 0x02, 0x03, 0x02, 0xaa, 0xbb}

	bytesAt := []struct {
		name string
		off  int
		want []byte
	}{
		{"parentHash", 0, p.ParentHash[:]},
		{"feeRecipient", 32, p.FeeRecipient[:]},
		{"stateRoot", 52, p.StateRoot[:]},
		{"receiptsRoot", 84, p.ReceiptsRoot[:]},
		{"logsBloom", 116, p.LogsBloom[:]},
		{"prevRandao", 372, p.PrevRandao[:]},
		{"baseFee (u256 LE)", 440, baseFeeLE},
		{"blockHash", 472, p.BlockHash[:]},
		{"withdrawalsRoot", 528, p.WithdrawalsRoot[:]},
		{"extraData", 560, p.ExtraData},
		{"tx offsets", 569, txOffsets},
		{"tx data", 581, txData},
	}
	for _, c := range bytesAt {
		if got := s[c.off : c.off+len(c.want)]; string(got) != string(c.want) {
			t.Errorf("%s at %d: %x, want %x", c.name, c.off, got, c.want)
		}
	}
	numbers := []struct {
		name string
		got  uint64
		want uint64
	}{
		{"blockNumber", le64(404), p.BlockNumber},
		{"gasLimit", le64(412), p.GasLimit},
		{"gasUsed", le64(420), p.GasUsed},
		{"timestamp", le64(428), p.Timestamp},
		{"extraData offset", le32(436), 560},
		{"transactions offset", le32(504), 569},
		{"withdrawals offset", le32(508), 588},
		{"blobGasUsed", le64(512), *p.BlobGasUsed},
		{"excessBlobGas", le64(520), *p.ExcessBlobGas},
		{"length", uint64(len(s)), 588},
	}
	for _, c := range numbers {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestBodyRoundTrip(t *testing.T) {
	maxFee := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	type variant struct {
		name   string
		modify func(*eth.ExecutionPayloadEnvelope)
	}
	variants := []variant{
		{"sample", func(*eth.ExecutionPayloadEnvelope) {}},
		{"no txs, no extraData", func(e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.Transactions = [][]byte{}
			e.ExecutionPayload.ExtraData = []byte{}
		}},
		{"32-byte extraData", func(e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.ExtraData = []byte(strings.Repeat("x", 32))
		}},
		{"max base fee", func(e *eth.ExecutionPayloadEnvelope) { e.ExecutionPayload.BaseFeePerGas = new(big.Int).Set(maxFee) }},
		{"zero base fee", func(e *eth.ExecutionPayloadEnvelope) { e.ExecutionPayload.BaseFeePerGas = new(big.Int) }},
	}
	withdrawals := variant{"16 withdrawals", func(e *eth.ExecutionPayloadEnvelope) {
		for i := range MaxWithdrawals {
			e.ExecutionPayload.Withdrawals = append(e.ExecutionPayload.Withdrawals, &types.Withdrawal{
				Index: uint64(i), Validator: 1000 + uint64(i), Address: common.Address{byte(i), 0xee}, Amount: 1 << 40,
			})
		}
	}}
	for _, v := range Versions {
		vs := variants
		if v.HasWithdrawals() {
			vs = append(vs, withdrawals)
		}
		for _, vr := range vs {
			t.Run(v.String()+"/"+vr.name, func(t *testing.T) {
				env := sampleEnvelope(v)
				vr.modify(env)
				body := mustMarshal(t, env, v)
				if want := prefixLen(v) + int(fixedSize(v)); len(body) < want {
					t.Fatalf("body of %d bytes, shorter than the fixed part %d", len(body), want)
				}
				got, err := UnmarshalBody(body, v)
				if err != nil {
					t.Fatalf("UnmarshalBody: %v", err)
				}
				if got.ExecutionPayload.BaseFeePerGas.Cmp(env.ExecutionPayload.BaseFeePerGas) != 0 {
					t.Fatalf("base fee %s, want %s", got.ExecutionPayload.BaseFeePerGas, env.ExecutionPayload.BaseFeePerGas)
				}
				got.ExecutionPayload.BaseFeePerGas = env.ExecutionPayload.BaseFeePerGas
				if !reflect.DeepEqual(got, env) {
					t.Fatalf("round trip differs:\n got %+v\nwant %+v", got.ExecutionPayload, env.ExecutionPayload)
				}
				if again := mustMarshal(t, got, v); string(again) != string(body) {
					t.Fatal("re-encoding the decoded envelope changes the body")
				}
				// The decoded envelope does not alias the body.
				for i := range body {
					body[i] ^= 0xff
				}
				if !reflect.DeepEqual(got, env) {
					t.Fatal("decoded envelope aliases the body")
				}
			})
		}
	}
}

// The decoder leaves nil exactly the fields the layout lacks, and sets
// empty (non-nil) lists.
func TestUnmarshalBodyPresence(t *testing.T) {
	for _, v := range Versions {
		env := sampleEnvelope(v)
		env.ExecutionPayload.Transactions = nil
		env.ExecutionPayload.ExtraData = nil
		got, err := UnmarshalBody(mustMarshal(t, env, v), v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		p := got.ExecutionPayload
		checks := []struct {
			name      string
			set, want bool
		}{
			{"parentBeaconBlockRoot", got.ParentBeaconBlockRoot != nil, v >= V3},
			{"withdrawals", p.Withdrawals != nil, v >= V2},
			{"blobGasUsed", p.BlobGasUsed != nil, v >= V3},
			{"excessBlobGas", p.ExcessBlobGas != nil, v >= V3},
			{"withdrawalsRoot", p.WithdrawalsRoot != nil, v == V4},
			{"transactions", p.Transactions != nil, true},
			{"extraData", p.ExtraData != nil, true},
		}
		for _, c := range checks {
			if c.set != c.want {
				t.Errorf("%s: %s set = %v, want %v", v, c.name, c.set, c.want)
			}
		}
	}
}

func TestUnmarshalBodyRejects(t *testing.T) {
	type mutation func(t *testing.T, b []byte) []byte
	// at edits the payload (after the beacon root) of a body.
	at := func(v Version) func(b []byte, off int, x uint32) []byte {
		return func(b []byte, off int, x uint32) []byte {
			binary.LittleEndian.PutUint32(b[prefixLen(v)+off:], x)
			return b
		}
	}
	cases := []struct {
		name string
		v    Version
		env  func() *eth.ExecutionPayloadEnvelope
		mut  mutation
	}{
		{"extraData offset one short", V1, nil, func(t *testing.T, b []byte) []byte { return at(V1)(b, 436, fixedV1-1) }},
		{"extraData offset one long", V2, nil, func(t *testing.T, b []byte) []byte { return at(V2)(b, 436, fixedV2+1) }},
		{"extraData offset zero", V3, nil, func(t *testing.T, b []byte) []byte { return at(V3)(b, 436, 0) }},
		{"extraData offset of another version", V4, nil, func(t *testing.T, b []byte) []byte { return at(V4)(b, 436, fixedV3) }},
		{"extraData of 33 bytes", V1, func() *eth.ExecutionPayloadEnvelope {
			e := sampleEnvelope(V1)
			e.ExecutionPayload.ExtraData = make([]byte, 32)
			e.ExecutionPayload.Transactions = [][]byte{}
			return e
		}, func(t *testing.T, b []byte) []byte {
			b = append(b, 0)
			return at(V1)(b, 504, fixedV1+33)
		}},
		{"transactions offset before extraData", V1, nil, func(t *testing.T, b []byte) []byte { return at(V1)(b, 504, fixedV1-1) }},
		{"transactions offset past the end", V1, nil, func(t *testing.T, b []byte) []byte { return at(V1)(b, 504, uint32(len(b)+1)) }},
		{"withdrawals offset before transactions", V2, nil, func(t *testing.T, b []byte) []byte { return at(V2)(b, 508, fixedV2+8) }},
		{"withdrawals offset past the end", V4, nil, func(t *testing.T, b []byte) []byte { return at(V4)(b, 508, uint32(len(b)-32+1)) }},
		{"first tx offset not a multiple of 4", V1, nil, func(t *testing.T, b []byte) []byte { return at(V1)(b, fixedV1+9, 13) }},
		{"first tx offset zero", V2, nil, func(t *testing.T, b []byte) []byte { return at(V2)(b, fixedV2+9, 0) }},
		{"first tx offset past the section", V1, nil, func(t *testing.T, b []byte) []byte { return at(V1)(b, fixedV1+9, 400) }},
		{"tx offsets decreasing", V3, nil, func(t *testing.T, b []byte) []byte { return at(V3)(b, fixedV3+9+4, 8) }},
		{"tx offset past the section", V4, nil, func(t *testing.T, b []byte) []byte { return at(V4)(b, fixedV4+9+8, 100) }},
		{"tx section of 3 bytes", V1, func() *eth.ExecutionPayloadEnvelope {
			e := sampleEnvelope(V1)
			e.ExecutionPayload.Transactions = [][]byte{}
			return e
		}, func(t *testing.T, b []byte) []byte { return append(b, 4, 0, 0) }},
		{"too many transactions", V1, func() *eth.ExecutionPayloadEnvelope {
			e := sampleEnvelope(V1)
			e.ExecutionPayload.Transactions = [][]byte{}
			return e
		}, func(t *testing.T, b []byte) []byte {
			section := make([]byte, 4*(MaxTransactions+1))
			binary.LittleEndian.PutUint32(section, uint32(len(section)))
			return append(b, section...)
		}},
		{"truncated inside the first transaction", V1, nil, func(t *testing.T, b []byte) []byte { return b[:len(b)-5] }},
		{"truncated inside the tx offsets", V2, nil, func(t *testing.T, b []byte) []byte {
			b = b[:fixedV2+9+6]
			return at(V2)(b, 508, uint32(len(b)))
		}},
		{"truncated inside a withdrawal", V2, func() *eth.ExecutionPayloadEnvelope {
			e := sampleEnvelope(V2)
			e.ExecutionPayload.Withdrawals = []*types.Withdrawal{{Index: 1}}
			return e
		}, func(t *testing.T, b []byte) []byte { return b[:len(b)-1] }},
		{"17 withdrawals", V3, nil, func(t *testing.T, b []byte) []byte { return append(b, make([]byte, 17*withdrawalSize)...) }},
		{"trailing byte after withdrawals (v2)", V2, nil, func(t *testing.T, b []byte) []byte { return append(b, 0) }},
		{"trailing 43 bytes after withdrawals (v4)", V4, nil, func(t *testing.T, b []byte) []byte { return append(b, make([]byte, 43)...) }},
		{"trailing byte after an empty tx list (v1)", V1, func() *eth.ExecutionPayloadEnvelope {
			e := sampleEnvelope(V1)
			e.ExecutionPayload.Transactions = [][]byte{}
			return e
		}, func(t *testing.T, b []byte) []byte { return append(b, 0xff) }},
		{"no beacon root", V3, nil, func(t *testing.T, b []byte) []byte { return b[:31] }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := sampleEnvelope(c.v)
			if c.env != nil {
				env = c.env()
			}
			body := c.mut(t, mustMarshal(t, env, c.v))
			got, err := UnmarshalBody(body, c.v)
			if !errors.Is(err, ErrSSZ) {
				t.Fatalf("err %v (envelope %v), want ErrSSZ", err, got)
			}
			if got != nil {
				t.Fatal("an envelope came back with the error")
			}
			t.Log(err)
		})
	}
}

// Every body shorter than the version's fixed part is refused.
func TestUnmarshalBodyShort(t *testing.T) {
	for _, v := range Versions {
		body := mustMarshal(t, sampleEnvelope(v), v)
		for n := 0; n < prefixLen(v)+int(fixedSize(v)); n++ {
			if _, err := UnmarshalBody(body[:n], v); !errors.Is(err, ErrSSZ) {
				t.Fatalf("%s body cut to %d bytes: err %v, want ErrSSZ", v, n, err)
			}
		}
	}
}

// As in op-node, the last dynamic field runs to the end of the body, so
// whole elements appended to a valid body are read as part of it: a longer
// last transaction on V1, an extra withdrawal on V2+. The block hash check
// (V1) or the field checks (V2+) refuse such blocks later.
func TestUnmarshalBodyAbsorbsWholeTrailingElements(t *testing.T) {
	t.Run("v1 bytes extend the last transaction", func(t *testing.T) {
		env := withHash(t, sampleEnvelope(V1))
		body := append(mustMarshal(t, env, V1), 0xc0)
		got, err := UnmarshalBody(body, V1)
		if err != nil {
			t.Fatal(err)
		}
		if last := got.ExecutionPayload.Transactions[2]; string(last) != "\x02\xaa\xbb\xc0" {
			t.Fatalf("last transaction %x", last)
		}
		if _, err := BlockHash(got, nil); !errors.Is(err, ErrBlockHash) {
			t.Fatalf("BlockHash: %v, want ErrBlockHash", err)
		}
	})
	t.Run("v1 an offset after an empty list is one empty transaction", func(t *testing.T) {
		env := sampleEnvelope(V1)
		env.ExecutionPayload.Transactions = [][]byte{}
		body := append(mustMarshal(t, env, V1), 4, 0, 0, 0)
		got, err := UnmarshalBody(body, V1)
		if err != nil {
			t.Fatal(err)
		}
		if txs := got.ExecutionPayload.Transactions; len(txs) != 1 || len(txs[0]) != 0 {
			t.Fatalf("transactions %x", txs)
		}
	})
	for _, v := range []Version{V2, V3, V4} {
		t.Run(v.String()+" 44 bytes are one withdrawal", func(t *testing.T) {
			env := withHash(t, sampleEnvelope(v))
			body := append(mustMarshal(t, env, v), make([]byte, withdrawalSize)...)
			got, err := UnmarshalBody(body, v)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(got.ExecutionPayload.Withdrawals); n != 1 {
				t.Fatalf("%d withdrawals", n)
			}
			if err := CheckFields(got, v, nil); !errors.Is(err, ErrFields) {
				t.Fatalf("CheckFields: %v, want ErrFields", err)
			}
		})
	}
}

func TestBadVersion(t *testing.T) {
	env := sampleEnvelope(V1)
	for _, v := range []Version{0, 5, -1} {
		if _, err := MarshalBody(env, v); !errors.Is(err, ErrVersion) {
			t.Errorf("MarshalBody(%d): %v, want ErrVersion", v, err)
		}
		if _, err := UnmarshalBody(make([]byte, 600), v); !errors.Is(err, ErrVersion) {
			t.Errorf("UnmarshalBody(%d): %v, want ErrVersion", v, err)
		}
		if err := CheckFields(env, v, nil); !errors.Is(err, ErrVersion) {
			t.Errorf("CheckFields(%d): %v, want ErrVersion", v, err)
		}
	}
}

func TestMarshalBodyRejects(t *testing.T) {
	cases := []struct {
		name   string
		v      Version
		modify func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope
	}{
		{"nil envelope", V1, func(*eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope { return nil }},
		{"nil payload", V3, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload = nil
			return e
		}},
		{"v3 without beacon root", V3, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ParentBeaconBlockRoot = nil
			return e
		}},
		{"v4 without beacon root", V4, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ParentBeaconBlockRoot = nil
			return e
		}},
		{"v4 without withdrawalsRoot", V4, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.WithdrawalsRoot = nil
			return e
		}},
		{"v2 without withdrawals list", V2, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.Withdrawals = nil
			return e
		}},
		{"v3 without blobGasUsed", V3, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.BlobGasUsed = nil
			return e
		}},
		{"v4 without excessBlobGas", V4, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.ExcessBlobGas = nil
			return e
		}},
		{"v1 with a withdrawals list", V1, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.Withdrawals = []*types.Withdrawal{}
			return e
		}},
		{"v2 with beacon root", V2, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ParentBeaconBlockRoot = &common.Hash{}
			return e
		}},
		{"v2 with blobGasUsed", V2, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.BlobGasUsed = u64p(0)
			return e
		}},
		{"v3 with withdrawalsRoot (op-node's empty-root trap)", V3, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.WithdrawalsRoot = hashp(types.EmptyWithdrawalsHash)
			return e
		}},
		{"extraData of 33 bytes", V2, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.ExtraData = make([]byte, 33)
			return e
		}},
		{"17 withdrawals", V2, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			for range MaxWithdrawals + 1 {
				e.ExecutionPayload.Withdrawals = append(e.ExecutionPayload.Withdrawals, &types.Withdrawal{})
			}
			return e
		}},
		{"nil withdrawal", V3, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.Withdrawals = []*types.Withdrawal{nil}
			return e
		}},
		{"nil base fee", V1, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.BaseFeePerGas = nil
			return e
		}},
		{"negative base fee", V1, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.BaseFeePerGas = big.NewInt(-1)
			return e
		}},
		{"base fee of 2^256", V4, func(e *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
			e.ExecutionPayload.BaseFeePerGas = new(big.Int).Lsh(big.NewInt(1), 256)
			return e
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := MarshalBody(c.modify(sampleEnvelope(c.v)), c.v)
			if !errors.Is(err, ErrSSZ) {
				t.Fatalf("err %v, want ErrSSZ", err)
			}
			if body != nil {
				t.Fatal("a body came back with the error")
			}
			t.Log(err)
		})
	}
}
