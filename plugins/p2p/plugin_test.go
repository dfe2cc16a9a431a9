package p2p

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
	sdkp2p "github.com/opalnode/opal/sdk/p2p"
	"github.com/opalnode/opal/sdk/sdktest"
)

// A sequencer node and a verifier peered by a static address: the block
// the sequencer publishes reaches the verifier, through the contract's
// suite, with both plugins called directly and over gRPC.
func TestP2PSuite(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"inprocess", "grpc"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			c := newTestChain(t)
			seq := startPlugin(t, c, nil, map[string]any{"sequencer_key": seqKeyHex(c.key)})
			ver := startPlugin(t, c, nil, map[string]any{"static": listenAddr(t, seq)})
			// A block is gossiped once (a repeat is a known message), so
			// the mesh must be in place before it is published.
			waitMesh(t, seq, 1)
			var a, b sdkp2p.Gossip = seq, ver
			if mode == "grpc" {
				a, b = sdktest.P2P(t, seq), sdktest.P2P(t, ver)
			}
			sdktest.RunP2PSuite(t, a, b, c.block(t, 100, common.HexToHash("0xaa"), 0))
		})
	}
}

// A verifier that missed blocks fills the gap by req/resp from a peer that
// has them, linked back from a block it got by gossip; a peer serving
// blocks that do not link is refused.
func TestRequestRangeFillsTheGap(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	blocks := c.chain(t, 100)
	server := startPlugin(t, c, blocksHost{blocks: blocks}, map[string]any{"sequencer_key": seqKeyHex(c.key)})
	ver := startPlugin(t, c, nil, map[string]any{"static": listenAddr(t, server)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan sdkp2p.Received, 128)
	go func() { _ = ver.Payloads(ctx, func(r sdkp2p.Received) { got <- r }) }()
	waitMesh(t, server, 1)
	// The verifier hears block 100 by gossip: its anchor.
	waitFor(t, ctx, got, func() { _ = server.Publish(ctx, blocks[100]) }, func(r sdkp2p.Received) bool {
		return r.Envelope.ExecutionPayload.BlockHash == blocks[100].ExecutionPayload.BlockHash
	})
	if err := ver.RequestRange(ctx, 90, 100); err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]common.Hash{}
	for len(seen) < 10 {
		select {
		case r := <-got:
			p := r.Envelope.ExecutionPayload
			seen[p.BlockNumber] = p.BlockHash
		case <-ctx.Done():
			t.Fatalf("gap not filled: have %d of 10 blocks", len(seen))
		}
	}
	for n := uint64(90); n < 100; n++ {
		if seen[n] != blocks[n].ExecutionPayload.BlockHash {
			t.Fatalf("block %d: %s, want %s", n, seen[n], blocks[n].ExecutionPayload.BlockHash)
		}
	}
}

// A server whose blocks do not link to the anchor (another chain at the
// same heights) gives nothing.
func TestRequestRangeRefusesUnlinkedBlocks(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	honest := c.chain(t, 100)
	forged := []*eth.ExecutionPayloadEnvelope{honest[0]}
	for i := uint64(1); i <= 100; i++ {
		forged = append(forged, c.block(t, i, forged[i-1].ExecutionPayload.BlockHash, 0xee))
	}
	liar := startPlugin(t, c, blocksHost{blocks: forged}, map[string]any{"sequencer_key": seqKeyHex(c.key)})
	ver := startPlugin(t, c, nil, map[string]any{"static": listenAddr(t, liar)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan sdkp2p.Received, 128)
	go func() { _ = ver.Payloads(ctx, func(r sdkp2p.Received) { got <- r }) }()
	waitMesh(t, liar, 1)
	waitFor(t, ctx, got, func() { _ = liar.Publish(ctx, honest[100]) }, func(r sdkp2p.Received) bool {
		return r.Envelope.ExecutionPayload.BlockNumber == 100
	})
	if err := ver.RequestRange(ctx, 95, 100); err != nil {
		t.Fatal(err)
	}
	// The refusal is counted; nothing below 100 is delivered.
	deadline := time.After(20 * time.Second)
	for ver.node.stats.reqresp.FetchFails.Load() == 0 {
		select {
		case r := <-got:
			t.Fatalf("unlinked block %d delivered", r.Envelope.ExecutionPayload.BlockNumber)
		case <-deadline:
			t.Fatal("the forged answer was never refused")
		case <-time.After(50 * time.Millisecond):
		}
	}
	select {
	case r := <-got:
		t.Fatalf("unlinked block %d delivered", r.Envelope.ExecutionPayload.BlockNumber)
	default:
	}
}

// waitFor repeats act until a received payload satisfies ok (gossip needs
// the mesh in place first).
func waitFor(t *testing.T, ctx context.Context, got <-chan sdkp2p.Received, act func(), ok func(sdkp2p.Received) bool) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	act()
	for {
		select {
		case r := <-got:
			if ok(r) {
				return
			}
		case <-tick.C:
			act()
		case <-ctx.Done():
			t.Fatal("never received")
		}
	}
}

// The opp2p API answers with op-node's shapes.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	a := startPlugin(t, c, nil, nil)
	b := startPlugin(t, c, nil, map[string]any{"static": listenAddr(t, a)})
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	var dump PeerDump
	for {
		raw, err := b.Admin(ctx, "peers", json.RawMessage(`[true]`))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &dump); err != nil {
			t.Fatal(err)
		}
		if dump.TotalConnected == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never connected: %s", raw)
		}
		<-time.After(20 * time.Millisecond)
	}
	aID := a.node.host.ID().String()
	info := dump.Peers[aID]
	if info == nil || !info.Protected || info.ChainID != 901 {
		t.Fatalf("peer %s: %+v", aID, info)
	}
	raw, err := b.Admin(ctx, "self", nil)
	if err != nil {
		t.Fatal(err)
	}
	var self PeerInfo
	if err := json.Unmarshal(raw, &self); err != nil || self.PeerID != b.node.host.ID().String() || self.UserAgent != DefaultUserAgent {
		t.Fatalf("self %s, %v", raw, err)
	}
	if _, err := b.Admin(ctx, "blockAddr", json.RawMessage(`["10.0.0.1"]`)); err != nil {
		t.Fatal(err)
	}
	raw, _ = b.Admin(ctx, "listBlockedAddrs", nil)
	if string(raw) != `["10.0.0.1"]` {
		t.Fatalf("blocked addrs %s", raw)
	}
	if _, err := b.Admin(ctx, "nope", nil); err == nil {
		t.Fatal("unknown method answered")
	}
	if _, err := b.Admin(ctx, "blockPeer", json.RawMessage(`["not-a-peer"]`)); err == nil {
		t.Fatal("bad peer id accepted")
	}
}

// waitMesh waits until p's mesh of the V4 blocks topic has n peers.
func waitMesh(t *testing.T, p *Plugin, n int) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if p.node.mesh.size(p.node.topics[3].String()) >= n {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("the blocks topic's mesh has %d peers, want %d", p.node.mesh.size(p.node.topics[3].String()), n)
		}
	}
}
