package rpc

import (
	"context"
	"encoding/json"
	"fmt"
)

// P2PAdmin is the p2p plugin's opp2p API as the core reaches it.
type P2PAdmin interface {
	Admin(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error)
}

// P2PAPI is the opp2p_* namespace: op-node's p2p API, with its method names
// and JSON, answered by the p2p plugin. The core only forwards, so that the
// peer types stay the plugin's.
type P2PAPI struct{ p P2PAdmin }

// NewP2PAPI serves p's opp2p API.
func NewP2PAPI(p P2PAdmin) *P2PAPI { return &P2PAPI{p: p} }

func (a *P2PAPI) call(ctx context.Context, method string, args ...any) (json.RawMessage, error) {
	if args == nil {
		args = []any{}
	}
	params, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("opp2p_%s: %w", method, err)
	}
	return a.p.Admin(ctx, method, params)
}

func (a *P2PAPI) Self(ctx context.Context) (json.RawMessage, error) { return a.call(ctx, "self") }

func (a *P2PAPI) Peers(ctx context.Context, connected bool) (json.RawMessage, error) {
	return a.call(ctx, "peers", connected)
}

func (a *P2PAPI) PeerStats(ctx context.Context) (json.RawMessage, error) {
	return a.call(ctx, "peerStats")
}

func (a *P2PAPI) DiscoveryTable(ctx context.Context) (json.RawMessage, error) {
	return a.call(ctx, "discoveryTable")
}

func (a *P2PAPI) ListBlockedPeers(ctx context.Context) (json.RawMessage, error) {
	return a.call(ctx, "listBlockedPeers")
}

func (a *P2PAPI) ListBlockedAddrs(ctx context.Context) (json.RawMessage, error) {
	return a.call(ctx, "listBlockedAddrs")
}

func (a *P2PAPI) ListBlockedSubnets(ctx context.Context) (json.RawMessage, error) {
	return a.call(ctx, "listBlockedSubnets")
}

func (a *P2PAPI) do(ctx context.Context, method, arg string) error {
	_, err := a.call(ctx, method, arg)
	return err
}

func (a *P2PAPI) BlockPeer(ctx context.Context, id string) error { return a.do(ctx, "blockPeer", id) }
func (a *P2PAPI) UnblockPeer(ctx context.Context, id string) error {
	return a.do(ctx, "unblockPeer", id)
}
func (a *P2PAPI) BlockAddr(ctx context.Context, ip string) error { return a.do(ctx, "blockAddr", ip) }
func (a *P2PAPI) UnblockAddr(ctx context.Context, ip string) error {
	return a.do(ctx, "unblockAddr", ip)
}
func (a *P2PAPI) BlockSubnet(ctx context.Context, cidr string) error {
	return a.do(ctx, "blockSubnet", cidr)
}
func (a *P2PAPI) UnblockSubnet(ctx context.Context, cidr string) error {
	return a.do(ctx, "unblockSubnet", cidr)
}
func (a *P2PAPI) ProtectPeer(ctx context.Context, id string) error {
	return a.do(ctx, "protectPeer", id)
}
func (a *P2PAPI) UnprotectPeer(ctx context.Context, id string) error {
	return a.do(ctx, "unprotectPeer", id)
}
func (a *P2PAPI) ConnectPeer(ctx context.Context, addr string) error {
	return a.do(ctx, "connectPeer", addr)
}
func (a *P2PAPI) DisconnectPeer(ctx context.Context, id string) error {
	return a.do(ctx, "disconnectPeer", id)
}
