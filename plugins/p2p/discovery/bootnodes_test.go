package discovery

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/enr"
)

func TestDefaultBootnodesParse(t *testing.T) {
	nodes, err := ParseBootnodes(DefaultBootnodes)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != len(DefaultBootnodes) || len(nodes) != 13 {
		t.Fatalf("%d nodes from %d entries", len(nodes), len(DefaultBootnodes))
	}
	var base, named int
	for i, n := range nodes {
		if strings.HasPrefix(DefaultBootnodes[i], "enr:") {
			// Base's records carry opstack 8453 v0 (83 85 42 00).
			if !OnChain(n, 8453) {
				e, _ := ChainOf(n)
				t.Errorf("Base bootnode %d has opstack %+v", i, e)
			}
			if n.TCP() != 9222 || n.UDP() != 9222 || !n.IPAddr().Is4() {
				t.Errorf("Base bootnode %d: %v tcp %d udp %d", i, n.IPAddr(), n.TCP(), n.UDP())
			}
			base++
		}
		if n.Hostname() != "" {
			if n.Hostname() != "bootnode.conduit.xyz" || n.UDP() != 30301 || n.IPAddr().IsValid() {
				t.Errorf("named bootnode %d: %q %v udp %d", i, n.Hostname(), n.IPAddr(), n.UDP())
			}
			named++
		}
	}
	if base != 5 || named != 1 {
		t.Fatalf("%d Base records, %d named entries", base, named)
	}
}

func testKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := gethcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signedRecord(t *testing.T, key *ecdsa.PrivateKey, entries ...enr.Entry) string {
	t.Helper()
	var r enr.Record
	for _, e := range entries {
		r.Set(e)
	}
	if err := enode.SignV4(&r, key); err != nil {
		t.Fatal(err)
	}
	n, err := enode.New(enode.ValidSchemes, &r)
	if err != nil {
		t.Fatal(err)
	}
	return n.String()
}

func TestParseBootnodes(t *testing.T) {
	key := testKey(t)
	pub := hex.EncodeToString(gethcrypto.FromECDSAPub(&key.PublicKey)[1:])
	good := signedRecord(t, key, enr.IPv4{10, 1, 2, 3}, enr.UDP(30301), enr.TCP(9222), OpStackEntry{ChainID: 901})
	ip6 := signedRecord(t, key, enr.IPv6(net.ParseIP("2001:db8::1")), enr.UDP6(30301))
	noIP := signedRecord(t, key, enr.UDP(30301), enr.TCP(9222))
	noUDP := signedRecord(t, key, enr.IPv4{10, 1, 2, 3}, enr.TCP(9222))
	zeroIP := signedRecord(t, key, enr.IPv4{0, 0, 0, 0}, enr.UDP(30301))

	okCases := []struct {
		name, in string
		ip       string
		host     string
		tcp, udp int
	}{
		{"enr", good, "10.1.2.3", "", 9222, 30301},
		{"enr ip6 only", ip6, "2001:db8::1", "", 0, 30301},
		{"enode", "enode://" + pub + "@10.0.0.1:30303", "10.0.0.1", "", 30303, 30303},
		{"enode discport", "enode://" + pub + "@10.0.0.1:0?discport=30305", "10.0.0.1", "", 0, 30305},
		{"enode ip6", "enode://" + pub + "@[2001:db8::2]:9222?discport=30301", "2001:db8::2", "", 9222, 30301},
		{"enode dns name", "enode://" + pub + "@boot.example.org:0?discport=30301", "", "boot.example.org", 0, 30301},
		{"surrounding whitespace", "  " + good + "\n", "10.1.2.3", "", 9222, 30301},
	}
	for _, tc := range okCases {
		t.Run(tc.name, func(t *testing.T) {
			nodes, err := ParseBootnodes([]string{tc.in})
			if err != nil {
				t.Fatal(err)
			}
			if len(nodes) != 1 {
				t.Fatalf("%d nodes", len(nodes))
			}
			n := nodes[0]
			if n.ID() != enode.PubkeyToIDV4(&key.PublicKey) {
				t.Fatal("wrong node ID")
			}
			if tc.ip != "" && n.IPAddr() != netip.MustParseAddr(tc.ip) {
				t.Fatalf("ip %v, want %s", n.IPAddr(), tc.ip)
			}
			if n.Hostname() != tc.host || n.TCP() != tc.tcp || n.UDP() != tc.udp {
				t.Fatalf("host %q tcp %d udp %d", n.Hostname(), n.TCP(), n.UDP())
			}
		})
	}

	nodes, err := ParseBootnodes([]string{"", good, "  ", "enode://" + pub + "@10.0.0.1:30303"})
	if err != nil || len(nodes) != 2 {
		t.Fatalf("empty entries not skipped: %d nodes, %v", len(nodes), err)
	}
	if nodes, err := ParseBootnodes(nil); err != nil || len(nodes) != 0 {
		t.Fatalf("nil list: %v %v", nodes, err)
	}

	badCases := []struct{ name, in string }{
		{"no prefix", strings.TrimPrefix(good, "enr:")},
		{"http URL", "http://10.0.0.1:30303"},
		{"multiaddr", "/ip4/10.0.0.1/tcp/9222/p2p/16Uiu2HAm3cuhhRL2msUuLF62KRSfneFDx94RsuouyW25Ho42cFMq"},
		{"enr bad base64", "enr:!!!!"},
		{"enr not rlp", "enr:AAAA"},
		{"enr bad signature", good[:len(good)-8] + "AAAAAAAA"},
		{"enr no ip", noIP},
		{"enr no udp", noUDP},
		{"enr unspecified ip", zeroIP},
		{"enode bad key", "enode://zz" + pub[2:] + "@10.0.0.1:30303"},
		{"enode short key", "enode://" + pub[:100] + "@10.0.0.1:30303"},
		{"enode without host", "enode://" + pub},
		{"enode bad port", "enode://" + pub + "@10.0.0.1:port"},
		{"enode no udp", "enode://" + pub + "@10.0.0.1:0"},
		{"enode unspecified ip", "enode://" + pub + "@0.0.0.0:30303"},
		{"enode multicast ip", "enode://" + pub + "@224.0.0.1:30303"},
	}
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			list := []string{good, tc.in}
			_, err := ParseBootnodes(list)
			if err == nil {
				t.Fatalf("accepted %q", tc.in)
			}
			msg := err.Error()
			if !strings.Contains(msg, "bootnode 2 of 2") || !strings.Contains(msg, fmt.Sprintf("%q", strings.TrimSpace(tc.in))) {
				t.Fatalf("error does not name the entry: %v", err)
			}
		})
	}
}

