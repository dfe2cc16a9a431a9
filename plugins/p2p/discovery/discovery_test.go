package discovery

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/enr"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/opalnode/opal/plugins/p2p/nodekey"
)

// waitFor bounds every wait on discovery events.
const waitFor = 60 * time.Second

var loopback = net.IPv4(127, 0, 0, 1)

type testNode struct {
	key *ecdsa.PrivateKey
	d   *Discovery
	id  peer.ID
}

// startNode starts a loopback node advertising 127.0.0.1: without an
// advertised IP the record has no address and peers cannot table it.
func startNode(t *testing.T, key *ecdsa.PrivateKey, chainID uint64, tcp int, boot []*enode.Node, mod func(*Config)) *testNode {
	t.Helper()
	if key == nil {
		key = testKey(t)
	}
	cfg := Config{
		Key: key, ChainID: chainID, ListenIP: loopback, TCPPort: tcp,
		AdvertiseIP: loopback, Bootnodes: boot, DBPath: MemoryDB,
		Log: testLogger(t),
	}
	if mod != nil {
		mod(&cfg)
	}
	d, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	id, err := nodekey.PeerID(key)
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{key: key, d: d, id: id}
}

func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() || os.Getenv("DISCOVERY_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
}

// watcher runs Run and records what it reports and examines.
type watcher struct {
	mu         sync.Mutex
	found      []peer.AddrInfo
	foundCh    chan peer.AddrInfo
	rejectedCh chan enode.ID
	done       chan struct{}
	cancel     context.CancelFunc
}

func watch(t *testing.T, n *testNode) *watcher {
	t.Helper()
	w := &watcher{
		foundCh:    make(chan peer.AddrInfo, 256),
		rejectedCh: make(chan enode.ID, 256),
		done:       make(chan struct{}),
	}
	n.d.considered = func(rec *enode.Node, accepted bool) {
		if !accepted && rec != nil {
			select {
			case w.rejectedCh <- rec.ID():
			default:
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() {
		defer close(w.done)
		n.d.Run(ctx, func(ai peer.AddrInfo) {
			w.mu.Lock()
			w.found = append(w.found, ai)
			w.mu.Unlock()
			select {
			case w.foundCh <- ai:
			default:
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-w.done:
		case <-time.After(waitFor):
			t.Error("Run did not return after cancel")
		}
	})
	return w
}

func (w *watcher) waitFound(t *testing.T, want peer.ID, deadline <-chan time.Time) peer.AddrInfo {
	t.Helper()
	for {
		select {
		case ai := <-w.foundCh:
			if ai.ID == want {
				return ai
			}
		case <-deadline:
			t.Fatalf("peer %s not found in time", want)
		}
	}
}

func (w *watcher) waitRejected(t *testing.T, want enode.ID, deadline <-chan time.Time) {
	t.Helper()
	for {
		select {
		case id := <-w.rejectedCh:
			if id == want {
				return
			}
		case <-deadline:
			t.Fatalf("node %s never examined", want.TerminalString())
		}
	}
}

func (w *watcher) reported() []peer.AddrInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]peer.AddrInfo(nil), w.found...)
}

func wantAddr(t *testing.T, ai peer.AddrInfo, want string) {
	t.Helper()
	if len(ai.Addrs) != 1 || ai.Addrs[0].String() != want {
		t.Fatalf("peer %s addrs %v, want [%s]", ai.ID, ai.Addrs, want)
	}
}

// keyAtDistance returns a key whose node ID is at log distance 256 from
// id: FINDNODE queries of random lookups ask for that distance most often.
func keyAtDistance(t *testing.T, id enode.ID) *ecdsa.PrivateKey {
	for {
		k := testKey(t)
		if enode.LogDist(id, enode.PubkeyToIDV4(&k.PublicKey)) == 256 {
			return k
		}
	}
}

func TestLoopbackPeersFindEachOther(t *testing.T) {
	deadline := time.After(waitFor)

	a := startNode(t, nil, 901, 30001, nil, nil)
	b := startNode(t, nil, 901, 30002, []*enode.Node{a.d.Self()}, nil)
	// C is on another chain. Its ID is far from A's so that B's lookups
	// through A come across it soon.
	c := startNode(t, keyAtDistance(t, a.d.Self().ID()), 902, 30003, []*enode.Node{a.d.Self()}, nil)

	wa, wb := watch(t, a), watch(t, b)

	// B learns A from its bootnode; A learns B from B's handshake.
	got := wb.waitFound(t, a.id, deadline)
	wantAddr(t, got, "/ip4/127.0.0.1/tcp/30001")
	got = wa.waitFound(t, b.id, deadline)
	wantAddr(t, got, "/ip4/127.0.0.1/tcp/30002")

	// Both meet C's record and turn it down.
	cid := c.d.Self().ID()
	wa.waitRejected(t, cid, deadline)
	wb.waitRejected(t, cid, deadline)

	// Stop the walks before inspecting what they reported.
	wa.cancel()
	wb.cancel()
	<-wa.done
	<-wb.done
	for name, w := range map[string]*watcher{"A": wa, "B": wb} {
		seen := map[peer.ID]int{}
		for _, ai := range w.reported() {
			if ai.ID == c.id {
				t.Errorf("%s reported the other chain's node", name)
			}
			seen[ai.ID]++
		}
		// Within the report interval each peer is reported once.
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s reported %s %d times", name, id, n)
			}
		}
	}
}

