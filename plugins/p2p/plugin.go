package p2p

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	sdkp2p "github.com/opalnode/opal/sdk/p2p"
)

// Version of the implementation.
const Version = "0.1.0"

const (
	// subscriberBuffer is how many blocks a slow subscriber may fall behind
	// before it loses gossip (it asks for the gap again).
	subscriberBuffer = 256
	// trustedHeights is how many heights of trusted blocks (accepted by
	// gossip, or fetched and linked to one) are kept as anchors.
	trustedHeights = 4096
	// anchorSearch is how far above a requested range an anchor is looked
	// for: the lowest trusted block at or above the range's end.
	anchorSearch = 1024
)

// Plugin is the default p2p plugin.
type Plugin struct {
	log     hclog.Logger
	signers signerSet

	mu      sync.Mutex
	node    *node
	subs    map[chan sdkp2p.Received]struct{}
	trusted *lru.Cache[uint64, []link]

	fetchMu   sync.Mutex
	fetching  bool
	nextFetch *[2]uint64
}

// link is a trusted block: its hash and its parent's.
type link struct{ hash, parent common.Hash }

var _ sdkp2p.Gossip = (*Plugin)(nil)

// New returns an unconfigured plugin.
func New() *Plugin {
	trusted, _ := lru.New[uint64, []link](trustedHeights)
	return &Plugin{subs: map[chan sdkp2p.Received]struct{}{}, trusted: trusted}
}

func (p *Plugin) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "default", Version: Version}, nil
}

// Configure starts (or restarts) the p2p stack with the plugin's table.
func (p *Plugin) Configure(_ context.Context, req base.ConfigureRequest) error {
	set, err := parseConfig(req.Config)
	if err != nil {
		return err
	}
	if req.Rollup == nil {
		return fmt.Errorf("%w: p2p needs the rollup config", eth.ErrInvalidArgument)
	}
	log := newLogger(set.logLevel)
	n, err := startNode(set, req.Rollup, req.Host, &p.signers, log, p.deliver)
	if err != nil {
		return err
	}
	p.mu.Lock()
	old := p.node
	p.node, p.log = n, log
	p.mu.Unlock()
	if old != nil {
		old.close()
	}
	return nil
}

// newLogger logs JSON when running as a plugin process (the host forwards
// it into its own log), text otherwise.
func newLogger(level string) hclog.Logger {
	if level == "" {
		level = "info"
	}
	return hclog.New(&hclog.LoggerOptions{
		Name: "p2p", Level: hclog.LevelFromString(level), Output: os.Stderr,
		JSONFormat: os.Getenv(sdk.Handshake.MagicCookieKey) != "",
	})
}

// Close stops the stack.
func (p *Plugin) Close() error {
	p.mu.Lock()
	n := p.node
	p.node = nil
	p.mu.Unlock()
	if n != nil {
		n.close()
	}
	return nil
}

func (p *Plugin) running() (*node, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.node == nil {
		return nil, fmt.Errorf("%w: p2p is not configured", eth.ErrUnavailable)
	}
	return p.node, nil
}

// Publish signs and gossips a block built by this node's sequencer.
func (p *Plugin) Publish(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
	n, err := p.running()
	if err != nil {
		return err
	}
	if err := n.publish(ctx, env); err != nil {
		return err
	}
	p.trust(env)
	return nil
}

// deliver fans an accepted block out to the subscribers, and keeps it as
// an anchor for req/resp.
func (p *Plugin) deliver(r sdkp2p.Received) {
	p.trust(r.Envelope)
	p.mu.Lock()
	defer p.mu.Unlock()
	for ch := range p.subs {
		select {
		case ch <- r:
		default: // a slow subscriber loses gossip and asks for the gap
		}
	}
}

func (p *Plugin) trust(env *eth.ExecutionPayloadEnvelope) {
	b := env.ExecutionPayload
	l := link{hash: b.BlockHash, parent: b.ParentHash}
	p.mu.Lock()
	defer p.mu.Unlock()
	links, _ := p.trusted.Get(b.BlockNumber)
	for _, x := range links {
		if x == l {
			return
		}
	}
	p.trusted.Add(b.BlockNumber, append(links, l))
}

