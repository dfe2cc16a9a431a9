package l1source

import (
	"container/list"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// cacheKind separates the kinds of cached values that share the key space
// of hashes.
type cacheKind uint8

const (
	kindRef   cacheKind = iota + 1 // header reference by block hash
	kindBlock                      // verified block with receipts by block hash
	kindBlob                       // verified blob by versioned hash
)

type cacheKey struct {
	kind cacheKind
	hash common.Hash
}

// Everything cached is keyed by a hash of its content (a block hash or a
// blob's versioned hash), so an entry never goes stale; only its size in
// bytes limits how long it stays.
type lru struct {
	mu        sync.Mutex
	max, used int64
	order     *list.List // front: most recently used
	items     map[cacheKey]*list.Element
	hits      uint64
	misses    uint64
	evictions uint64
}

type lruEntry struct {
	key  cacheKey
	val  any
	size int64
}

// entryOverhead approximates the bookkeeping of one entry (list element,
// map slot, key): it keeps a cache of many small refs honest.
const entryOverhead = 160

func newLRU(maxBytes int64) *lru {
	return &lru{max: maxBytes, order: list.New(), items: map[cacheKey]*list.Element{}}
}

// get returns the value under key, counting a hit or a miss.
func (c *lru) get(key cacheKey) (any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry).val, true
}

// add stores val, whose size is about size bytes, evicting the least
// recently used entries until the total fits. A value larger than the whole
// budget is not stored.
func (c *lru) add(key cacheKey, val any, size int64) {
	if c == nil {
		return
	}
	size += entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.max {
		return
	}
	if el, ok := c.items[key]; ok {
		e := el.Value.(*lruEntry)
		c.used += size - e.size
		e.val, e.size = val, size
		c.order.MoveToFront(el)
	} else {
		c.items[key] = c.order.PushFront(&lruEntry{key: key, val: val, size: size})
		c.used += size
	}
	for c.used > c.max {
		last := c.order.Back()
		e := last.Value.(*lruEntry)
		c.order.Remove(last)
		delete(c.items, e.key)
		c.used -= e.size
		c.evictions++
	}
}

// Stats are the source's counters.
type Stats struct {
	// CacheHits and CacheMisses count lookups of blocks, refs and blobs.
	CacheHits   uint64
	CacheMisses uint64
	// CacheEvictions counts entries dropped to stay within the budget.
	CacheEvictions uint64
	CacheEntries   int
	CacheBytes     int64
	CacheMaxBytes  int64
	// Prefetched counts blocks fetched ahead of the caller.
	Prefetched uint64
}

func (c *lru) stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		CacheHits: c.hits, CacheMisses: c.misses, CacheEvictions: c.evictions,
		CacheEntries: len(c.items), CacheBytes: c.used, CacheMaxBytes: c.max,
	}
}

// has reports whether key is cached without counting a lookup or
// refreshing the entry.
func (c *lru) has(key cacheKey) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.items[key]
	return ok
}
