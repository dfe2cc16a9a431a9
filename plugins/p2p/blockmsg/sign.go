package blockmsg

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// SignatureSize is the size of a block signature: r‖s‖v.
const SignatureSize = 65

// SigningDomain is the signing domain of version 1 block signatures: 32 zero
// bytes.
var SigningDomain = [32]byte{}

// two256 is 2^256, the modulus chain ids are reduced by.
var two256 = new(big.Int).Lsh(big.NewInt(1), 256)

// PayloadHash is keccak256(body), the payload hash the signature commits to.
// For V3 and V4 the body includes the parent beacon block root.
func PayloadHash(body []byte) common.Hash { return crypto.Keccak256Hash(body) }

// SigningHash is the hash a block message's signature is over:
// keccak256(32 zero bytes ‖ chain id as a 32-byte big-endian integer ‖
// keccak256(body)).
func SigningHash(chainID *big.Int, body []byte) common.Hash {
	return SigningHashOf(chainID, PayloadHash(body))
}

// SigningHashOf is SigningHash from the payload hash keccak256(body). A nil
// chain id is zero; a chain id outside uint256 is taken modulo 2^256.
func SigningHashOf(chainID *big.Int, payloadHash common.Hash) common.Hash {
	var msg [96]byte
	copy(msg[:32], SigningDomain[:])
	if chainID != nil {
		id := chainID
		if id.Sign() < 0 || id.BitLen() > 256 {
			id = new(big.Int).Mod(id, two256)
		}
		id.FillBytes(msg[32:64])
	}
	copy(msg[64:], payloadHash[:])
	return crypto.Keccak256Hash(msg[:])
}

// Sign signs a message body for the chain: r‖s‖v with v in {0,1} and a low s.
func Sign(key *ecdsa.PrivateKey, chainID *big.Int, body []byte) ([SignatureSize]byte, error) {
	var out [SignatureSize]byte
	if key == nil {
		return out, fmt.Errorf("%w: no signing key", ErrSignature)
	}
	h := SigningHash(chainID, body)
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return out, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	copy(out[:], sig)
	return out, nil
}

// RecoverSigner returns the address that signed the body for the chain. v
// must be 0 or 1 (27 and 28 are refused, as op-node's recovery does). A
// high s is accepted, as op-node's recovery does, so a malleated signature
// (s → n−s, v^1) recovers the same signer. Errors wrap ErrSignature.
func RecoverSigner(chainID *big.Int, sig [SignatureSize]byte, body []byte) (common.Address, error) {
	if v := sig[64]; v > 1 {
		return common.Address{}, fmt.Errorf("%w: recovery id %d, want 0 or 1", ErrSignature, v)
	}
	h := SigningHash(chainID, body)
	pub, err := crypto.SigToPub(h[:], sig[:])
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: recovering the signer of signing hash %s: %v", ErrSignature, h, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}
