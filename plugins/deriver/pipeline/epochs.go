package pipeline

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
)

// epochStore keeps, for every fed L1 block that may still become the L1
// origin of a derived block, what the attributes builder reads of it: the
// header (L1-info deposit, prevRandao, beacon root) and the receipts (user
// deposits, system config updates). Batcher transactions and blobs are not
// kept: they are read once, by the retrieval stage.
type epochStore struct {
	byNumber map[uint64]epochEntry
	min      uint64 // no block below min is kept
}

type epochEntry struct {
	hash common.Hash // cached: hashing a header is not free
	data *eth.L1BlockData
}

func (s *epochStore) reset() {
	s.byNumber = make(map[uint64]epochEntry)
	s.min = 0
}

func (s *epochStore) add(d *eth.L1BlockData, hash common.Hash) {
	n := d.Header.Number.Uint64()
	if n < s.min {
		return
	}
	s.byNumber[n] = epochEntry{hash: hash, data: &eth.L1BlockData{Header: d.Header, Receipts: d.Receipts}}
}

// get returns the block with the given number and hash, or nil.
func (s *epochStore) get(id eth.BlockID) *eth.L1BlockData {
	e, ok := s.byNumber[id.Number]
	if !ok || e.hash != id.Hash {
		return nil
	}
	return e.data
}

// prune forgets blocks below number: derivation never goes back to an L1
// origin older than the parent's.
func (s *epochStore) prune(number uint64) {
	if number <= s.min {
		return
	}
	for n := range s.byNumber {
		if n < number {
			delete(s.byNumber, n)
		}
	}
	s.min = number
}