func TestRecordContents(t *testing.T) {
	key := testKey(t)
	n := startNode(t, key, 901, 9222, nil, func(c *Config) { c.AdvertiseIP = nil })
	self := n.d.Self()
	port := n.d.LocalAddr().Port
	if port == 0 || !n.d.LocalAddr().IP.Equal(loopback) {
		t.Fatalf("LocalAddr %v", n.d.LocalAddr())
	}
	if self.ID() != enode.PubkeyToIDV4(&key.PublicKey) {
		t.Fatal("node ID is not keccak256 of the key")
	}
	if self.TCP() != 9222 || self.UDP() != port {
		t.Fatalf("tcp %d udp %d, want 9222 %d", self.TCP(), self.UDP(), port)
	}
	if e, ok := ChainOf(self); !ok || e != (OpStackEntry{ChainID: 901}) {
		t.Fatalf("opstack %+v %v", e, ok)
	}
	// The key is published compressed.
	var pk enode.Secp256k1
	if err := self.Load(&pk); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := self.Load(enr.WithEntry("secp256k1", &raw)); err != nil || !bytes.Equal(raw, gethcrypto.CompressPubkey(&key.PublicKey)) {
		t.Fatalf("secp256k1 entry %x, %v", raw, err)
	}
	// No advertised IP: no ip entry, as op-node.
	if err := self.Load(&enr.IPv4{}); !enr.IsNotFound(err) {
		t.Fatalf("ip entry present without AdvertiseIP: %v", err)
	}
	if self.IPAddr().IsValid() {
		t.Fatalf("record has address %v", self.IPAddr())
	}
	keys := recordKeys(t, self)
	if want := "id,opstack,secp256k1,tcp,udp"; keys != want {
		t.Fatalf("record keys %s, want %s", keys, want)
	}

	// Advertised values win.
	m := startNode(t, nil, 8453, 9222, nil, func(c *Config) {
		c.AdvertiseIP = net.ParseIP("192.0.2.10")
		c.AdvertiseTCP = 19222
		c.AdvertiseUDP = 19223
	})
	s := m.d.Self()
	if s.IPAddr() != netip.MustParseAddr("192.0.2.10") || s.TCP() != 19222 || s.UDP() != 19223 {
		t.Fatalf("advertised record %v tcp %d udp %d", s.IPAddr(), s.TCP(), s.UDP())
	}
	if keys := recordKeys(t, s); keys != "id,ip,opstack,secp256k1,tcp,udp" {
		t.Fatalf("record keys %s", keys)
	}
	var raw2 []byte
	if err := s.Load(enr.WithEntry(OpStackKey, &raw2)); err != nil || hex.EncodeToString(raw2) != "854200" {
		t.Fatalf("opstack content %x, %v", raw2, err)
	}
}

// recordKeys lists the keys present in a record.
func recordKeys(t *testing.T, n *enode.Node) string {
	t.Helper()
	var keys []string
	for _, k := range []string{"id", "ip", "ip6", "opstack", "secp256k1", "tcp", "tcp6", "udp", "udp6"} {
		var v rlp.RawValue
		if err := n.Load(enr.WithEntry(k, &v)); err == nil {
			keys = append(keys, k)
		} else if !enr.IsNotFound(err) {
			t.Fatalf("entry %s: %v", k, err)
		}
	}
	return strings.Join(keys, ",")
}

