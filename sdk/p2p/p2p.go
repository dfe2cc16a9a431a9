// Package p2p is the contract of the gossip plugin: publish the unsafe
// blocks the sequencer builds, and receive validated ones from peers.
package p2p

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
)

// ProtocolVersion is the version of the contract in
// sdk/proto/opal/p2p/v1 ("major.minor").
// 1.1 added Admin (the opp2p API) and the status counters.
const ProtocolVersion = "1.1"

// Received is a payload a peer gossiped, after validation (topic version,
// timestamp window, block hash, signature of the unsafe block signer).
type Received struct {
	Envelope *eth.ExecutionPayloadEnvelope
	PeerID   string
}

// Status describes the node's place in the network.
type Status struct {
	PeerID         string
	ConnectedPeers uint32
	// ListenAddrs are full multiaddrs a peer can dial (with /p2p/<id>).
	ListenAddrs []string
	// Counters are cumulative counts (gossip outcomes by topic, req/resp
	// results), which the core exports as metrics. Since 1.1.
	Counters []Counter
}

// Counter is one cumulative count with its labels.
type Counter struct {
	Name   string
	Labels map[string]string
	Value  uint64
}

// Gossip publishes and receives unsafe L2 blocks.
type Gossip interface {
	base.Plugin
	// Publish signs (when the plugin holds the sequencer key) and gossips.
	Publish(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error
	// Payloads calls fn for every validated payload until ctx is done.
	Payloads(ctx context.Context, fn func(Received)) error
	// RequestRange asks peers for blocks [start, end); they arrive through
	// Payloads.
	RequestRange(ctx context.Context, start, end uint64) error
	// SetUnsafeBlockSigner sets the address signatures must recover to.
	SetUnsafeBlockSigner(ctx context.Context, signer common.Address) error
	Status(ctx context.Context) (Status, error)
}

// Admin is the optional part of a Gossip, since protocol 1.1: the plugin's
// opp2p JSON-RPC namespace (op-node's p2p API: self, peers, peerStats,
// blockPeer, ...), which the core serves by forwarding each call. It is kept
// out of Gossip so that implementations written against 1.0 still compile.
type Admin interface {
	// Admin serves method (without the "opp2p_" prefix) with params, a
	// JSON array. An unknown method is an error wrapping eth.ErrNotFound.
	Admin(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error)
}

// ErrAdminUnsupported: the plugin has no opp2p API (it does not implement
// Admin, or speaks protocol 1.0). It wraps eth.ErrUnsupported.
var ErrAdminUnsupported = fmt.Errorf("the p2p plugin has no opp2p API (it needs p2p protocol 1.1): %w", eth.ErrUnsupported)

// CallAdmin calls g's Admin when it has one, else ErrAdminUnsupported.
func CallAdmin(ctx context.Context, g Gossip, method string, params json.RawMessage) (json.RawMessage, error) {
	a, ok := g.(Admin)
	if !ok {
		return nil, ErrAdminUnsupported
	}
	return a.Admin(ctx, method, params)
}
