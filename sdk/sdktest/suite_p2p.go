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
// env must be valid for the peers' validation rules.
func RunP2PSuite(t *testing.T, a, b p2p.Gossip, env *eth.ExecutionPayloadEnvelope) {
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
	for received := false; !received; {
		if err := a.Publish(ctx, env); err != nil {
			t.Fatalf("publish: %v", err)
		}
		select {
		case r := <-got:
			if r.Envelope.ExecutionPayload.BlockHash != env.ExecutionPayload.BlockHash {
				t.Fatalf("received %s, published %s", r.Envelope.ExecutionPayload.BlockHash, env.ExecutionPayload.BlockHash)
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