func TestUDPPortFixed(t *testing.T) {
	// Bind a port, free it, and ask for it: 0 is the random case above.
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	n := startNode(t, nil, 901, 9222, nil, func(cfg *Config) { cfg.UDPPort = port })
	if n.d.LocalAddr().Port != port || n.d.Self().UDP() != port {
		t.Fatalf("bound %v, record udp %d, want %d", n.d.LocalAddr(), n.d.Self().UDP(), port)
	}
	// The port is now taken: a second start fails and says where.
	_, err = Start(Config{Key: testKey(t), ChainID: 901, ListenIP: loopback, UDPPort: port, TCPPort: 9222})
	if err == nil || !strings.Contains(err.Error(), "UDP") {
		t.Fatalf("second bind: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	key := testKey(t)
	base := Config{Key: key, ChainID: 901, ListenIP: loopback, TCPPort: 9222}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no key", func(c *Config) { c.Key = nil }, "no private key"},
		{"no tcp port", func(c *Config) { c.TCPPort = 0 }, "TCP port"},
		{"tcp port range", func(c *Config) { c.TCPPort = 70000 }, "out of range"},
		{"udp port range", func(c *Config) { c.UDPPort = -1 }, "out of range"},
		{"advertise udp range", func(c *Config) { c.AdvertiseUDP = 65536 }, "out of range"},
		{"advertise unspecified", func(c *Config) { c.AdvertiseIP = net.IPv4zero }, "advertise"},
		{"bad db path", func(c *Config) { c.DBPath = filepath.Join(fileIn(t), "db") }, "node database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mod(&cfg)
			d, err := Start(cfg)
			if err == nil {
				d.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v does not mention %q", err, tc.want)
			}
		})
	}
	// AdvertiseTCP alone is enough.
	cfg := base
	cfg.TCPPort, cfg.AdvertiseTCP = 0, 9333
	d, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Self().TCP() != 9333 {
		t.Fatalf("tcp %d", d.Self().TCP())
	}
}

