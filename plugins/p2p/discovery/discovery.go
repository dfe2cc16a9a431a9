// Package discovery finds OP Stack peers with discv5 the way op-node does:
// go-ethereum's discv5 on a UDP socket, a node record carrying op-node's
// "opstack" entry, and a random walk that keeps the records of the same
// L2 chain and turns them into libp2p dial targets.
//
// The local record holds secp256k1, tcp (the libp2p port), udp and opstack.
// Like op-node it holds ip only when an advertised IP is configured:
// discv5 learns the external address from PONG votes of many peers (ten in
// go-ethereum), so on a small or loopback network a node without an
// advertised IP publishes a record without address, and other nodes cannot
// put it in their tables. Loopback records are accepted only from loopback
// senders.
package discovery

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/p2p/discover"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/enr"
	"github.com/ethereum/go-ethereum/p2p/netutil"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/opalnode/opal/plugins/p2p/nodekey"
)

// MemoryDB is the DBPath value that keeps the node database in memory
// (op-node's "memory"); the empty path does the same.
const MemoryDB = "memory"

const (
	// DefaultReportInterval is how long Run stays quiet about a peer it has
	// reported, as long as the peer keeps the same addresses.
	DefaultReportInterval = 10 * time.Minute
	// tableKickoff and tableSweep pace Run's passes over the routing
	// table, which feed it the nodes it already knows (bootnodes, nodes
	// from the database) besides those of the random walk. op-node makes
	// one pass after 3 s.
	tableKickoff = 3 * time.Second
	tableSweep   = 30 * time.Second
	// walkBuffer is how many walked nodes may wait for Run's loop.
	walkBuffer = 16
)

// Config configures Start.
type Config struct {
	// Key is the node's secp256k1 key, the same one libp2p uses.
	Key *ecdsa.PrivateKey
	// ChainID is the L2 chain id put in the opstack entry and required of
	// discovered records.
	ChainID uint64

	// ListenIP is the address the UDP socket binds to; nil binds all.
	ListenIP net.IP
	// UDPPort is the UDP port to bind; 0 picks a random free port, as
	// op-node does (its help text claims the TCP port).
	UDPPort int
	// TCPPort is the libp2p TCP port to put in the record, used when
	// AdvertiseTCP is 0. One of the two is required.
	TCPPort int

	// AdvertiseIP, when set, is put in the record as ip (or ip6). Without
	// it the record has an address only once discv5 predicts one.
	AdvertiseIP net.IP
	// AdvertiseTCP overrides TCPPort in the record.
	AdvertiseTCP int
	// AdvertiseUDP is the record's udp port until discv5 predicts one;
	// 0 means the bound port.
	AdvertiseUDP int

	// Bootnodes seed the routing table (see ParseBootnodes). Nodes given
	// by DNS name are resolved by Start; names that do not resolve are
	// left out with a warning instead of failing the start.
	Bootnodes []*enode.Node
	// NetRestrict, when set, limits discovery to these networks
	// (op-node's --p2p.netrestrict).
	NetRestrict *netutil.Netlist

	// DBPath is the node database: "memory" or "" keeps it in memory,
	// anything else is a directory (created when missing) holding a
	// LevelDB database. It keeps the record's sequence number and the
	// records of validated nodes across restarts. go-ethereum seeds the
	// table from it only with nodes it holds a discv4 PONG time for, which
	// discv5 never writes, so a restarted node still needs its bootnodes.
	DBPath string

	// ReportInterval is how soon Run reports a peer again at unchanged
	// addresses; 0 means DefaultReportInterval.
	ReportInterval time.Duration

	// Log receives discovery logs, including go-ethereum's discv5 logs;
	// nil discards them.
	Log *slog.Logger
}

// Discovery is a running discv5 service.
type Discovery struct {
	cfg     Config
	log     *slog.Logger
	db      *enode.DB
	conn    *net.UDPConn
	local   *enode.LocalNode
	udp     *discover.UDPv5
	closing sync.Once

	// considered, when set (by tests), sees every node Run examines and
	// whether it was accepted.
	considered func(n *enode.Node, accepted bool)
}

