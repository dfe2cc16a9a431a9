package p2p

import (
	"context"
	"crypto/ecdsa"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
)

// BlockSigner signs the gossip of a block built by this node: the signing
// hash of blockmsg.SigningHashOf(chainID, payloadHash), as r‖s‖v with v in
// {0,1}. A remote signer (op-node's opsigner_signBlockPayload) is another
// implementation of it.
type BlockSigner interface {
	SignBlock(ctx context.Context, chainID *big.Int, payloadHash common.Hash) ([65]byte, error)
	Address() common.Address
}

// localSigner holds the key of --p2p.sequencer.key.
type localSigner struct{ key *ecdsa.PrivateKey }

func (s localSigner) SignBlock(_ context.Context, chainID *big.Int, payloadHash common.Hash) ([65]byte, error) {
	var out [65]byte
	sig, err := crypto.Sign(blockmsg.SigningHashOf(chainID, payloadHash).Bytes(), s.key)
	if err != nil {
		return out, err
	}
	copy(out[:], sig)
	return out, nil
}

func (s localSigner) Address() common.Address { return crypto.PubkeyToAddress(s.key.PublicKey) }
