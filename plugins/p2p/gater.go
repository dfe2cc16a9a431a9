package p2p

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/conngater"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// banPrefix is where timed bans live in the peerstore's datastore, so that
// they survive a restart as op-node's do.
var banPrefix = ds.NewKey("/opal/p2p/bans")

// gater decides which connections are allowed: the manual blocks of the
// opp2p API (peers, IPs, subnets; kept by libp2p's basic gater in the
// datastore) and the timed bans of peers whose score fell below the ban
// threshold. Static peers are never banned.
type gater struct {
	*conngater.BasicConnectionGater
	store  ds.Datastore
	static map[peer.ID]bool
	now    func() time.Time

	// restrict, when set, are the only networks peers may be on.
	restrict []*net.IPNet

	mu     sync.Mutex
	bans   map[peer.ID]time.Time
	scores map[peer.ID]float64
}

func newGater(ctx context.Context, store ds.Datastore, static []peer.AddrInfo, now func() time.Time) (*gater, error) {
	basic, err := conngater.NewBasicConnectionGater(store)
	if err != nil {
		return nil, fmt.Errorf("p2p connection gater: %w", err)
	}
	g := &gater{BasicConnectionGater: basic, store: store, static: map[peer.ID]bool{}, now: now,
		bans: map[peer.ID]time.Time{}, scores: map[peer.ID]float64{}}
	for _, s := range static {
		g.static[s.ID] = true
	}
	res, err := store.Query(ctx, query.Query{Prefix: banPrefix.String()})
	if err != nil {
		return nil, fmt.Errorf("p2p bans: %w", err)
	}
	defer res.Close()
	for r := range res.Next() {
		if r.Error != nil || len(r.Value) != 8 {
			continue
		}
		id, err := peer.Decode(ds.RawKey(r.Key).BaseNamespace())
		if err != nil {
			continue
		}
		until := time.Unix(0, int64(binary.BigEndian.Uint64(r.Value)))
		if until.After(now()) && !g.static[id] {
			g.bans[id] = until
		}
	}
	return g, nil
}

// ban shuts a peer out for d (never a static peer).
func (g *gater) ban(id peer.ID, d time.Duration) {
	if g.static[id] {
		return
	}
	until := g.now().Add(d)
	g.mu.Lock()
	g.bans[id] = until
	delete(g.scores, id)
	g.mu.Unlock()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(until.UnixNano()))
	_ = g.store.Put(context.Background(), banPrefix.ChildString(id.String()), b[:])
}

func (g *gater) unban(id peer.ID) {
	g.mu.Lock()
	delete(g.bans, id)
	g.mu.Unlock()
	_ = g.store.Delete(context.Background(), banPrefix.ChildString(id.String()))
}

func (g *gater) isBanned(id peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.bans[id]
	if !ok {
		return false
	}
	if !g.now().Before(until) {
		delete(g.bans, id)
		return false
	}
	return true
}

// banned lists the peers under a timed ban with its end.
func (g *gater) banned() map[peer.ID]time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[peer.ID]time.Time{}
	for id, until := range g.bans {
		if g.now().Before(until) {
			out[id] = until
		}
	}
	return out
}

// updateScores is pubsub's score inspection hook: it keeps the latest
// snapshot for the ban check and the opp2p API.
func (g *gater) updateScores(scores map[peer.ID]float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.scores = make(map[peer.ID]float64, len(scores))
	for id, s := range scores {
		g.scores[id] = s
	}
}

func (g *gater) score(id peer.ID) (float64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.scores[id]
	return s, ok
}

// lowest returns one non-static, not yet banned peer scoring below
// threshold; the ban loop takes one per tick, as op-node does.
func (g *gater) lowest(threshold float64) (peer.ID, float64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var (
		worst peer.ID
		low   float64
		found bool
	)
	for id, s := range g.scores {
		if s >= threshold || g.static[id] {
			continue
		}
		if _, banned := g.bans[id]; banned {
			continue
		}
		if !found || s < low {
			worst, low, found = id, s, true
		}
	}
	return worst, low, found
}

func (g *gater) InterceptPeerDial(p peer.ID) bool {
	return !g.isBanned(p) && g.BasicConnectionGater.InterceptPeerDial(p)
}

func (g *gater) InterceptAddrDial(p peer.ID, a ma.Multiaddr) bool {
	return !g.isBanned(p) && g.allowed(a) && g.BasicConnectionGater.InterceptAddrDial(p, a)
}

func (g *gater) InterceptAccept(c network.ConnMultiaddrs) bool {
	return g.allowed(c.RemoteMultiaddr()) && g.BasicConnectionGater.InterceptAccept(c)
}

// allowed applies netrestrict to an address.
func (g *gater) allowed(a ma.Multiaddr) bool {
	if len(g.restrict) == 0 {
		return true
	}
	ip, err := manet.ToIP(a)
	if err != nil {
		return false
	}
	for _, n := range g.restrict {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	return !g.isBanned(p) && g.BasicConnectionGater.InterceptSecured(dir, p, c)
}

func (g *gater) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	return g.BasicConnectionGater.InterceptUpgraded(c)
}

// parseIPOrSubnet reads an IP address or a CIDR subnet.
func parseSubnet(s string) (*net.IPNet, error) {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a CIDR subnet", s)
	}
	return n, nil
}
