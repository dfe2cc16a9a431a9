package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
)

// DefaultBootnodes is op-node's built-in bootnode list (op-node/p2p's
// DefaultBootnodes), used when no bootnode is configured: OP Labs, Base,
// Conduit and Uniswap Labs nodes, in op-node's order.
//
// One entry names its host by DNS (bootnode.conduit.xyz). op-node resolves
// it while loading its configuration and refuses to start when the lookup
// fails, so it cannot start offline with the default list. Here
// ParseBootnodes keeps the name unresolved and Start resolves it with a
// short deadline; an entry whose name does not resolve is left out with a
// warning and discovery starts with the others.
var DefaultBootnodes = []string{
	// OP Labs
	"enode://869d07b5932f17e8490990f75a3f94195e9504ddb6b85f7189e5a9c0a8fff8b00aecf6f3ac450ecba6cdabdb5858788a94bde2b613e0f2d82e9b395355f76d1a@34.65.67.101:30305",
	"enode://2d4e7e9d48f4dd4efe9342706dd1b0024681bd4c3300d021f86fc75eab7865d4e0cbec6fbc883f011cfd6a57423e7e2f6e104baad2b744c3cafaec6bc7dc92c1@34.65.43.171:30305",
	// Base
	"enr:-J24QNz9lbrKbN4iSmmjtnr7SjUMk4zB7f1krHZcTZx-JRKZd0kA2gjufUROD6T3sOWDVDnFJRvqBBo62zuF-hYCohOGAYiOoEyEgmlkgnY0gmlwhAPniryHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQKNVFlCxh_B-716tTs-h1vMzZkSs1FTu_OYTNjgufplG4N0Y3CCJAaDdWRwgiQG",
	"enr:-J24QH-f1wt99sfpHy4c0QJM-NfmsIfmlLAMMcgZCUEgKG_BBYFc6FwYgaMJMQN5dsRBJApIok0jFn-9CS842lGpLmqGAYiOoDRAgmlkgnY0gmlwhLhIgb2Hb3BzdGFja4OFQgCJc2VjcDI1NmsxoQJ9FTIv8B9myn1MWaC_2lJ-sMoeCDkusCsk4BYHjjCq04N0Y3CCJAaDdWRwgiQG",
	"enr:-J24QDXyyxvQYsd0yfsN0cRr1lZ1N11zGTplMNlW4xNEc7LkPXh0NAJ9iSOVdRO95GPYAIc6xmyoCCG6_0JxdL3a0zaGAYiOoAjFgmlkgnY0gmlwhAPckbGHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQJwoS7tzwxqXSyFL7g0JM-KWVbgvjfB8JA__T7yY_cYboN0Y3CCJAaDdWRwgiQG",
	"enr:-J24QHmGyBwUZXIcsGYMaUqGGSl4CFdx9Tozu-vQCn5bHIQbR7On7dZbU61vYvfrJr30t0iahSqhc64J46MnUO2JvQaGAYiOoCKKgmlkgnY0gmlwhAPnCzSHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQINc4fSijfbNIiGhcgvwjsjxVFJHUstK9L1T8OTKUjgloN0Y3CCJAaDdWRwgiQG",
	"enr:-J24QG3ypT4xSu0gjb5PABCmVxZqBjVw9ca7pvsI8jl4KATYAnxBmfkaIuEqy9sKvDHKuNCsy57WwK9wTt2aQgcaDDyGAYiOoGAXgmlkgnY0gmlwhDbGmZaHb3BzdGFja4OFQgCJc2VjcDI1NmsxoQIeAK_--tcLEiu7HvoUlbV52MspE0uCocsx1f_rYvRenIN0Y3CCJAaDdWRwgiQG",
	// Conduit
	"enode://d25ce99435982b04d60c4b41ba256b84b888626db7bee45a9419382300fbe907359ae5ef250346785bff8d3b9d07cd3e017a27e2ee3cfda3bcbb0ba762ac9674@bootnode.conduit.xyz:0?discport=30301",
	"enode://2d4e7e9d48f4dd4efe9342706dd1b0024681bd4c3300d021f86fc75eab7865d4e0cbec6fbc883f011cfd6a57423e7e2f6e104baad2b744c3cafaec6bc7dc92c1@34.65.43.171:0?discport=30305",
	"enode://9d7a3efefe442351217e73b3a593bcb8efffb55b4807699972145324eab5e6b382152f8d24f6301baebbfb5ecd4127bd3faab2842c04cd432bdf50ba092f6645@34.65.109.126:0?discport=30305",
	// Uniswap Labs
	"enode://010800c668896c100e8d64abc388ac5a22a8134a96fb0107c5d0c56d79ba7225c12d9e9e012d3cc0ee2701d7f63dd45f8abf0bbcf6f3c541f91742b1d7a99355@3.134.214.169:9222",
	"enode://b97abcc7011d06299c4bc44742be4a0e631a1a2925a2992adcfe80ed86bec5ff0ddf1b90d015f2dbb5e305560e12c9873b2dad72d84d131ac4be9f2a4c74b763@52.14.30.39:9222",
	"enode://760230a662610620d6d2e4ad846a6dccbceaa4556872dfacf9cdca7c2f5b49e4c66e822ed2e8813debb5fb7391f0519b8d075e565a2a89c79a9e4092e81b3e5b@3.148.100.173:9222",
}