func fileIn(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A bootnode whose DNS name does not resolve is left out; the start goes
// on with the others. (op-node refuses to start here.)
func TestStartWithUnresolvableBootnode(t *testing.T) {
	deadline := time.After(waitFor)
	a := startNode(t, nil, 901, 30001, nil, nil)
	pubHex := func(k *ecdsa.PrivateKey) string { return hex.EncodeToString(gethcrypto.FromECDSAPub(&k.PublicKey)[1:]) }
	// .onion names are refused by the resolver without network traffic.
	boot, err := ParseBootnodes([]string{
		"enode://" + pubHex(testKey(t)) + "@bootnode.example.onion:0?discport=30301",
		a.d.Self().String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	b := startNode(t, nil, 901, 30002, boot, nil)
	wb := watch(t, b)
	wb.waitFound(t, a.id, deadline)
}

// A bootnode given by name (localhost here) is resolved at start and used.
func TestStartWithNamedBootnode(t *testing.T) {
	deadline := time.After(waitFor)
	a := startNode(t, nil, 901, 30001, nil, nil)
	url := "enode://" + hex.EncodeToString(gethcrypto.FromECDSAPub(&a.key.PublicKey)[1:]) +
		"@localhost:0?discport=" + strconv.Itoa(a.d.LocalAddr().Port)
	boot, err := ParseBootnodes([]string{url})
	if err != nil {
		t.Fatal(err)
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", "localhost")
	if err != nil || len(ips) == 0 || !ips[0].IsLoopback() {
		t.Skipf("localhost does not resolve to an IPv4 loopback address here: %v %v", ips, err)
	}
	b := startNode(t, nil, 901, 30002, boot, nil)
	wb := watch(t, b)
	got := wb.waitFound(t, a.id, deadline)
	wantAddr(t, got, "/ip4/127.0.0.1/tcp/30001")
}

func TestDiskDB(t *testing.T) {
	deadline := time.After(waitFor)
	dir := filepath.Join(t.TempDir(), "discovery_db")
	key := testKey(t)
	a := startNode(t, key, 901, 30001, nil, func(c *Config) { c.DBPath = dir })
	if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
		t.Fatalf("no database in %s: %v", dir, err)
	}
	// The database is locked while in use; the error names it.
	_, err := Start(Config{Key: key, ChainID: 901, ListenIP: loopback, TCPPort: 30001, DBPath: dir})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second open of %s: %v", dir, err)
	}

	// A disk-backed node serves as a bootnode like any other.
	b := startNode(t, nil, 901, 30002, []*enode.Node{a.d.Self()}, func(c *Config) {
		c.DBPath = filepath.Join(t.TempDir(), "b_db")
	})
	wb := watch(t, b)
	wb.waitFound(t, a.id, deadline)

	// The record's sequence number survives a restart: it continues from
	// the stored value instead of restarting from the clock.
	seq := a.d.Self().Seq()
	a.d.Close()
	a2 := startNode(t, key, 901, 30001, nil, func(c *Config) { c.DBPath = dir })
	if got := a2.d.Self().Seq(); got != seq+1 {
		t.Fatalf("seq after restart %d, want %d", got, seq+1)
	}
}

func TestRunEnds(t *testing.T) {
	n := startNode(t, nil, 901, 30001, nil, nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.d.Run(ctx, func(peer.AddrInfo) {}); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Run ignores its context")
	}

	done = make(chan struct{})
	go func() { n.d.Run(context.Background(), func(peer.AddrInfo) {}); close(done) }()
	n.d.Close()
	n.d.Close() // idempotent
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Run outlives Close")
	}
}

func TestAddrInfo(t *testing.T) {
	key := testKey(t)
	id, err := nodekey.PeerID(key)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(entries ...enr.Entry) *enode.Node {
		n, err := enode.Parse(enode.ValidSchemes, signedRecord(t, key, entries...))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		name string
		n    *enode.Node
		want string // "" = error
	}{
		{"ip4", mk(enr.IPv4{192, 0, 2, 1}, enr.TCP(9222), enr.UDP(9222)), "/ip4/192.0.2.1/tcp/9222"},
		{"loopback", mk(enr.IPv4{127, 0, 0, 1}, enr.TCP(30001)), "/ip4/127.0.0.1/tcp/30001"},
		{"ip6", mk(enr.IPv6(net.ParseIP("2001:db8::7")), enr.TCP6(9222), enr.TCP(9000)), "/ip6/2001:db8::7/tcp/9222"},
		{"no tcp", mk(enr.IPv4{192, 0, 2, 1}, enr.UDP(9222)), ""},
		{"no ip", mk(enr.TCP(9222), enr.UDP(9222)), ""},
		{"unspecified ip", mk(enr.IPv4{0, 0, 0, 0}, enr.TCP(9222)), ""},
		{"multicast ip", mk(enr.IPv4{239, 1, 1, 1}, enr.TCP(9222)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ai, err := AddrInfo(tc.n)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("AddrInfo accepted: %v", ai)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ai.ID != id {
				t.Fatalf("peer ID %s, want %s", ai.ID, id)
			}
			wantAddr(t, ai, tc.want)
		})
	}
	// An enode URL's node (no signed record) converts as well.
	u, err := enode.ParseV4("enode://" + hex.EncodeToString(gethcrypto.FromECDSAPub(&key.PublicKey)[1:]) + "@192.0.2.9:9222?discport=30301")
	if err != nil {
		t.Fatal(err)
	}
	ai, err := AddrInfo(u)
	if err != nil || ai.ID != id {
		t.Fatalf("enode URL: %v %v", ai, err)
	}
	wantAddr(t, ai, "/ip4/192.0.2.9/tcp/9222")
	if _, err := AddrInfo(nil); err == nil {
		t.Fatal("nil record accepted")
	}
}

func TestReporter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	r := reporter{interval: time.Minute, seen: map[peer.ID]report{}}
	a1 := ma.StringCast("/ip4/192.0.2.1/tcp/9222")
	a2 := ma.StringCast("/ip4/192.0.2.2/tcp/9222")
	info := peer.AddrInfo{ID: "peer-a", Addrs: []ma.Multiaddr{a1}}
	steps := []struct {
		at   time.Duration
		info peer.AddrInfo
		want bool
	}{
		{0, info, true},
		{time.Second, info, false},
		{59 * time.Second, info, false},
		{59 * time.Second, peer.AddrInfo{ID: "peer-b", Addrs: []ma.Multiaddr{a1}}, true},
		{60 * time.Second, peer.AddrInfo{ID: "peer-a", Addrs: []ma.Multiaddr{a2}}, true}, // moved
		{61 * time.Second, peer.AddrInfo{ID: "peer-a", Addrs: []ma.Multiaddr{a2}}, false},
		{121 * time.Second, peer.AddrInfo{ID: "peer-a", Addrs: []ma.Multiaddr{a2}}, true}, // interval over
	}
	for i, s := range steps {
		if got := r.due(s.info, now.Add(s.at)); got != s.want {
			t.Fatalf("step %d: due = %v", i, got)
		}
	}
	r.prune(now.Add(200 * time.Second))
	if len(r.seen) != 0 {
		t.Fatalf("prune kept %d", len(r.seen))
	}
}
