package blockmsg

import (
	"math/big"
	"testing"
)

// BenchmarkDecodeValidate measures the stateless part of validating one
// gossip message, the V3 vector (its block hash is real): snappy decode,
// signer recovery, SSZ decode, block hash and field checks.
func BenchmarkDecodeValidate(b *testing.B) {
	data := loadGossipVectors(b).V3.SnappyCompressed
	chainID := big.NewInt(10)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sig, body, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := RecoverSigner(chainID, sig, body); err != nil {
			b.Fatal(err)
		}
		env, err := UnmarshalBody(body, V3)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := BlockHash(env, nil); err != nil {
			b.Fatal(err)
		}
		if err := CheckFields(env, V3, nil); err != nil {
			b.Fatal(err)
		}
	}
}
