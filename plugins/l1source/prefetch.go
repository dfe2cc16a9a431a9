package l1source

import (
	"sync"
	"sync/atomic"

	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// maxPrefetchWorkers bounds the fetches the prefetcher keeps in flight:
// enough to hide an endpoint's latency, few enough not to crowd out the
// caller's own requests or trip a provider's rate limit.
const maxPrefetchWorkers = 4

// prefetcher fetches the next blocks when a caller walks L1 by increasing
// number (derivation catching up), so that the next BlockData calls find
// them verified in the cache.
type prefetcher struct {
	c     *conn
	ahead uint64
	slots chan struct{}
	done  atomic.Uint64

	mu       sync.Mutex
	last     uint64
	haveLast bool
}

func newPrefetcher(c *conn, ahead int) *prefetcher {
	return &prefetcher{c: c, ahead: uint64(ahead), slots: make(chan struct{}, min(ahead, maxPrefetchWorkers))}
}

// after notes a BlockData request by number and, if it continues an
// increasing walk, starts fetching the blocks after it that are neither
// cached nor already on their way. Blobs are fetched too when the request
// asked for them.
func (p *prefetcher) after(req sdkl1.BlockDataRequest) {
	p.mu.Lock()
	walking := p.haveLast && req.Number == p.last+1
	p.last, p.haveLast = req.Number, true
	p.mu.Unlock()
	if !walking {
		return
	}
	head, knowHead := p.c.index.headNumber()
	for n := req.Number + 1; n <= req.Number+p.ahead && n > req.Number; n++ {
		if knowHead && n > head {
			return
		}
		if p.c.cached(n) || p.c.flights.busy(numberKey(n)) {
			continue
		}
		select {
		case p.slots <- struct{}{}:
		default:
			return // all workers busy; the next call continues
		}
		next := req
		next.Hash, next.Number = nil, n
		go func() {
			defer func() { <-p.slots }()
			if _, err := p.c.blockData(p.c.bg, next); err == nil {
				p.done.Add(1)
			}
		}()
	}
}
