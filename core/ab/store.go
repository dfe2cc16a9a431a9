package ab

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var divergencesBucket = []byte("divergences")

// Store keeps the latest divergences on disk, at most a fixed number of
// them, keyed by L2 block number: a node that diverges on every block
// for weeks uses bounded disk, and the newest ones are what an operator
// asks for first.
type Store struct {
	db  *bolt.DB
	max int
	mu  sync.Mutex
	n   int // entries held (Put keeps it, not a bucket walk)
}

// OpenStore opens (or creates) the store file; max bounds how many
// divergences it keeps (the lowest blocks are dropped first).
func OpenStore(path string, max int) (*Store, error) {
	if max <= 0 {
		return nil, fmt.Errorf("A/B store size must be positive, got %d", max)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open A/B store %s: %w", path, err)
	}
	s := &Store{db: db, max: max}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(divergencesBucket)
		if err == nil {
			s.n = b.Stats().KeyN
		}
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open A/B store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// Put stores d (replacing an earlier divergence of the same block) and
// drops the lowest blocks beyond the bound.
func (s *Store) Put(d Divergence) error {
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.n
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(divergencesBucket)
		if b.Get(key(d.L2Block)) == nil {
			n++
		}
		if err := b.Put(key(d.L2Block), v); err != nil {
			return err
		}
		c := b.Cursor()
		for ; n > s.max; n-- {
			if k, _ := c.First(); k == nil {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.n = n
	}
	return err
}

// Count is how many divergences the store holds.
func (s *Store) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// List returns up to limit divergences of L2 blocks at or above from, in
// block order.
func (s *Store) List(from uint64, limit int) ([]Divergence, error) {
	out := []Divergence{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(divergencesBucket).Cursor()
		for k, v := c.Seek(key(from)); k != nil && len(out) < limit; k, v = c.Next() {
			var d Divergence
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("A/B store entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}