// Start opens the node database, binds the UDP socket and starts discv5.
func Start(cfg Config) (*Discovery, error) {
	key, err := nodekey.Canonical(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	tcpPort := cfg.TCPPort
	if cfg.AdvertiseTCP != 0 {
		tcpPort = cfg.AdvertiseTCP
	}
	if tcpPort == 0 {
		return nil, errors.New("discovery: no TCP port to put in the node record")
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"TCP port", cfg.TCPPort}, {"UDP port", cfg.UDPPort}, {"advertised TCP port", cfg.AdvertiseTCP}, {"advertised UDP port", cfg.AdvertiseUDP}} {
		if p.v < 0 || p.v > 65535 {
			return nil, fmt.Errorf("discovery: %s %d out of range", p.name, p.v)
		}
	}
	if ip := cfg.AdvertiseIP; ip != nil && (ip.To16() == nil || ip.IsUnspecified() || ip.IsMulticast()) {
		return nil, fmt.Errorf("discovery: cannot advertise IP %s", ip)
	}
	if cfg.ReportInterval <= 0 {
		cfg.ReportInterval = DefaultReportInterval
	}
	lg := cfg.Log
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}

	dbPath := cfg.DBPath
	if dbPath == MemoryDB {
		dbPath = ""
	}
	db, err := enode.OpenDB(dbPath)
	if err != nil {
		return nil, fmt.Errorf("discovery: opening node database %s: %w", cfg.DBPath, err)
	}

	local := enode.NewLocalNode(db, key)
	if cfg.AdvertiseIP != nil {
		ip := cfg.AdvertiseIP
		if ip4 := ip.To4(); ip4 != nil {
			ip = ip4
		}
		local.SetStaticIP(ip)
	}
	local.Set(enr.TCP(tcpPort))
	local.Set(OpStackEntry{ChainID: cfg.ChainID, Version: OpStackVersion})

	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: cfg.ListenIP, Port: cfg.UDPPort})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("discovery: listening on UDP %s: %w", net.JoinHostPort(ipString(cfg.ListenIP), fmt.Sprint(cfg.UDPPort)), err)
	}
	udpPort := cfg.AdvertiseUDP
	if udpPort == 0 {
		udpPort = conn.LocalAddr().(*net.UDPAddr).Port
	}
	local.SetFallbackUDP(udpPort)

	boot, skipped := resolveBootnodes(cfg.Bootnodes, defaultLookup)
	for _, err := range skipped {
		lg.Warn("bootnode left out", "err", err)
	}

	udp, err := discover.ListenV5(conn, local, discover.Config{
		PrivateKey:   key,
		NetRestrict:  cfg.NetRestrict,
		Bootnodes:    boot,
		Log:          log.NewLogger(lg.Handler()),
		ValidSchemes: enode.ValidSchemes,
	})
	if err != nil {
		conn.Close()
		db.Close()
		return nil, fmt.Errorf("discovery: starting discv5: %w", err)
	}
	d := &Discovery{cfg: cfg, log: lg, db: db, conn: conn, local: local, udp: udp}
	self := d.Self()
	lg.Info("discovery started", "enr", self.String(), "id", self.ID(), "udp", d.LocalAddr(),
		"tcp", tcpPort, "chain", cfg.ChainID, "bootnodes", len(boot))
	return d, nil
}

func ipString(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}

// Self returns the current local node record.
func (d *Discovery) Self() *enode.Node { return d.udp.Self() }

// LocalAddr returns the bound UDP address.
func (d *Discovery) LocalAddr() *net.UDPAddr {
	return d.conn.LocalAddr().(*net.UDPAddr)
}

// Close stops discv5 (ending every Run) and closes the node database. It
// may be called more than once.
func (d *Discovery) Close() {
	d.closing.Do(func() {
		d.udp.Close()
		d.db.Close()
	})
}

