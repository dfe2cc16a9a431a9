package deposit

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/eth"
)

type logVector struct {
	Name      string `json:"name"`
	DepositTx struct {
		Data       hexutil.Bytes   `json:"data"`
		From       common.Address  `json:"from"`
		Gas        uint64          `json:"gas"`
		IsSystemTx bool            `json:"is_system_tx"`
		Mint       string          `json:"mint"`
		Raw        hexutil.Bytes   `json:"raw"`
		SourceHash common.Hash     `json:"source_hash"`
		To         *common.Address `json:"to"`
		TxHash     common.Hash     `json:"tx_hash"`
		Value      string          `json:"value"`
	} `json:"deposit_tx"`
	Log struct {
		Address   common.Address `json:"address"`
		BlockHash common.Hash    `json:"block_hash"`
		Data      hexutil.Bytes  `json:"data"`
		LogIndex  uint32         `json:"log_index"`
		Topics    []common.Hash  `json:"topics"`
	} `json:"log"`
}

func (v *logVector) ethLog() eth.Log {
	return eth.Log{Address: v.Log.Address, Topics: v.Log.Topics, Data: v.Log.Data, Index: v.Log.LogIndex}
}

func loadLogVectors(tb testing.TB) []logVector {
	var vs []logVector
	if err := json.Unmarshal(readVector(tb, "expected/deposit_log_vectors.json"), &vs); err != nil {
		tb.Fatal(err)
	}
	if len(vs) == 0 {
		tb.Fatal("no deposit log vectors")
	}
	return vs
}

func bigOrNil(t *testing.T, s string) *big.Int {
	t.Helper()
	if s == "<nil>" {
		return nil
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("bad number %q", s)
	}
	return n
}

func sameBig(a, b *big.Int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Cmp(b) == 0
}

func TestDepositLogVectors(t *testing.T) {
	for _, v := range loadLogVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			tx, err := FromLog(v.ethLog(), v.Log.BlockHash)
			if err != nil {
				t.Fatalf("FromLog: %v", err)
			}
			want := v.DepositTx
			if tx.SourceHash != want.SourceHash {
				t.Errorf("source hash %s, want %s", tx.SourceHash, want.SourceHash)
			}
			if got := UserDepositSource(v.Log.BlockHash, uint64(v.Log.LogIndex)); got != want.SourceHash {
				t.Errorf("UserDepositSource %s, want %s", got, want.SourceHash)
			}
			if tx.From != want.From || tx.Gas != want.Gas || tx.IsSystemTx != want.IsSystemTx {
				t.Errorf("from/gas/system = %s/%d/%v, want %s/%d/%v", tx.From, tx.Gas, tx.IsSystemTx, want.From, want.Gas, want.IsSystemTx)
			}
			if (tx.To == nil) != (want.To == nil) || (tx.To != nil && *tx.To != *want.To) {
				t.Errorf("to = %v, want %v", tx.To, want.To)
			}
			// op-node keeps a zero mint as nil; the vectors print a nil mint
			// as "<nil>" and a non-zero one in decimal.
			if wm := bigOrNil(t, want.Mint); !sameBig(tx.Mint, wm) {
				t.Errorf("mint = %v, want %v", tx.Mint, wm)
			}
			if !sameBig(tx.Value, bigOrNil(t, want.Value)) {
				t.Errorf("value = %v, want %s", tx.Value, want.Value)
			}
			if !bytes.Equal(tx.Data, want.Data) {
				t.Errorf("data = %x, want %x", tx.Data, want.Data)
			}
			raw, err := tx.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, want.Raw) {
				t.Fatalf("raw =\n%x\nwant\n%x", raw, []byte(want.Raw))
			}
			if h := tx.Hash(); h != want.TxHash {
				t.Errorf("hash %s, want %s", h, want.TxHash)
			}
			// Round trip through the decoder.
			var back Tx
			if err := back.UnmarshalBinary(want.Raw); err != nil {
				t.Fatal(err)
			}
			if again, _ := back.MarshalBinary(); !bytes.Equal(again, want.Raw) {
				t.Errorf("re-encoding differs")
			}
			if !sameBig(back.Mint, tx.Mint) {
				t.Errorf("decoded mint %v, want %v", back.Mint, tx.Mint)
			}
			// And through UserDeposits, with a failed receipt holding the
			// same log, which must be ignored.
			rec := []eth.Receipt{
				{TxIndex: 0, Status: 0, Logs: []eth.Log{v.ethLog()}},
				{TxIndex: 1, Status: 1, Logs: []eth.Log{v.ethLog()}},
			}
			deps, err := UserDeposits(rec, v.Log.Address, v.Log.BlockHash)
			if err != nil {
				t.Fatal(err)
			}
			if len(deps) != 1 || !bytes.Equal(deps[0], want.Raw) {
				t.Fatalf("UserDeposits = %x", deps)
			}
			// ToLog is the inverse of FromLog for canonical logs.
			back2, err := tx.ToLog(v.Log.Address)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back2.Data, v.Log.Data) {
				t.Errorf("ToLog data =\n%x\nwant\n%x", back2.Data, []byte(v.Log.Data))
			}
			for i := range back2.Topics {
				if i == 2 && tx.To == nil {
					continue // a creation log may carry any to-topic
				}
				if back2.Topics[i] != v.Log.Topics[i] {
					t.Errorf("ToLog topic %d = %s, want %s", i, back2.Topics[i], v.Log.Topics[i])
				}
			}
		})
	}
}

