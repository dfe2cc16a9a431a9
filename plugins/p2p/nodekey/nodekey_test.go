package nodekey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/mr-tron/base58"
)

const (
	// keyOne is the scalar 1: its public key is the generator G (even y).
	keyOne = "0000000000000000000000000000000000000000000000000000000000000001"
	// keyK is a common example key; its peer ID is one of the
	// 16Uiu2HAk… kind.
	keyK = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
	// curveOrder is secp256k1's n.
	curveOrder = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
)

// Known answers, cross-checked in TestPeerIDKnownAnswer against a peer ID
// assembled by hand (protobuf key, identity multihash, base58btc) and
// against go-libp2p's own conversion.
var peerIDKAT = []struct {
	key, id string
}{
	{keyOne, "16Uiu2HAm3cuhhRL2msUuLF62KRSfneFDx94RsuouyW25Ho42cFMq"},
	{keyK, "16Uiu2HAkzh4QdxB7ijzVnwd6JFNNe4bcr1JBwYUypXe3pX5BRpqK"},
}

func TestParse(t *testing.T) {
	want, err := Parse(keyK)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"plain", keyK, true},
		{"0x", "0x" + keyK, true},
		{"0X", "0X" + keyK, true},
		{"uppercase hex", strings.ToUpper(keyK), true},
		{"trailing newline", keyK + "\n", true},
		{"crlf", keyK + "\r\n", true},
		{"surrounding spaces and tabs", " \t" + keyK + " \n", true},
		{"whitespace around 0x", "\n 0x" + keyK + "\n", true},
		{"empty", "", false},
		{"only whitespace", " \n\t", false},
		{"only 0x", "0x", false},
		{"double 0x", "0x0x" + keyK, false},
		{"short", keyK[:62], false},
		{"odd length", keyK[:63], false},
		{"long", keyK + "00", false},
		{"non hex", "zz" + keyK[2:], false},
		{"inner space", keyK[:32] + " " + keyK[32:], false},
		{"zero", strings.Repeat("0", 64), false},
		{"curve order", curveOrder, false},
		{"all ff", strings.Repeat("f", 64), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Parse(tc.in)
			if !tc.ok {
				if err == nil {
					t.Fatalf("Parse accepted %q", tc.in)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v does not wrap ErrInvalid", err)
				}
				if len(tc.in) >= 16 && strings.Contains(err.Error(), strings.TrimSpace(tc.in)[2:18]) {
					t.Fatalf("error leaks key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if k.D.Cmp(want.D) != 0 || k.X.Cmp(want.X) != 0 || k.Y.Cmp(want.Y) != 0 {
				t.Fatal("parsed a different key")
			}
		})
	}
}

func TestParseCurveOrderMinusOne(t *testing.T) {
	n, _ := new(big.Int).SetString(curveOrder, 16)
	top := new(big.Int).Sub(n, big.NewInt(1))
	if _, err := Parse(fmt.Sprintf("%064x", top)); err != nil {
		t.Fatalf("n-1 is a valid scalar: %v", err)
	}
}

func TestLoadOrCreateCreates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "deeper", "opnode_p2p_priv.txt")
	key, created, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("created = false for a missing file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 2*KeyLen {
		t.Fatalf("file holds %d bytes, want %d hex digits without newline", len(data), 2*KeyLen)
	}
	if strings.HasPrefix(string(data), "0x") || string(data) != strings.ToLower(string(data)) {
		t.Fatalf("file is not lowercase hex without 0x: %q", data)
	}
	if !bytes.Equal(data, []byte(mustEncode(t, key))) {
		t.Fatal("file content is not the returned key")
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode != 0o600 {
			t.Fatalf("key file mode %o, want 600", mode)
		}
		st, err = os.Stat(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode != 0o700 {
			t.Fatalf("created directory mode %o, want 700", mode)
		}
	}

	// The second call loads the same key and leaves the file alone.
	again, created, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Fatal("created = true for an existing file")
	}
	if again.D.Cmp(key.D) != 0 {
		t.Fatal("reloaded a different key")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, data) {
		t.Fatal("file rewritten on load")
	}
}

func TestLoadOrCreateExistingDirKeepsMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix modes")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate(filepath.Join(dir, "key.txt")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dir)
	if st.Mode().Perm() != 0o755 {
		t.Fatalf("existing directory mode changed to %o", st.Mode().Perm())
	}
}

func TestLoadOrCreateToleratedForms(t *testing.T) {
	want, _ := Parse(keyK)
	for _, tc := range []struct{ name, content string }{
		{"op-node form", keyK},
		{"trailing newline", keyK + "\n"},
		{"0x prefix", "0x" + keyK},
		{"0x and whitespace", "  0x" + keyK + "\r\n\n"},
		{"uppercase", strings.ToUpper(keyK)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.txt")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			key, created, err := LoadOrCreate(path)
			if err != nil {
				t.Fatal(err)
			}
			if created {
				t.Fatal("created = true")
			}
			if key.D.Cmp(want.D) != 0 {
				t.Fatal("wrong key")
			}
			data, _ := os.ReadFile(path)
			if string(data) != tc.content {
				t.Fatal("tolerated file was rewritten")
			}
		})
	}
}

func TestLoadOrCreateBadContent(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"empty file", ""},
		{"whitespace", "\n\n"},
		{"not hex", "this is not a key\n"},
		{"short", keyK[:40]},
		{"long", keyK + keyK},
		{"zero scalar", strings.Repeat("0", 64)},
		{"out of range", curveOrder},
		{"json", `{"key":"` + keyK + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.txt")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, created, err := LoadOrCreate(path)
			if err == nil {
				t.Fatal("bad key file accepted")
			}
			if created {
				t.Fatal("created = true on error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the path: %v", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			data, _ := os.ReadFile(path)
			if string(data) != tc.content {
				t.Fatal("bad key file was overwritten")
			}
		})
	}
}

func TestLoadOrCreateErrors(t *testing.T) {
	if _, _, err := LoadOrCreate(""); err == nil {
		t.Fatal("empty path accepted")
	}
	// A directory where the file should be.
	dir := t.TempDir()
	if _, _, err := LoadOrCreate(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("directory as key file: %v", err)
	}
	// A parent that is a regular file.
	parent := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(parent, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(parent, "key.txt")
	if _, _, err := LoadOrCreate(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("file as parent directory: %v", err)
	}
}

func TestLoadOrCreateUnreadable(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs unix permissions enforced (not root)")
	}
	path := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(path, []byte(keyK), 0o000); err != nil {
		t.Fatal(err)
	}
	_, created, err := LoadOrCreate(path)
	if err == nil || created || !strings.Contains(err.Error(), path) {
		t.Fatalf("unreadable key file: created=%v err=%v", created, err)
	}
}

