package l1

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
)

// Sidecar is one blob of a block, as the beacon chain keeps it.
type Sidecar struct {
	// Index is the blob's position among all blobs of its block.
	Index         uint64
	Blob          kzg4844.Blob
	Commitment    kzg4844.Commitment
	Proof         kzg4844.Proof
	VersionedHash common.Hash
}

// blobStore keeps the sidecars of recent blocks by block hash, so blocks
// of abandoned branches keep theirs and a reorg needs no bookkeeping: the
// beacon API looks up the canonical block of a slot first.
type blobStore struct {
	retention uint64
	// dir, when set, keeps every block's sidecars on disk too, so that a
	// chain reopened from its data dir still serves the blobs derivation
	// reads again after a restart.
	dir string

	mu      sync.RWMutex
	byBlock map[common.Hash]blockBlobs
}

type blockBlobs struct {
	number   uint64
	sidecars []Sidecar
}

func newBlobStore(retention uint64, dir string) *blobStore {
	return &blobStore{retention: retention, dir: dir, byBlock: make(map[common.Hash]blockBlobs)}
}

func (s *blobStore) path(hash common.Hash) string { return filepath.Join(s.dir, hash.Hex()+".json") }

// put records the sidecars of a new block and forgets those of blocks
// more than retention blocks below it.
func (s *blobStore) put(h *types.Header, sidecars []Sidecar) {
	num := h.Number.Uint64()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(sidecars) > 0 {
		s.byBlock[h.Hash()] = blockBlobs{number: num, sidecars: sidecars}
		if s.dir != "" {
			// Best effort: a blob that cannot be written is served from
			// memory until the node stops.
			if data, err := json.Marshal(sidecars); err == nil && os.MkdirAll(s.dir, 0o755) == nil {
				_ = os.WriteFile(s.path(h.Hash()), data, 0o644)
			}
		}
	}
	if num > s.retention {
		for hash, b := range s.byBlock {
			if b.number < num-s.retention {
				delete(s.byBlock, hash)
			}
		}
	}
}

// get returns the sidecars of a block; a block without blobs, or whose
// blobs were pruned, has none.
func (s *blobStore) get(hash common.Hash) []Sidecar {
	s.mu.RLock()
	b, ok := s.byBlock[hash]
	s.mu.RUnlock()
	if ok || s.dir == "" {
		return b.sidecars
	}
	data, err := os.ReadFile(s.path(hash))
	if err != nil {
		return nil
	}
	var sidecars []Sidecar
	if json.Unmarshal(data, &sidecars) != nil {
		return nil
	}
	return sidecars
}

// Sidecars returns the blob sidecars of the block with the given hash.
func (n *Node) Sidecars(blockHash common.Hash) []Sidecar { return n.blobs.get(blockHash) }