func TestSourceHashVectors(t *testing.T) {
	var doc struct {
		SourceHashes map[string]json.RawMessage `json:"source_hashes"`
	}
	if err := json.Unmarshal(readVector(t, "expected/reference_computed.json"), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for key, raw := range doc.SourceHashes {
		if intent, ok := strings.CutPrefix(key, "upgrade:"); ok {
			var want common.Hash
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if got := UpgradeDepositSource(intent); got != want {
				t.Errorf("%q: %s, want %s", intent, got, want)
			}
			n++
			continue
		}
		var user struct {
			L1BlockHash common.Hash `json:"l1_block_hash"`
			LogIndex    uint64      `json:"log_index"`
			SourceHash  common.Hash `json:"source_hash"`
		}
		if err := json.Unmarshal(raw, &user); err != nil {
			t.Fatal(err)
		}
		if got := UserDepositSource(user.L1BlockHash, user.LogIndex); got != user.SourceHash {
			t.Errorf("%s: %s, want %s", key, got, user.SourceHash)
		}
		n++
	}
	if n < 3 {
		t.Fatalf("only %d source hash vectors", n)
	}
}

func TestL1InfoSourceVector(t *testing.T) {
	// From reference_computed.json l1_info: OP mainnet L2 block 151539208.
	got := L1InfoDepositSource(common.HexToHash("0xaf6d6abe101cdf792f420a962b62de02ba52726b1d21f5b9d43aff3c572b27cf"), 3)
	if want := common.HexToHash("0xc912db3c7247e182b351c44e56b691ebcafbc8ada96c394ee5f5aa65d90b930e"); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func validLog(t *testing.T) eth.Log {
	t.Helper()
	to := common.HexToAddress("0x4200000000000000000000000000000000000007")
	tx := &Tx{From: common.HexToAddress("0x1234"), To: &to, Mint: big.NewInt(5), Value: big.NewInt(7), Gas: 21000, Data: []byte{1, 2, 3}}
	l, err := tx.ToLog(common.HexToAddress("0xbEb5Fc579115071764c7423A4f12eDde41f106Ed"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestFromLogMalformed(t *testing.T) {
	mut := func(f func(l *eth.Log)) eth.Log {
		l := validLog(t)
		l.Topics = append([]common.Hash{}, l.Topics...)
		l.Data = append([]byte{}, l.Data...)
		f(&l)
		return l
	}
	cases := map[string]eth.Log{
		"three topics":     mut(func(l *eth.Log) { l.Topics = l.Topics[:3] }),
		"wrong topic0":     mut(func(l *eth.Log) { l.Topics[0] = common.Hash{1} }),
		"version 1":        mut(func(l *eth.Log) { l.Topics[3] = common.Hash{31: 1} }),
		"short data":       mut(func(l *eth.Log) { l.Data = l.Data[:63] }),
		"unaligned":        mut(func(l *eth.Log) { l.Data = l.Data[:len(l.Data)-1] }),
		"offset 64":        mut(func(l *eth.Log) { l.Data[31] = 64 }),
		"offset high bits": mut(func(l *eth.Log) { l.Data[0] = 1 }),
		"length too long":  mut(func(l *eth.Log) { l.Data[63] += 32 }),
		"too much padding": mut(func(l *eth.Log) { l.Data = append(l.Data, make([]byte, 32)...) }),
		"length huge":      mut(func(l *eth.Log) { l.Data[32] = 0xff }),
		"opaque too short": mut(func(l *eth.Log) {
			l.Data = l.Data[:64+64]
			l.Data[63] = 72
		}),
	}
	for name, l := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := FromLog(l, common.Hash{}); !errors.Is(err, ErrMalformedLog) {
				t.Fatalf("err = %v, want ErrMalformedLog", err)
			}
		})
	}
	if _, err := FromLog(validLog(t), common.Hash{}); err != nil {
		t.Fatalf("valid log: %v", err)
	}
}

func TestUserDepositsAggregatesErrors(t *testing.T) {
	portal := common.HexToAddress("0xbEb5Fc579115071764c7423A4f12eDde41f106Ed")
	good := validLog(t)
	good.Index = 1
	bad := validLog(t)
	bad.Topics = append([]common.Hash{}, bad.Topics...)
	bad.Topics[3] = common.Hash{31: 1}
	bad.Index = 2
	other := validLog(t) // other emitter: ignored
	other.Address = common.Address{9}
	good2 := validLog(t)
	good2.Index = 4
	recs := []eth.Receipt{{TxIndex: 3, Status: 1, Logs: []eth.Log{good, bad, other, good2}}}
	deps, err := UserDeposits(recs, portal, common.Hash{7})
	if err == nil || !errors.Is(err, ErrMalformedLog) || !strings.Contains(err.Error(), "tx 3, log 2") {
		t.Fatalf("err = %v", err)
	}
	if len(deps) != 2 {
		t.Fatalf("got %d deposits, want the 2 valid ones", len(deps))
	}
	var d Tx
	if err := d.UnmarshalBinary(deps[1]); err != nil || d.SourceHash != UserDepositSource(common.Hash{7}, 4) {
		t.Fatalf("second deposit: %v %s", err, d.SourceHash)
	}
}

func TestUnmarshalBinaryRejects(t *testing.T) {
	good, err := (&Tx{Value: big.NewInt(1), Data: []byte{1}}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":    nil,
		"type 2":   append([]byte{2}, good[1:]...),
		"trailing": append(append([]byte{}, good...), 0x80),
		"no body":  {TxType},
		"short":    good[:len(good)-1],
	}
	for name, b := range cases {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	// A 7-element list.
	short := append([]byte{TxType}, shortList()...)
	if _, err := Decode(short); err == nil {
		t.Error("7 fields decoded")
	}
}

func shortList() []byte {
	// rlp([0x80 x7]) = 0xc7 ++ 0x80*7
	return append([]byte{0xc7}, bytes.Repeat([]byte{0x80}, 7)...)
}

func TestMarshalRejectsOutOfRange(t *testing.T) {
	big257 := new(big.Int).Lsh(big.NewInt(1), 256)
	for _, tx := range []*Tx{{Mint: big257}, {Value: big.NewInt(-1)}} {
		if _, err := tx.MarshalBinary(); err == nil {
			t.Errorf("encoded %+v", tx)
		}
		if h := tx.Hash(); h != (common.Hash{}) {
			t.Errorf("hash of unencodable tx = %s", h)
		}
	}
	if h := HashOf([]byte{1}); h != crypto.Keccak256Hash([]byte{1}) {
		t.Error("HashOf")
	}
}

func TestNilMintAndZeroMintEncodeAlike(t *testing.T) {
	a, _ := (&Tx{Value: big.NewInt(0)}).MarshalBinary()
	b, _ := (&Tx{Mint: new(big.Int), Value: nil}).MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Fatalf("%x != %x", a, b)
	}
	d, err := Decode(a)
	if err != nil || d.Mint != nil || d.Value == nil || d.Value.Sign() != 0 || d.To != nil {
		t.Fatalf("decoded %+v, %v", d, err)
	}
}
