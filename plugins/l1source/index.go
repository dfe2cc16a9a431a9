package l1source

import (
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
)

// Block numbers map to hashes only as long as the chain does not reorg, so
// the number index is more careful than the hash-keyed cache: an entry at
// or below the finalized block stays; above it an entry is trusted for
// numberTTL only, and is dropped as soon as a head, a fetched block or a
// parent link contradicts it. Within numberTTL a reorged block may still be
// served by number, exactly as from an endpoint that lags a little;
// derivation notices through the parent hashes.
const (
	numberTTL       = 12 * time.Second
	maxIndexEntries = 1 << 13
)

type numberIndex struct {
	mu        sync.Mutex
	m         map[uint64]numEntry
	finalized uint64
	head      uint64
	haveHead  bool
}

type numEntry struct {
	hash, parent common.Hash
	at           time.Time
}

func newNumberIndex() *numberIndex { return &numberIndex{m: map[uint64]numEntry{}} }

// lookup returns the hash believed to be block n now.
func (x *numberIndex) lookup(n uint64, now time.Time) (common.Hash, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.m[n]
	if !ok {
		return common.Hash{}, false
	}
	if n > x.finalized && now.Sub(e.at) > numberTTL {
		delete(x.m, n)
		return common.Hash{}, false
	}
	return e.hash, true
}

// add records block ref. A ref that contradicts an entry (another hash at
// its number, or a neighbour that does not link to it) means a reorg: every
// entry above the finalized block goes, since its depth is unknown.
func (x *numberIndex) add(ref eth.L1BlockRef, now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := ref.Number
	old, haveOld := x.m[n]
	below, haveBelow := x.m[n-1]
	above, haveAbove := x.m[n+1]
	if (haveOld && old.hash != ref.Hash) || (n > 0 && haveBelow && below.hash != ref.ParentHash) ||
		(haveAbove && above.parent != ref.Hash) {
		x.dropFrom(x.finalized + 1)
	}
	x.m[n] = numEntry{hash: ref.Hash, parent: ref.ParentHash, at: now}
	if x.haveHead && n > x.head {
		x.head = n // the chain is at least this long
	}
	if len(x.m) > maxIndexEntries {
		for k := range x.m {
			if k+maxIndexEntries/2 < n || k > n+maxIndexEntries/2 {
				delete(x.m, k)
			}
		}
	}
}

// observe takes a head update into account: a head that moved back, or
// onto another block at an indexed number, is a reorg (see add); the
// finalized number lets the entries below it live on.
func (x *numberIndex) observe(label eth.BlockLabel, ref eth.L1BlockRef) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch label {
	case eth.Finalized:
		x.finalized = max(x.finalized, ref.Number)
	case eth.Unsafe:
		if x.haveHead && ref.Number < x.head {
			x.dropFrom(max(ref.Number+1, x.finalized+1))
		}
		x.head, x.haveHead = ref.Number, true
	}
	if e, ok := x.m[ref.Number]; ok && e.hash != ref.Hash {
		x.dropFrom(x.finalized + 1)
	}
}

// headNumber returns the newest head seen, if any.
func (x *numberIndex) headNumber() (uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.head, x.haveHead
}

func (x *numberIndex) dropFrom(n uint64) {
	for k := range x.m {
		if k >= n {
			delete(x.m, k)
		}
	}
}
