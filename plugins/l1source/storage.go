package l1source

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"

	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

var _ sdkl1.StorageReader = (*Source)(nil)

// StorageAt implements sdk/l1source.StorageReader. It asks eth_getProof for
// the one slot and checks the account proof against the state root of the
// block's verified header, and the storage proof against the account's
// storage root; an answer that fails is bad data (ErrBadResponse) and the
// request moves to the next endpoint. With trust_rpc it reads the slot with
// eth_getStorageAt instead, unchecked (for endpoints without eth_getProof).
func (s *Source) StorageAt(ctx context.Context, account common.Address, slot, blockHash common.Hash) (common.Hash, error) {
	c, err := s.current()
	if err != nil {
		return common.Hash{}, err
	}
	return c.storageAt(ctx, account, slot, blockHash)
}

func (c *conn) storageAt(ctx context.Context, account common.Address, slot, blockHash common.Hash) (common.Hash, error) {
	id := blockID{hash: &blockHash}
	what := fmt.Sprintf("L1 storage of %s slot %s at block %s", account, slot, blockHash)
	if c.s.trust {
		return c.storageTrusted(ctx, what, id, account, slot)
	}
	root, err := c.stateRoot(ctx, id)
	if err != nil {
		return common.Hash{}, err
	}
	var out common.Hash
	err = failover(ctx, what, c.eps, c.s.retries, func(ctx context.Context, ep *endpoint) error {
		if err := ep.checkChain(ctx, c.chainID, c.rpcKey); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := ep.call(ctx, &raw, "eth_getProof", account, []common.Hash{slot}, blockHash); err != nil {
			switch {
			case notFoundAnswer(err):
				return notFound(ep.name, id)
			case methodMissing(err):
				return fmt.Errorf("%w (without eth_getProof storage cannot be verified; trust_rpc reads it with eth_getStorageAt)", err)
			}
			return err
		}
		if isNull(raw) {
			return notFound(ep.name, id)
		}
		v, err := verifyStorageProof(ep.name, id, root, account, slot, raw)
		if err != nil {
			return err
		}
		out = v
		return nil
	})
	return out, err
}

// stateRoot is the state root of the block id names, from a cached block or
// a verified header.
func (c *conn) stateRoot(ctx context.Context, id blockID) (common.Hash, error) {
	if v, ok := c.cache.get(cacheKey{kindBlock, *id.hash}); ok {
		return v.(*block).header.Root, nil
	}
	h, hash, err := c.fetchHeader(ctx, id)
	if err != nil {
		return common.Hash{}, err
	}
	c.remember(headerRef(h, hash))
	return h.Root, nil
}

// storageTrusted reads a slot with eth_getStorageAt (trust_rpc).
func (c *conn) storageTrusted(ctx context.Context, what string, id blockID, account common.Address, slot common.Hash) (common.Hash, error) {
	var out common.Hash
	err := failover(ctx, what, c.eps, c.s.retries, func(ctx context.Context, ep *endpoint) error {
		if err := ep.checkChain(ctx, c.chainID, c.rpcKey); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := ep.call(ctx, &raw, "eth_getStorageAt", account, slot, *id.hash); err != nil {
			if notFoundAnswer(err) {
				return notFound(ep.name, id)
			}
			return err
		}
		if isNull(raw) {
			return notFound(ep.name, id)
		}
		var v hexutil.Bytes
		if err := json.Unmarshal(raw, &v); err != nil || len(v) > common.HashLength {
			return badData(ep.name, id.String(), "eth_getStorageAt answered %.80s, not a storage word", raw)
		}
		out = common.BytesToHash(v)
		return nil
	})
	return out, err
}

// proofAnswer is an eth_getProof result (EIP-1186), of the fields checked.
type proofAnswer struct {
	Address      *common.Address `json:"address"`
	AccountProof []hexutil.Bytes `json:"accountProof"`
	StorageHash  common.Hash     `json:"storageHash"`
	StorageProof []struct {
		Key   string          `json:"key"`
		Value string          `json:"value"`
		Proof []hexutil.Bytes `json:"proof"`
	} `json:"storageProof"`
}

// verifyStorageProof checks an eth_getProof answer for one slot against
// the block's state root and returns the proven value. The account proof
// must lead from root to the account (or prove it absent), the storage
// proof from the account's storage root to the slot (or prove it unset),
// and the values the answer states must be the proven ones.
func verifyStorageProof(ep string, id blockID, root common.Hash, account common.Address, slot common.Hash, raw json.RawMessage) (common.Hash, error) {
	bad := func(format string, args ...any) (common.Hash, error) {
		return common.Hash{}, badData(ep, id.String(), "eth_getProof: %s", fmt.Sprintf(format, args...))
	}
	var doc proofAnswer
	if err := json.Unmarshal(raw, &doc); err != nil {
		return bad("decoding the answer: %v", err)
	}
	if doc.Address != nil && *doc.Address != account {
		return bad("the answer is for account %s", *doc.Address)
	}
	accRLP, err := trie.VerifyProof(root, crypto.Keccak256(account[:]), proofDB(doc.AccountProof))
	if err != nil {
		return bad("the account proof does not verify against the state root %s: %v", root, err)
	}
	storageRoot := types.EmptyRootHash
	if accRLP != nil {
		var acc types.StateAccount
		if err := rlp.DecodeBytes(accRLP, &acc); err != nil {
			return bad("the proven account does not decode: %v", err)
		}
		storageRoot = acc.Root
		if doc.StorageHash != storageRoot {
			return bad("storageHash %s, the proven account's storage root is %s", doc.StorageHash, storageRoot)
		}
	} else if doc.StorageHash != (common.Hash{}) && doc.StorageHash != types.EmptyRootHash {
		return bad("storageHash %s for an account the proof shows absent", doc.StorageHash)
	}
	if len(doc.StorageProof) != 1 {
		return bad("%d storage proofs for one slot", len(doc.StorageProof))
	}
	sp := doc.StorageProof[0]
	if key, ok := word(sp.Key); !ok || key != slot {
		return bad("the storage proof is for key %q", sp.Key)
	}
	claimed, ok := word(sp.Value)
	if !ok {
		return bad("value %q is not a storage word", sp.Value)
	}
	var value common.Hash
	if storageRoot != types.EmptyRootHash {
		enc, err := trie.VerifyProof(storageRoot, crypto.Keccak256(slot[:]), proofDB(sp.Proof))
		if err != nil {
			return bad("the storage proof does not verify against the storage root %s: %v", storageRoot, err)
		}
		if enc != nil {
			content, _, err := rlp.SplitString(enc)
			if err != nil || len(content) > common.HashLength {
				return bad("the proven value does not decode")
			}
			value = common.BytesToHash(content)
		}
	}
	if claimed != value {
		return bad("the answer says %s, the proof %s", claimed, value)
	}
	return value, nil
}

// proofDB holds proof nodes by their hash, as trie.VerifyProof reads them.
func proofDB(nodes []hexutil.Bytes) *memorydb.Database {
	db := memorydb.New()
	for _, n := range nodes {
		_ = db.Put(crypto.Keccak256(n), n)
	}
	return db
}

// word parses a storage key or value as endpoints write them: a 32-byte
// hex string, or a hex quantity without leading zeros.
func word(s string) (common.Hash, bool) {
	h, ok := strings.CutPrefix(strings.TrimSpace(s), "0x")
	if !ok || h == "" || len(h) > 2*common.HashLength {
		return common.Hash{}, false
	}
	if len(h)%2 == 1 {
		h = "0" + h
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return common.Hash{}, false
	}
	return common.BytesToHash(b), true
}
