package blockmsg

import (
	"math/big"
	"testing"

	"github.com/opalnode/opal/internal/vectors"
)

// FuzzDecode feeds gossip data through Decode and then UnmarshalBody with
// every version. Nothing may panic, and a body that decodes must re-encode
// to itself (the layout has one encoding per envelope).
func FuzzDecode(f *testing.F) {
	if data := vectors.TryRead(vectorsFile); data != nil {
		if g, err := parseGossipVectors(data); err == nil {
			for _, v := range Versions {
				f.Add([]byte(g.byVersion()[v].SnappyCompressed))
			}
		}
	}
	for _, v := range Versions {
		body, err := MarshalBody(sampleEnvelope(v), v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(Encode([SignatureSize]byte{}, body))
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add(Encode([SignatureSize]byte{}, []byte{1}))

	chainID := big.NewInt(901)
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = MessageID("/optimism/901/0/blocks", data)
		sig, body, err := Decode(data)
		if err != nil {
			return
		}
		_, _ = RecoverSigner(chainID, sig, body)
		for _, v := range Versions {
			env, err := UnmarshalBody(body, v)
			if err != nil {
				continue
			}
			re, err := MarshalBody(env, v)
			if err != nil {
				t.Fatalf("%s: decoded body does not re-encode: %v", v, err)
			}
			if string(re) != string(body) {
				t.Fatalf("%s: re-encoding changes the body:\n got %x\nwant %x", v, re, body)
			}
			_, _ = BlockHash(env, nil)
			_ = CheckFields(env, v, nil)
		}
	})
}

// FuzzUnmarshalBody fuzzes the SSZ decoder directly, without the snappy
// layer in the way.
func FuzzUnmarshalBody(f *testing.F) {
	for _, v := range Versions {
		body, err := MarshalBody(sampleEnvelope(v), v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, uint8(v))
	}
	f.Fuzz(func(t *testing.T, body []byte, version uint8) {
		v := Version(version % 6) // includes the invalid versions 0 and 5
		env, err := UnmarshalBody(body, v)
		if err != nil {
			return
		}
		re, err := MarshalBody(env, v)
		if err != nil || string(re) != string(body) {
			t.Fatalf("%s: decoded body does not re-encode to itself: %v", v, err)
		}
	})
}
