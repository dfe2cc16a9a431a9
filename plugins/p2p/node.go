package p2p

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/p2p/netutil"
	"github.com/hashicorp/go-hclog"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	leveldb "github.com/ipfs/go-ds-leveldb"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/host/peerstore/pstoreds"
	"github.com/libp2p/go-libp2p/p2p/host/peerstore/pstoremem"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/opalnode/opal/plugins/p2p/discovery"
	"github.com/opalnode/opal/plugins/p2p/nodekey"
	"github.com/opalnode/opal/plugins/p2p/reqresp"
	"github.com/opalnode/opal/sdk/eth"
	sdkhost "github.com/opalnode/opal/sdk/host"
	sdkp2p "github.com/opalnode/opal/sdk/p2p"
	"github.com/opalnode/opal/sdk/rollup"
)

// staticDialTimeout bounds one dial of a static peer.
const staticDialTimeout = 10 * time.Second

// node is one running p2p stack: the libp2p host, gossip on the four block
// topics, discovery, req/resp, and the loops that keep static peers and bans.
type node struct {
	log     hclog.Logger
	set     settings
	rollup  *rollup.Config
	host    host.Host
	ps      *pubsub.PubSub
	topics  [4]*pubsub.Topic
	val     *validator
	signers *signerSet
	signer  BlockSigner // nil: this node does not publish
	gater   *gater
	disc    *discovery.Discovery
	static  []peer.AddrInfo
	store   ds.Batching
	stats   *stats
	mesh    *meshTracer
	sync    *reqresp.Client
	deliver func(sdkp2p.Received)

	// ctx is the node's lifetime: cancelled by close.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startNode builds and starts the stack. deliver receives every accepted
// block from a peer (never the node's own).
func startNode(set settings, cfg *rollup.Config, hostSvc sdkhost.Host, signers *signerSet, log hclog.Logger, deliver func(sdkp2p.Received)) (_ *node, err error) {
	if cfg == nil || cfg.L2ChainID == nil {
		return nil, fmt.Errorf("%w: p2p needs the rollup config (l2_chain_id)", eth.ErrInvalidArgument)
	}
	n := &node{log: log, set: set, rollup: cfg, signers: signers, stats: newStats(), mesh: newMeshTracer(), deliver: deliver}
	ctx, cancel := context.WithCancel(context.Background())
	n.ctx, n.cancel = ctx, cancel
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	key, err := n.loadKey()
	if err != nil {
		return nil, err
	}
	if set.sequencerKey != "" {
		key, err := nodekey.Parse(set.sequencerKey)
		if err != nil {
			return nil, badKey("sequencer_key", "not a hex private key: %v", err)
		}
		n.signer = localSigner{key: key}
		log.Info("block signing key loaded", "address", n.signer.Address())
	}
	if n.store, err = openStore(set.peerstore); err != nil {
		return nil, fmt.Errorf("p2p peerstore %s: %w", set.peerstore, err)
	}
	for _, s := range set.static {
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return nil, badKey("static", "%q: %v (a static peer is a full multiaddr ending in /p2p/<peer id>)", s, err)
		}
		n.static = append(n.static, *ai)
	}
	if n.gater, err = newGater(ctx, n.store, n.static, time.Now); err != nil {
		return nil, err
	}
	n.gater.restrict = set.netRestrict
	ps, err := n.peerstore(ctx)
	if err != nil {
		return nil, err
	}
	cm, err := connmgr.NewConnManager(set.peersLo, set.peersHi, connmgr.WithGracePeriod(set.peersGrace))
	if err != nil {
		return nil, fmt.Errorf("p2p connection manager: %w", err)
	}
	lk, err := nodekey.Libp2pKey(key)
	if err != nil {
		return nil, err
	}
	listen, err := ma.NewMultiaddr(fmt.Sprintf("/%s/%s/tcp/%d", ipProto(set.listenIP), set.listenIP, set.listenTCP))
	if err != nil {
		return nil, badKey("listen_ip", "%v", err)
	}
	opts := []libp2p.Option{
		libp2p.Identity(lk),
		libp2p.NoTransports,
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ListenAddrs(listen),
		libp2p.Peerstore(ps),
		libp2p.ConnectionManager(cm),
		libp2p.ConnectionGater(n.gater),
		libp2p.UserAgent(set.userAgent),
		libp2p.Ping(set.ping),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.WithDialTimeout(set.dialTimeout),
	}
	if set.nat {
		opts = append(opts, libp2p.NATPortMap())
	}
	if set.advertiseIP != nil || set.advertiseTCP != 0 {
		opts = append(opts, libp2p.AddrsFactory(n.advertised))
	}
	if n.host, err = libp2p.New(opts...); err != nil {
		return nil, fmt.Errorf("p2p host on %s: %w", listen, err)
	}
	if err := n.startGossip(ctx); err != nil {
		return nil, err
	}
	if set.reqResp {
		reqresp.Serve(n.host, cfg, hostSvc, log.Named("reqresp"), n.stats.reqresp)
	}
	n.sync = reqresp.NewClient(n.host, cfg, log.Named("sync"), n.stats.reqresp)
	if set.onlyStatic {
		static := map[peer.ID]bool{}
		for _, s := range n.static {
			static[s.ID] = true
		}
		n.sync.Only = func(id peer.ID) bool { return static[id] }
	}
	if !set.noDiscovery {
		if err := n.startDiscovery(key); err != nil {
			return nil, err
		}
	}
	n.host.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			log.Debug("peer connected", "peer", c.RemotePeer(), "addr", c.RemoteMultiaddr().String(), "dir", c.Stat().Direction.String())
		},
		DisconnectedF: func(_ network.Network, c network.Conn) {
			log.Debug("peer disconnected", "peer", c.RemotePeer())
			if n.host.Network().Connectedness(c.RemotePeer()) != network.Connected {
				n.mesh.drop(c.RemotePeer())
			}
		},
	})
	for _, s := range n.static {
		n.host.ConnManager().Protect(s.ID, "static")
	}
	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.keepStatic(ctx) }()
	go func() { defer n.wg.Done(); n.watchScores(ctx) }()
	log.Info("p2p started", "peer_id", n.host.ID(), "listen", n.host.Addrs(), "static", len(n.static), "discovery", !set.noDiscovery, "req_resp", set.reqResp)
	return n, nil
}