// ParseBootnodes parses bootnode records in either form op-node takes:
// base64 ENRs ("enr:…") and enode URLs ("enode://<hex key>@<host>:<tcp>?discport=<udp>").
// Entries are trimmed; empty ones are skipped, as op-node does. Each node
// needs a UDP port, and an IP address or a DNS name; a DNS name is not
// looked up here (see Start). An error names the bad entry by index and
// text.
func ParseBootnodes(list []string) ([]*enode.Node, error) {
	var nodes []*enode.Node
	for i, raw := range list {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		n, err := parseBootnode(s)
		if err != nil {
			return nil, fmt.Errorf("bootnode %d of %d %q: %w", i+1, len(list), s, err)
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

func parseBootnode(s string) (*enode.Node, error) {
	if !strings.HasPrefix(s, "enr:") && !strings.HasPrefix(s, "enode://") {
		return nil, errors.New(`want an "enr:" record or an "enode://" URL`)
	}
	n, err := enode.Parse(enode.ValidSchemes, s)
	if err != nil {
		return nil, err
	}
	if n.UDP() == 0 {
		return nil, errors.New("no UDP (discovery) port")
	}
	if n.Hostname() != "" {
		return n, nil // resolved by Start
	}
	ip := n.IPAddr()
	switch {
	case !ip.IsValid():
		return nil, errors.New("no IP address")
	case ip.IsUnspecified() || ip.IsMulticast():
		return nil, fmt.Errorf("unusable IP address %s", ip)
	}
	if err := n.ValidateComplete(); err != nil {
		return nil, err
	}
	return n, nil
}

// bootnodeResolveTimeout bounds the DNS lookups of Start, all of them
// together.
const bootnodeResolveTimeout = 3 * time.Second

type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// resolveBootnodes returns nodes with every DNS name replaced by an
// address, in parallel and within bootnodeResolveTimeout. Entries whose name
// does not resolve are reported in skipped and left out.
func resolveBootnodes(nodes []*enode.Node, lookup lookupFunc) (out []*enode.Node, skipped []error) {
	out = make([]*enode.Node, len(nodes))
	errs := make([]error, len(nodes))
	ctx, cancel := context.WithTimeout(context.Background(), bootnodeResolveTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for i, n := range nodes {
		if n.Hostname() == "" || n.IPAddr().IsValid() {
			out[i] = n
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = resolveBootnode(ctx, n, lookup)
		}()
	}
	wg.Wait()
	kept := out[:0]
	for i, n := range out {
		if errs[i] != nil {
			skipped = append(skipped, errs[i])
			continue
		}
		kept = append(kept, n)
	}
	return kept, skipped
}

func resolveBootnode(ctx context.Context, n *enode.Node, lookup lookupFunc) (*enode.Node, error) {
	addrs, err := lookup(ctx, n.Hostname())
	if err != nil {
		return nil, fmt.Errorf("bootnode %s: resolving %q: %w", n.ID().TerminalString(), n.Hostname(), err)
	}
	var ip4, ip6 netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		switch {
		case a.IsUnspecified() || a.IsMulticast():
		case a.Is4() && !ip4.IsValid():
			ip4 = a
		case a.Is6() && !ip6.IsValid():
			ip6 = a
		}
	}
	ip := ip4
	if !ip.IsValid() {
		ip = ip6
	}
	if !ip.IsValid() {
		return nil, fmt.Errorf("bootnode %s: %q has no usable address", n.ID().TerminalString(), n.Hostname())
	}
	// Names only occur in enode URLs, which carry no signed record to
	// preserve: rebuild the URL's node around the address.
	return enode.NewV4(n.Pubkey(), ip.AsSlice(), n.TCP(), n.UDP()), nil
}