func TestPeerIDKnownAnswer(t *testing.T) {
	for _, tc := range peerIDKAT {
		key, err := Parse(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		id, err := PeerID(key)
		if err != nil {
			t.Fatal(err)
		}
		if id.String() != tc.id {
			t.Fatalf("PeerID = %s, want %s", id, tc.id)
		}

		// By hand: protobuf PublicKey{Type: Secp256k1 (2), Data: 33-byte
		// compressed key}, wrapped in an identity multihash, base58btc.
		compressed := gethcrypto.CompressPubkey(&key.PublicKey)
		pb := append([]byte{0x08, 0x02, 0x12, byte(len(compressed))}, compressed...)
		mh := append([]byte{0x00, byte(len(pb))}, pb...)
		if got := base58.Encode(mh); got != tc.id {
			t.Fatalf("hand-built peer ID %s, want %s", got, tc.id)
		}
		// Every secp256k1 peer ID starts 16Uiu2HA, then k or m: base58
		// of 00 25 08 02 12 21 {02|03} x. Only 02-prefixed keys with a
		// small x give k, so 16Uiu2HAm is the usual sight, not a rule.
		if !strings.HasPrefix(tc.id, "16Uiu2HA") || !strings.ContainsRune("km", rune(tc.id[8])) {
			t.Fatalf("peer ID %s is not 16Uiu2HA{k,m}…", tc.id)
		}
		// go-libp2p's own conversions agree.
		lk, err := crypto.UnmarshalSecp256k1PrivateKey(gethcrypto.FromECDSA(key))
		if err != nil {
			t.Fatal(err)
		}
		lid, err := peer.IDFromPrivateKey(lk)
		if err != nil {
			t.Fatal(err)
		}
		if lid != id {
			t.Fatalf("libp2p says %s", lid)
		}
		decoded, err := peer.Decode(tc.id)
		if err != nil || decoded != id {
			t.Fatalf("peer.Decode: %v %v", decoded, err)
		}
		if !id.MatchesPrivateKey(lk) {
			t.Fatal("peer ID does not match the key")
		}
		pub, err := id.ExtractPublicKey()
		if err != nil || !pub.Equals(lk.GetPublic()) {
			t.Fatalf("identity multihash does not embed the key: %v", err)
		}
		fromPub, err := PeerIDFromPubkey(&key.PublicKey)
		if err != nil || fromPub != id {
			t.Fatalf("PeerIDFromPubkey = %s, %v", fromPub, err)
		}
	}
}

func TestPeerIDPrefixRandomKeys(t *testing.T) {
	for i := 0; i < 32; i++ {
		key, err := gethcrypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		id, err := PeerID(key)
		if err != nil {
			t.Fatal(err)
		}
		if s := id.String(); !strings.HasPrefix(s, "16Uiu2HA") || !strings.ContainsRune("km", rune(s[8])) {
			t.Fatalf("peer ID %s is not 16Uiu2HA{k,m}…", s)
		}
	}
}

func TestLibp2pKey(t *testing.T) {
	key, _ := Parse(keyK)
	lk, err := Libp2pKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lk.(*crypto.Secp256k1PrivateKey); !ok {
		t.Fatalf("libp2p key type %T", lk)
	}
	raw, err := lk.Raw()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, gethcrypto.FromECDSA(key)) {
		t.Fatal("libp2p key holds a different scalar")
	}
	pub, err := lk.GetPublic().Raw()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub, gethcrypto.CompressPubkey(&key.PublicKey)) {
		t.Fatal("libp2p public key differs")
	}

	// A key built on another curve object (the scalar only) still converts.
	bare := &ecdsa.PrivateKey{D: new(big.Int).Set(key.D)}
	if _, err := Libp2pKey(bare); err != nil {
		t.Fatalf("scalar-only key: %v", err)
	}
}

func TestRefusedKeys(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  *ecdsa.PrivateKey
	}{
		{"nil", nil},
		{"no scalar", &ecdsa.PrivateKey{}},
		{"zero", &ecdsa.PrivateKey{D: new(big.Int)}},
		{"negative", &ecdsa.PrivateKey{D: big.NewInt(-1)}},
		{"too big", &ecdsa.PrivateKey{D: new(big.Int).Lsh(big.NewInt(1), 256)}},
		{"P-256 key", p256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := PeerID(tc.key); err == nil {
				t.Fatal("PeerID accepted the key")
			}
			if _, err := Libp2pKey(tc.key); err == nil {
				t.Fatal("Libp2pKey accepted the key")
			}
			if _, err := Encode(tc.key); err == nil {
				t.Fatal("Encode accepted the key")
			}
		})
	}
	if _, err := PeerIDFromPubkey(nil); err == nil {
		t.Fatal("nil public key accepted")
	}
	if _, err := PeerIDFromPubkey(&p256.PublicKey); err == nil {
		t.Fatal("P-256 public key accepted")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	// Scalars with leading zero bytes stay 64 digits long.
	key, err := Parse(keyOne)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Encode(key)
	if err != nil {
		t.Fatal(err)
	}
	if s != keyOne {
		t.Fatalf("Encode = %s", s)
	}
}

func mustEncode(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	s, err := Encode(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