func (n *node) loadKey() (*ecdsa.PrivateKey, error) {
	if n.set.privRaw != "" {
		k, err := nodekey.Parse(n.set.privRaw)
		if err != nil {
			return nil, badKey("priv_raw", "%v", err)
		}
		return k, nil
	}
	k, created, err := nodekey.LoadOrCreate(n.set.privPath)
	if err != nil {
		return nil, fmt.Errorf("%w: p2p config priv_path: %v", eth.ErrInvalidArgument, err)
	}
	if created {
		n.log.Info("created a new p2p node key", "path", n.set.privPath)
	}
	return k, nil
}

func (n *node) peerstore(ctx context.Context) (peerstore.Peerstore, error) {
	if n.set.peerstore == "" {
		return pstoremem.NewPeerstore()
	}
	opts := pstoreds.DefaultOpts()
	return pstoreds.NewPeerstore(ctx, n.store, opts)
}

// openStore opens the peerstore's datastore: leveldb on disk (op-node's
// choice, so bans and peers survive restarts), or a map in memory.
func openStore(path string) (ds.Batching, error) {
	if path == "" {
		return dssync.MutexWrap(ds.NewMapDatastore()), nil
	}
	return leveldb.NewDatastore(path, nil)
}

// advertised rewrites the host's addresses to the configured public ones.
func (n *node) advertised(addrs []ma.Multiaddr) []ma.Multiaddr {
	ip, port := n.set.advertiseIP, n.set.advertiseTCP
	if ip == nil && len(addrs) > 0 {
		if v, err := manet.ToIP(addrs[0]); err == nil {
			ip = v
		}
	}
	if port == 0 {
		if tcpAddr, err := n.listenTCPPort(); err == nil {
			port = tcpAddr
		}
	}
	if ip == nil || port == 0 {
		return addrs
	}
	a, err := ma.NewMultiaddr(fmt.Sprintf("/%s/%s/tcp/%d", ipProto(ip), ip, port))
	if err != nil {
		return addrs
	}
	return []ma.Multiaddr{a}
}