// Payloads calls fn for every block accepted from peers until ctx ends.
func (p *Plugin) Payloads(ctx context.Context, fn func(sdkp2p.Received)) error {
	ch := make(chan sdkp2p.Received, subscriberBuffer)
	p.mu.Lock()
	p.subs[ch] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.subs, ch)
		p.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-ch:
			fn(r)
		}
	}
}

// RequestRange fetches blocks [start, end) from peers in the background;
// they arrive through Payloads. Answers are unsigned, so they are linked
// back from the lowest trusted block at or above end (one accepted from
// gossip, or already linked to one). A request made while one runs
// replaces the waiting one.
func (p *Plugin) RequestRange(_ context.Context, start, end uint64) error {
	n, err := p.running()
	if err != nil {
		return err
	}
	if !n.set.reqResp {
		return fmt.Errorf("%w: sync_req_resp is off", eth.ErrUnsupported)
	}
	if end <= start {
		return fmt.Errorf("%w: empty range [%d, %d)", eth.ErrInvalidArgument, start, end)
	}
	p.fetchMu.Lock()
	defer p.fetchMu.Unlock()
	if p.fetching {
		p.nextFetch = &[2]uint64{start, end}
		return nil
	}
	p.fetching = true
	go p.fetchLoop(n, start, end)
	return nil
}

func (p *Plugin) fetchLoop(n *node, start, end uint64) {
	for {
		p.fetchRange(n, start, end)
		p.fetchMu.Lock()
		next := p.nextFetch
		p.nextFetch = nil
		if next == nil {
			p.fetching = false
			p.fetchMu.Unlock()
			return
		}
		p.fetchMu.Unlock()
		start, end = next[0], next[1]
	}
}

func (p *Plugin) fetchRange(n *node, start, end uint64) {
	ctx := n.ctx
	anchor, at, ok := p.anchor(end)
	if !ok {
		n.log.Warn("cannot fill the unsafe gap: no trusted block at or above its end yet", "from", start, "to", end)
		return
	}
	began := time.Now()
	got := 0
	err := n.sync.FetchBack(ctx, start, at, anchor.parent, func(env *eth.ExecutionPayloadEnvelope) {
		p.trust(env)
		got++
		p.deliver(sdkp2p.Received{Envelope: env, PeerID: "req/resp"})
	})
	if err != nil {
		n.log.Warn("filling the unsafe gap by req/resp stopped", "from", start, "to", at, "fetched", got, "err", err)
		return
	}
	n.log.Info("filled the unsafe gap by req/resp", "from", start, "to", at, "blocks", got, "took", time.Since(began).Round(time.Millisecond))
}

// anchor finds the lowest trusted block at or above end.
func (p *Plugin) anchor(end uint64) (link, uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := end; n < end+anchorSearch; n++ {
		if links, ok := p.trusted.Peek(n); ok && len(links) > 0 {
			return links[0], n, true
		}
	}
	return link{}, 0, false
}

// SetUnsafeBlockSigner sets the address block signatures must recover to;
// the previous one stays valid during op-node's rotation grace.
func (p *Plugin) SetUnsafeBlockSigner(_ context.Context, signer common.Address) error {
	if p.signers.set(signer, time.Now()) {
		p.mu.Lock()
		log := p.log
		p.mu.Unlock()
		if log != nil {
			log.Info("unsafe block signer set", "address", signer)
		}
	}
	return nil
}

// Status reports the node's identity, peers and counters.
func (p *Plugin) Status(context.Context) (sdkp2p.Status, error) {
	n, err := p.running()
	if err != nil {
		return sdkp2p.Status{}, err
	}
	st := sdkp2p.Status{PeerID: n.host.ID().String(), ConnectedPeers: uint32(len(n.host.Network().Peers()))}
	for _, a := range n.host.Addrs() {
		st.ListenAddrs = append(st.ListenAddrs, a.String()+"/p2p/"+n.host.ID().String())
	}
	st.Counters = n.stats.counters()
	return st, nil
}
