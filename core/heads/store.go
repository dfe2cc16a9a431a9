package heads

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/opalnode/opal/sdk/eth"
)

// Store persists the heads, the safe-head-by-L1-block index and small
// node flags in one bbolt file. bbolt was chosen over pebble because the
// node writes a few small records per block and needs each write to be
// atomic and durable on its own: bbolt commits are copy-on-write with an
// fsync per transaction, so a kill -9 at any moment leaves either the old or
// the new state, in a single file with no background compaction, and it is
// a small pure-Go dependency.
type Store struct {
	db *bolt.DB
}

var (
	bucketMeta   = []byte("meta")
	bucketSafeDB = []byte("safedb")
	keyHeads     = []byte("heads")
)

// Open opens (creating if needed) the store in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, "opal.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("store %s is locked: is another opal running on this data dir?", path)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketSafeDB} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("init store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// SaveHeads writes the heads atomically.
func (s *Store) SaveHeads(h Heads) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyHeads, b) })
}

// LoadHeads returns the stored heads; ok is false on a fresh store.
func (s *Store) LoadHeads() (h Heads, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta).Get(keyHeads)
		if b == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(b, &h)
	})
	if err != nil {
		return Heads{}, false, fmt.Errorf("stored heads are unreadable: %w", err)
	}
	return h, ok, nil
}

// SetFlag stores a small named value (e.g. whether the sequencer is active).
func (s *Store) SetFlag(name string, v []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("flag/"+name), v) })
}

// Flag reads a named value; nil when unset.
func (s *Store) Flag(name string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte("flag/" + name)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SafeHeadEntry is the safe head as of an L1 block.
type SafeHeadEntry struct {
	L1     eth.BlockID `json:"l1Block"`
	SafeL2 eth.BlockID `json:"safeHead"`
}

func l1Key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// RecordSafeHead records that after processing L1 block l1 the safe head was
// l2. Later entries for the same L1 block overwrite earlier ones.
func (s *Store) RecordSafeHead(l1 eth.BlockID, l2 eth.BlockID) error {
	b, err := json.Marshal(SafeHeadEntry{L1: l1, SafeL2: l2})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSafeDB).Put(l1Key(l1.Number), b) })
}

// TruncateSafeHeads drops the entries of L1 blocks after l1Number (after a
// reset: derivation will write them again).
func (s *Store) TruncateSafeHeads(l1Number uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error { return truncateAfter(tx.Bucket(bucketSafeDB), l1Number) })
}

// truncateAfter deletes the entries of L1 blocks after l1Number. Keys are
// collected first: deleting under a moving cursor skips entries in bbolt.
func truncateAfter(b *bolt.Bucket, l1Number uint64) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(l1Key(l1Number + 1)); k != nil; k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// SafeHeadAt returns the safe head recorded at the highest L1 block at or
// below l1Number; eth.ErrNotFound when none is.
func (s *Store) SafeHeadAt(l1Number uint64) (SafeHeadEntry, error) {
	var e SafeHeadEntry
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSafeDB).Cursor()
		k, v := c.Seek(l1Key(l1Number))
		switch {
		case k == nil:
			k, v = c.Last()
		case binary.BigEndian.Uint64(k) > l1Number:
			k, v = c.Prev()
		}
		if k == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &e)
	})
	if err != nil {
		return e, err
	}
	if !found {
		return e, fmt.Errorf("no safe head recorded at or below L1 block %d: %w", l1Number, eth.ErrNotFound)
	}
	return e, nil
}

// FirstSafeAtLeast returns the entry of the lowest L1 block at which the
// safe head had reached L2 block l2Number (op-node's L1AtSafeHead: the L1
// data a block's safety requires); eth.ErrNotFound when no recorded safe
// head reaches it. Safe heads grow with L1 in the index (resets truncate
// it), so the search halves the L1 key range.
func (s *Store) FirstSafeAtLeast(l2Number uint64) (SafeHeadEntry, error) {
	var best SafeHeadEntry
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSafeDB).Cursor()
		first, _ := c.First()
		last, lastV := c.Last()
		if first == nil {
			return nil
		}
		var e SafeHeadEntry
		if err := json.Unmarshal(lastV, &e); err != nil {
			return err
		}
		if e.SafeL2.Number < l2Number {
			return nil
		}
		best, found = e, true
		lo, hi := binary.BigEndian.Uint64(first), binary.BigEndian.Uint64(last)
		// Invariant: the entry at the first key >= hi reaches l2Number.
		for lo < hi {
			mid := lo + (hi-lo)/2
			k, v := c.Seek(l1Key(mid))
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if e.SafeL2.Number >= l2Number {
				best = e
				hi = mid
				if kn := binary.BigEndian.Uint64(k); kn < hi {
					hi = kn
				}
			} else {
				lo = binary.BigEndian.Uint64(k) + 1
			}
		}
		k, v := c.Seek(l1Key(lo))
		if k != nil {
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if e.SafeL2.Number >= l2Number {
				best = e
			}
		}
		return nil
	})
	if err != nil {
		return best, err
	}
	if !found {
		return best, fmt.Errorf("no recorded safe head reaches L2 block %d: %w", l2Number, eth.ErrNotFound)
	}
	return best, nil
}