func (n *node) listenTCPPort() (int, error) {
	if n.host == nil {
		return 0, errors.New("no host")
	}
	for _, a := range n.host.Network().ListenAddresses() {
		if p, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			var port int
			if _, err := fmt.Sscan(p, &port); err == nil && port != 0 {
				return port, nil
			}
		}
	}
	return 0, errors.New("no tcp listener")
}

func ipProto(ip net.IP) string {
	if ip.To4() != nil {
		return "ip4"
	}
	return "ip6"
}

func (n *node) startDiscovery(key *ecdsa.PrivateKey) error {
	boot := n.set.bootnodes
	if len(boot) == 0 {
		boot = discovery.DefaultBootnodes
	}
	nodes, err := discovery.ParseBootnodes(boot)
	if err != nil {
		return badKey("bootnodes", "%v", err)
	}
	tcpPort, _ := n.listenTCPPort()
	if n.set.advertiseTCP != 0 {
		tcpPort = n.set.advertiseTCP
	}
	d, err := discovery.Start(discovery.Config{
		Key: key, ChainID: n.rollup.L2ChainID.Uint64(), ListenIP: n.set.listenIP, UDPPort: n.set.listenUDP,
		TCPPort: tcpPort, AdvertiseIP: n.set.advertiseIP, AdvertiseTCP: n.set.advertiseTCP,
		AdvertiseUDP: n.set.advertiseUDP, Bootnodes: nodes, DBPath: n.set.discoveryDB,
		NetRestrict: netlist(n.set.netRestrict),
	})
	if err != nil {
		return fmt.Errorf("p2p discovery: %w", err)
	}
	n.disc = d
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		d.Run(n.ctx, n.discovered)
	}()
	n.log.Info("discovery started", "enr", d.Self().String(), "udp", d.LocalAddr())
	return nil
}

// discovered dials a peer found by discovery while below the low tide.
func (n *node) discovered(ai peer.AddrInfo) {
	if ai.ID == n.host.ID() || n.gater.isBanned(ai.ID) {
		return
	}
	n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.AddressTTL)
	if len(n.host.Network().Peers()) >= n.set.peersLo {
		return
	}
	if n.host.Network().Connectedness(ai.ID) == network.Connected {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), n.set.dialTimeout)
		defer cancel()
		if err := n.host.Connect(ctx, ai); err != nil {
			n.log.Debug("dial of discovered peer failed", "peer", ai.ID, "err", err)
		}
	}()
}

// keepStatic dials the static peers at start and re-dials the
// disconnected ones once a minute (op-node's interval).
func (n *node) keepStatic(ctx context.Context) {
	if len(n.static) == 0 {
		return
	}
	t := time.NewTicker(StaticRedial)
	defer t.Stop()
	for {
		for _, s := range n.static {
			if n.host.Network().Connectedness(s.ID) == network.Connected {
				continue
			}
			dctx, cancel := context.WithTimeout(ctx, staticDialTimeout)
			err := n.host.Connect(dctx, s)
			cancel()
			if err != nil && ctx.Err() == nil {
				n.log.Warn("static peer not reachable, retrying in a minute", "peer", s.ID, "addrs", s.Addrs, "err", err)
			} else if err == nil {
				n.log.Info("connected to static peer", "peer", s.ID)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *node) close() {
	if n.cancel != nil {
		n.cancel()
	}
	if n.disc != nil {
		n.disc.Close()
	}
	if n.host != nil {
		_ = n.host.Close()
	}
	n.wg.Wait()
	if n.store != nil {
		_ = n.store.Close()
	}
}

// netlist is the discovery form of the netrestrict masks (nil: none).
func netlist(nets []*net.IPNet) *netutil.Netlist {
	if len(nets) == 0 {
		return nil
	}
	var l netutil.Netlist
	for _, n := range nets {
		l.Add(n.String())
	}
	return &l
}
