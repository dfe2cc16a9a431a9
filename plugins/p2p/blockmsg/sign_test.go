package blockmsg

import (
	"crypto/ecdsa"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func testKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := crypto.ToECDSA(common.FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// malleate returns the other valid signature of the same message:
// s → n−s with the recovery id flipped.
func malleate(sig [SignatureSize]byte) [SignatureSize]byte {
	n := crypto.S256().Params().N
	s := new(big.Int).SetBytes(sig[32:64])
	s.Sub(n, s)
	out := sig
	s.FillBytes(out[32:64])
	out[64] ^= 1
	return out
}

func TestSignRecover(t *testing.T) {
	key := testKey(t)
	want := crypto.PubkeyToAddress(key.PublicKey)
	chainID := big.NewInt(901)
	body := mustMarshal(t, sampleEnvelope(V3), V3)

	sig, err := Sign(key, chainID, body)
	if err != nil {
		t.Fatal(err)
	}
	if sig[64] > 1 {
		t.Fatalf("v = %d, want 0 or 1", sig[64])
	}
	// Sign gives a low s.
	halfN := new(big.Int).Rsh(crypto.S256().Params().N, 1)
	if new(big.Int).SetBytes(sig[32:64]).Cmp(halfN) > 0 {
		t.Fatal("Sign gave a high s")
	}
	// The signature is over SigningHash: check it with go-ethereum directly.
	h := SigningHash(chainID, body)
	if pub, err := crypto.SigToPub(h[:], sig[:]); err != nil || crypto.PubkeyToAddress(*pub) != want {
		t.Fatalf("signature does not verify over SigningHash: %v", err)
	}

	high := malleate(sig)
	v27 := sig
	v27[64] += 27
	v28 := sig
	v28[64] = 28
	v2 := sig
	v2[64] = 2
	zeroR := sig
	copy(zeroR[:32], make([]byte, 32))
	otherBody := append([]byte{}, body...)
	otherBody[len(otherBody)-1] ^= 1

	cases := []struct {
		name    string
		chainID *big.Int
		sig     [SignatureSize]byte
		body    []byte
		want    common.Address // zero: an error
		differs bool           // recovers, to another address
	}{
		{"signed", chainID, sig, body, want, false},
		{"malleated, high s: same signer", chainID, high, body, want, false},
		{"v = 27", chainID, v27, body, common.Address{}, false},
		{"v = 28", chainID, v28, body, common.Address{}, false},
		{"v = 2", chainID, v2, body, common.Address{}, false},
		{"r = 0", chainID, zeroR, body, common.Address{}, false},
		{"zero signature", chainID, [SignatureSize]byte{}, body, common.Address{}, false},
		{"other chain", big.NewInt(902), sig, body, want, true},
		{"other body", chainID, sig, otherBody, want, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := RecoverSigner(c.chainID, c.sig, c.body)
			switch {
			case c.want == (common.Address{}):
				if !errors.Is(err, ErrSignature) {
					t.Fatalf("RecoverSigner: %s, %v; want ErrSignature", got, err)
				}
			case c.differs:
				// A signature over another message recovers some other key
				// (or none).
				if err == nil && got == c.want {
					t.Fatalf("recovered the signer %s", got)
				}
			default:
				if err != nil || got != c.want {
					t.Fatalf("RecoverSigner: %s, %v; want %s", got, err, c.want)
				}
			}
		})
	}
}

func TestSignNilKey(t *testing.T) {
	if _, err := Sign(nil, big.NewInt(1), []byte{1}); !errors.Is(err, ErrSignature) {
		t.Fatalf("Sign(nil key): %v, want ErrSignature", err)
	}
}

func TestSigningHashChainID(t *testing.T) {
	ph := common.HexToHash("0xbbeecdc05c0a866a8dabc849a37ed68cbd51ff7f6f0be478f24a682822f71df2")
	// The message is domain ‖ chain id (32 bytes BE) ‖ payload hash.
	manual := func(id []byte) common.Hash {
		msg := make([]byte, 96)
		copy(msg[64-len(id):64], id)
		copy(msg[64:], ph[:])
		return crypto.Keccak256Hash(msg)
	}
	if got, want := SigningHashOf(big.NewInt(10), ph), manual([]byte{10}); got != want {
		t.Errorf("chain 10: %s, want %s", got, want)
	}
	if got, want := SigningHashOf(big.NewInt(8453), ph), manual([]byte{0x21, 0x05}); got != want {
		t.Errorf("chain 8453: %s, want %s", got, want)
	}
	if got, want := SigningHashOf(nil, ph), manual(nil); got != want {
		t.Errorf("nil chain id: %s, want the zero chain id's %s", got, want)
	}
	big256 := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(10))
	if got, want := SigningHashOf(big256, ph), manual([]byte{10}); got != want {
		t.Errorf("2^256+10: %s, want chain 10's %s", got, want)
	}
	if SigningHashOf(big.NewInt(10), ph) == SigningHashOf(big.NewInt(11), ph) {
		t.Error("the chain id does not change the signing hash")
	}
}
