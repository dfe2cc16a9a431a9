// Package nodekey holds the node's p2p identity: one secp256k1 key that
// serves both libp2p (the peer ID) and discv5 (the node ID and the ENR
// signature), stored the way op-node stores it.
//
// The key file (op-node's --p2p.priv.path, default opnode_p2p_priv.txt)
// holds the 32-byte scalar as lowercase hex, no 0x prefix, no newline.
// It is created with mode 0600 when missing. On read, surrounding
// whitespace and a 0x prefix are tolerated. A file that cannot be parsed
// is an error and is never overwritten: replacing it would silently
// change the node's identity.
package nodekey

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// KeyLen is the length of a secp256k1 private scalar in bytes.
const KeyLen = 32

var (
	// ErrNoKey is returned for a nil key or a key without a scalar.
	ErrNoKey = errors.New("nodekey: no private key")
	// ErrInvalid is wrapped by every parse failure. Error texts never
	// contain key material.
	ErrInvalid = errors.New("nodekey: invalid private key")
)

// LoadOrCreate reads the key at path, or creates it when the file does not
// exist. created reports whether a new key was generated and written.
// The parent directory is created with mode 0700 when missing. Errors name
// the path.
func LoadOrCreate(path string) (key *ecdsa.PrivateKey, created bool, err error) {
	if path == "" {
		return nil, false, errors.New("nodekey: empty key file path")
	}
	key, err = load(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	key, err = create(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created the file between our read and our
		// exclusive create: use its key, never replace it.
		key, err = load(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return key, true, nil
}

func load(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("nodekey: reading key file %s: %w", path, err)
	}
	key, err := Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, nil
}

// create writes a fresh key with O_EXCL, so an existing file is never
// truncated. A file left half-written by a failed write is removed.
func create(path string) (*ecdsa.PrivateKey, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("nodekey: creating directory for key file %s: %w", path, err)
		}
	}
	key, err := gethcrypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("nodekey: generating key: %w", err)
	}
	text, err := Encode(key)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("nodekey: creating key file %s: %w", path, err)
	}
	_, werr := f.WriteString(text)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("nodekey: writing key file %s: %w", path, werr)
	}
	return key, nil
}

// Parse decodes a hex private key as op-node's --p2p.priv.raw takes it:
// 64 hex digits, optionally 0x-prefixed and surrounded by whitespace.
// The zero scalar and scalars not below the curve order are refused.
func Parse(s string) (*ecdsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalid)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		// hex errors quote the offending byte; keep key material out.
		return nil, fmt.Errorf("%w: not hex", ErrInvalid)
	}
	if len(b) != KeyLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalid, len(b), KeyLen)
	}
	key, err := gethcrypto.ToECDSA(b)
	if err != nil {
		return nil, fmt.Errorf("%w: scalar out of range", ErrInvalid)
	}
	return key, nil
}

// Encode returns the key in the file format: 64 lowercase hex digits.
func Encode(key *ecdsa.PrivateKey) (string, error) {
	k, err := Canonical(key)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(gethcrypto.FromECDSA(k)), nil
}

// Canonical returns key rebuilt on go-ethereum's secp256k1 curve, which
// go-ethereum's p2p packages require. It fails for a missing or
// out-of-range scalar, and when the key carries a public point that is not
// the secp256k1 point of its scalar (a key of another curve).
func Canonical(key *ecdsa.PrivateKey) (*ecdsa.PrivateKey, error) {
	if key == nil || key.D == nil {
		return nil, ErrNoKey
	}
	if key.D.Sign() <= 0 || key.D.BitLen() > 8*KeyLen {
		return nil, fmt.Errorf("%w: scalar out of range", ErrInvalid)
	}
	var b [KeyLen]byte
	key.D.FillBytes(b[:])
	k, err := gethcrypto.ToECDSA(b[:])
	if err != nil {
		return nil, fmt.Errorf("%w: scalar out of range", ErrInvalid)
	}
	if key.X != nil && key.Y != nil && (key.X.Cmp(k.X) != 0 || key.Y.Cmp(k.Y) != 0) {
		return nil, fmt.Errorf("%w: not a secp256k1 key", ErrInvalid)
	}
	return k, nil
}

// Libp2pKey converts key to go-libp2p's secp256k1 private key.
func Libp2pKey(key *ecdsa.PrivateKey) (crypto.PrivKey, error) {
	k, err := Canonical(key)
	if err != nil {
		return nil, err
	}
	priv, err := crypto.UnmarshalSecp256k1PrivateKey(gethcrypto.FromECDSA(k))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return priv, nil
}

// PeerID returns the libp2p peer ID of key: the identity multihash of the
// protobuf-encoded compressed public key, printed as 16Uiu2HAm….
func PeerID(key *ecdsa.PrivateKey) (peer.ID, error) {
	priv, err := Libp2pKey(key)
	if err != nil {
		return "", err
	}
	return peer.IDFromPrivateKey(priv)
}

// PeerIDFromPubkey returns the libp2p peer ID of a secp256k1 public key,
// as found in a node record.
func PeerIDFromPubkey(pub *ecdsa.PublicKey) (peer.ID, error) {
	if pub == nil || pub.X == nil || pub.Y == nil {
		return "", errors.New("nodekey: no public key")
	}
	if !gethcrypto.S256().IsOnCurve(pub.X, pub.Y) {
		return "", errors.New("nodekey: public key is not on secp256k1")
	}
	lpub, err := crypto.UnmarshalSecp256k1PublicKey(gethcrypto.CompressPubkey(pub))
	if err != nil {
		return "", fmt.Errorf("nodekey: public key: %w", err)
	}
	return peer.IDFromPublicKey(lpub)
}
