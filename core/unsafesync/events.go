package unsafesync

import "github.com/opalnode/opal/sdk/eth"

// Payload: a block arrived from gossip or admin_postUnsafePayload.
type Payload struct {
	Envelope *eth.ExecutionPayloadEnvelope
	Source   string
}

func (Payload) String() string { return "unsafe-payload" }
