package sdktest

import (
	"context"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/p2p"
)

// FakeNetwork connects FakeGossip peers in memory: a payload one peer
// publishes reaches every other peer's subscribers. No validation.
type FakeNetwork struct {
	// Loopback also delivers a peer's own publications to it, so that one
	// peer alone can exercise the whole contract.
	Loopback bool

	mu    sync.Mutex
	peers []*FakeGossip
}

// Join adds a peer to the network.
func (n *FakeNetwork) Join(id string) *FakeGossip {
	n.mu.Lock()
	defer n.mu.Unlock()
	g := &FakeGossip{id: id, net: n}
	n.peers = append(n.peers, g)
	return g
}

// FakeGossip is one peer of a FakeNetwork.
type FakeGossip struct {
	id  string
	net *FakeNetwork

	mu     sync.Mutex
	subs   []chan p2p.Received
	signer common.Address
}

var _ p2p.Gossip = (*FakeGossip)(nil)

func (g *FakeGossip) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "fake-p2p", Version: "test"}, nil
}

func (g *FakeGossip) Configure(context.Context, base.ConfigureRequest) error { return nil }

func (g *FakeGossip) Publish(_ context.Context, env *eth.ExecutionPayloadEnvelope) error {
	if env == nil || env.ExecutionPayload == nil {
		return fmt.Errorf("%w: empty envelope", eth.ErrInvalidArgument)
	}
	g.net.mu.Lock()
	peers := append([]*FakeGossip(nil), g.net.peers...)
	g.net.mu.Unlock()
	for _, p := range peers {
		if p != g || g.net.Loopback {
			p.deliver(p2p.Received{Envelope: env, PeerID: g.id})
		}
	}
	return nil
}

func (g *FakeGossip) deliver(r p2p.Received) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.subs {
		select {
		case s <- r:
		default: // a slow subscriber loses gossip, as on a real network
		}
	}
}

func (g *FakeGossip) Payloads(ctx context.Context, fn func(p2p.Received)) error {
	ch := make(chan p2p.Received, 64)
	g.mu.Lock()
	g.subs = append(g.subs, ch)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		for i, s := range g.subs {
			if s == ch {
				g.subs = append(g.subs[:i], g.subs[i+1:]...)
				break
			}
		}
	}()
	for {
		select {
		case r := <-ch:
			fn(r)
		case <-ctx.Done():
			return nil
		}
	}
}

func (g *FakeGossip) RequestRange(context.Context, uint64, uint64) error { return nil }

func (g *FakeGossip) SetUnsafeBlockSigner(_ context.Context, signer common.Address) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.signer = signer
	return nil
}

func (g *FakeGossip) Status(context.Context) (p2p.Status, error) {
	g.net.mu.Lock()
	defer g.net.mu.Unlock()
	return p2p.Status{PeerID: g.id, ConnectedPeers: uint32(len(g.net.peers) - 1)}, nil
}
