package sdktest

import (
	"context"
	"testing"
	"time"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/p2p"
)

// RunP2PSuite checks two connected gossip peers: env published by a reaches
// b's subscribers, status answers, and a subscription ends with its context.
// env must be valid for the peers' validation rules. A real gossip network
// sends a message once (a repeat has a known message id), so while the
// peers are still forming their mesh the suite publishes the next of more
// on each retry; what arrives must be one of the published blocks.
func RunP2PSuite(t *testing.T, a, b p2p.Gossip, env *eth.ExecutionPayloadEnvelope, more ...*eth.ExecutionPayloadEnvelope) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := a.Status(ctx); err != nil {
		t.Fatalf("status: %v", err)
	}
	got := make(chan p2p.Received, 4)
	subCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- b.Payloads(subCtx, func(r p2p.Received) { got <- r })
	}()
	// Gossip needs the subscription in place; publish until it arrives.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	all := append([]*eth.ExecutionPayloadEnvelope{env}, more...)
	published := map[[32]byte]bool{}
	for i, received := 0, false; !received; i++ {
		next := all[i%len(all)]
		if err := a.Publish(ctx, next); err != nil {
			t.Fatalf("publish: %v", err)
		}
		published[next.ExecutionPayload.BlockHash] = true
		select {
		case r := <-got:
			if !published[r.Envelope.ExecutionPayload.BlockHash] {
				t.Fatalf("received %s, which was not published", r.Envelope.ExecutionPayload.BlockHash)
			}
			received = true
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("published payload never arrived")
		}
	}
	stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Payloads did not return after its context was cancelled")
	}
}
