package deposit

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/eth"
)

// fuzzSeedVectors returns the deposit log vectors if the shared data is
// present, without skipping the fuzz target when it is not.
func fuzzSeedVectors() []logVector {
	var vs []logVector
	if b := vectors.TryRead("expected/deposit_log_vectors.json"); b != nil {
		_ = json.Unmarshal(b, &vs)
	}
	return vs
}

func packTopics(ts []common.Hash) []byte {
	var b []byte
	for _, t := range ts {
		b = append(b, t[:]...)
	}
	return b
}

func FuzzFromLog(f *testing.F) {
	for _, v := range fuzzSeedVectors() {
		f.Add(packTopics(v.Log.Topics), []byte(v.Log.Data), v.Log.LogIndex)
	}
	f.Add(packTopics([]common.Hash{EventTopic, {}, {}, {}}), make([]byte, 64), uint32(0))
	f.Fuzz(func(t *testing.T, topics, data []byte, index uint32) {
		var ts []common.Hash
		for len(topics) >= 32 {
			ts = append(ts, common.BytesToHash(topics[:32]))
			topics = topics[32:]
		}
		l := eth.Log{Topics: ts, Data: data, Index: index}
		tx, err := FromLog(l, common.Hash{1})
		if err != nil {
			return
		}
		raw, err := tx.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded deposit does not encode: %v", err)
		}
		back, err := Decode(raw)
		if err != nil {
			t.Fatalf("encoded deposit does not decode: %v", err)
		}
		again, _ := back.MarshalBinary()
		if !bytes.Equal(raw, again) {
			t.Fatal("round trip changed the encoding")
		}
		// ToLog gives a log that decodes to the same deposit.
		l2, err := tx.ToLog(common.Address{})
		if err != nil {
			t.Fatalf("ToLog: %v", err)
		}
		l2.Index = index
		tx2, err := FromLog(l2, common.Hash{1})
		if err != nil {
			t.Fatalf("ToLog output does not decode: %v", err)
		}
		if raw2, _ := tx2.MarshalBinary(); !bytes.Equal(raw, raw2) {
			t.Fatal("ToLog/FromLog round trip changed the deposit")
		}
	})
}

func FuzzUnmarshalBinary(f *testing.F) {
	for _, v := range fuzzSeedVectors() {
		f.Add([]byte(v.DepositTx.Raw))
	}
	f.Add([]byte{TxType, 0xc0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var tx Tx
		if err := tx.UnmarshalBinary(b); err != nil {
			return
		}
		raw, err := tx.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded deposit does not encode: %v", err)
		}
		// Canonical RLP decoding means re-encoding gives the input back.
		if !bytes.Equal(raw, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", raw, b)
		}
	})
}