// Run walks the DHT until ctx ends or the Discovery is closed, and calls
// found for each peer whose record carries this chain's opstack entry
// (version 0), a TCP port and a usable IP. found runs on Run's goroutine,
// one call at a time, so a slow found slows the walk. A peer is reported
// again only when its addresses change or after Config.ReportInterval.
func (d *Discovery) Run(ctx context.Context, found func(peer.AddrInfo)) {
	if found == nil {
		found = func(peer.AddrInfo) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	it := d.udp.RandomNodes()
	walked := make(chan *enode.Node, walkBuffer)
	go func() {
		<-ctx.Done()
		it.Close() // unblocks Next
	}()
	go func() {
		defer close(walked)
		for it.Next() {
			select {
			case walked <- it.Node():
			case <-ctx.Done():
				return
			}
		}
	}()

	sweep := time.NewTimer(tableKickoff)
	defer sweep.Stop()
	rep := reporter{interval: d.cfg.ReportInterval, seen: make(map[peer.ID]report)}
	self := d.local.ID()
	for {
		select {
		case <-ctx.Done():
			return
		case n, ok := <-walked:
			if !ok {
				return // closed
			}
			d.consider(n, self, &rep, found)
		case <-sweep.C:
			for _, n := range d.udp.AllNodes() {
				if ctx.Err() != nil {
					return
				}
				d.consider(n, self, &rep, found)
			}
			rep.prune(time.Now())
			sweep.Reset(tableSweep)
		}
	}
}

func (d *Discovery) consider(n *enode.Node, self enode.ID, rep *reporter, found func(peer.AddrInfo)) {
	ok := n != nil && n.ID() != self && OnChain(n, d.cfg.ChainID)
	var info peer.AddrInfo
	if ok {
		var err error
		if info, err = AddrInfo(n); err != nil {
			d.log.Debug("discovered record not dialable", "id", n.ID(), "err", err)
			ok = false
		}
	}
	if d.considered != nil {
		d.considered(n, ok)
	}
	if ok && rep.due(info, time.Now()) {
		d.log.Debug("discovered peer", "peer", info.ID, "id", n.ID(), "addrs", info.Addrs)
		found(info)
	}
}

// AddrInfo converts a node record to a libp2p dial target: the peer ID of
// its secp256k1 key and /ip4|ip6/<ip>/tcp/<tcp>. It fails for a record
// without TCP port or without a usable (unicast, specified) IP.
func AddrInfo(n *enode.Node) (peer.AddrInfo, error) {
	if n == nil {
		return peer.AddrInfo{}, errors.New("no record")
	}
	tcp := n.TCP()
	if tcp <= 0 || tcp > 65535 {
		return peer.AddrInfo{}, errors.New("no TCP port")
	}
	ip := n.IPAddr().Unmap()
	if !ip.IsValid() {
		return peer.AddrInfo{}, errors.New("no IP address")
	}
	if ip.IsUnspecified() || ip.IsMulticast() {
		return peer.AddrInfo{}, fmt.Errorf("unusable IP address %s", ip)
	}
	id, err := nodekey.PeerIDFromPubkey(n.Pubkey())
	if err != nil {
		return peer.AddrInfo{}, err
	}
	addr, err := ma.NewMultiaddr(fmt.Sprintf("/%s/%s/tcp/%d", ipProto(ip), ip.WithZone("").String(), tcp))
	if err != nil {
		return peer.AddrInfo{}, fmt.Errorf("multiaddr: %w", err)
	}
	return peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{addr}}, nil
}

func ipProto(ip netip.Addr) string {
	if ip.Is4() {
		return "ip4"
	}
	return "ip6"
}

// reporter remembers which peers Run reported, at which addresses.
type report struct {
	addrs string
	at    time.Time
}

type reporter struct {
	interval time.Duration
	seen     map[peer.ID]report
}

func (r *reporter) due(info peer.AddrInfo, now time.Time) bool {
	addrs := make([]string, len(info.Addrs))
	for i, a := range info.Addrs {
		addrs[i] = a.String()
	}
	slices.Sort(addrs)
	key := fmt.Sprint(addrs)
	if last, ok := r.seen[info.ID]; ok && last.addrs == key && now.Sub(last.at) < r.interval {
		return false
	}
	r.seen[info.ID] = report{addrs: key, at: now}
	return true
}

func (r *reporter) prune(now time.Time) {
	for id, last := range r.seen {
		if now.Sub(last.at) >= r.interval {
			delete(r.seen, id)
		}
	}
}

// Table returns the records in the routing table (opp2p_discoveryTable).
func (d *Discovery) Table() []*enode.Node { return d.udp.AllNodes() }
