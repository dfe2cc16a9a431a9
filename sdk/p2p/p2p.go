// Package p2p is the contract of the gossip plugin: publish the unsafe
// blocks the sequencer builds, and receive validated ones from peers.
package p2p

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
)

// ProtocolVersion is the version of the contract in
// sdk/proto/opal/p2p/v1 ("major.minor").
const ProtocolVersion = "1.0"

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
	ListenAddrs    []string
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