func TestResolveBootnodes(t *testing.T) {
	key := testKey(t)
	pub := hex.EncodeToString(gethcrypto.FromECDSAPub(&key.PublicKey)[1:])
	key2 := testKey(t)
	pub2 := hex.EncodeToString(gethcrypto.FromECDSAPub(&key2.PublicKey)[1:])
	list := []string{
		"enode://" + pub + "@10.0.0.1:30303",
		"enode://" + pub + "@good.example:9222?discport=30301",
		"enode://" + pub2 + "@v6only.example:0?discport=30302",
		"enode://" + pub + "@missing.example:0?discport=30301",
		"enode://" + pub + "@unusable.example:0?discport=30301",
	}
	nodes, err := ParseBootnodes(list)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(ctx context.Context, host string) ([]netip.Addr, error) {
		// Every lookup runs under Start's deadline.
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > bootnodeResolveTimeout {
			return nil, errors.New("lookup without the resolve deadline")
		}
		switch host {
		case "good.example":
			return []netip.Addr{netip.MustParseAddr("2001:db8::5"), netip.MustParseAddr("::ffff:192.0.2.7")}, nil
		case "v6only.example":
			return []netip.Addr{netip.MustParseAddr("2001:db8::6")}, nil
		case "unusable.example":
			return []netip.Addr{netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("ff02::1")}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out, skipped := resolveBootnodes(nodes, lookup)
	if len(out) != 3 || len(skipped) != 2 {
		t.Fatalf("%d kept, skipped %v", len(out), skipped)
	}
	if out[0] != nodes[0] {
		t.Fatal("literal-IP node was rebuilt")
	}
	// IPv4 preferred (mapped addresses unmapped); ports and identity kept.
	if got := out[1]; got.IPAddr() != netip.MustParseAddr("192.0.2.7") || got.TCP() != 9222 || got.UDP() != 30301 || got.ID() != nodes[1].ID() || got.Hostname() != "" {
		t.Fatalf("resolved node %v tcp %d udp %d", got.IPAddr(), got.TCP(), got.UDP())
	}
	if err := out[1].ValidateComplete(); err != nil {
		t.Fatal(err)
	}
	if got := out[2]; got.IPAddr() != netip.MustParseAddr("2001:db8::6") || got.UDP() != 30302 || got.ID() != nodes[2].ID() {
		t.Fatalf("v6 node %v udp %d", got.IPAddr(), got.UDP())
	}
	if !strings.Contains(skipped[0].Error(), "missing.example") || !strings.Contains(skipped[1].Error(), "unusable.example") {
		t.Fatalf("skip reasons do not name the hosts: %v", skipped)
	}
}
