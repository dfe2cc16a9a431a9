package p2p

import (
	"context"
	"crypto/ecdsa"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/plugins/p2p/nodekey"
	sdkp2p "github.com/opalnode/opal/sdk/p2p"
)

// rogue is a bare libp2p peer with op-node's pubsub settings that
// publishes whatever bytes a test gives it. signed makes it sign its
// messages (pubsub signature, seqno, from), which StrictNoSign refuses.
type rogue struct {
	h      host.Host
	ps     *pubsub.PubSub
	topics map[string]*pubsub.Topic
}

func newRogue(t *testing.T, signed bool) *rogue {
	t.Helper()
	k, _ := crypto.GenerateKey()
	lk, err := nodekey.Libp2pKey(k)
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(libp2p.Identity(lk), libp2p.NoTransports, libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New), libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	// The rogue's own message ids are unique per publication, so that it
	// sends a repeated message again (the node still dedups by op-node's
	// id).
	var seq atomic.Uint64
	opts := []pubsub.Option{
		pubsub.WithMaxMessageSize(blockmsg.MaxGossipSize),
		pubsub.WithMessageIdFn(func(*pb.Message) string { return strconv.FormatUint(seq.Add(1), 10) }),
	}
	if signed {
		opts = append(opts, pubsub.WithMessageSignaturePolicy(pubsub.StrictSign))
	} else {
		opts = append(opts, pubsub.WithNoAuthor(), pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign))
	}
	ps, err := pubsub.NewGossipSub(context.Background(), h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &rogue{h: h, topics: map[string]*pubsub.Topic{}, ps: ps}
}

func (r *rogue) join(t *testing.T, name string) *pubsub.Topic {
	t.Helper()
	if tp, ok := r.topics[name]; ok {
		return tp
	}
	tp, err := r.ps.Join(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tp.Subscribe(); err != nil {
		t.Fatal(err)
	}
	r.topics[name] = tp
	return tp
}

func (r *rogue) connect(t *testing.T, p *Plugin) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.h.Connect(ctx, peer.AddrInfo{ID: p.node.host.ID(), Addrs: p.node.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// publishOn waits for the target in the rogue's mesh of the topic, then
// publishes data there.
func (r *rogue) publishOn(t *testing.T, name string, target peer.ID, data []byte) {
	t.Helper()
	tp := r.join(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !contains(tp.ListPeers(), target) {
		select {
		case <-ctx.Done():
			t.Fatalf("%s never joined %s", target, name)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := tp.Publish(ctx, data); err != nil {
		t.Fatal(err)
	}
}

// warmUp publishes valid blocks (at heights of their own) until the node
// has validated one from r: the first messages after a connection can go
// out before the stream to the node is open, and are then lost.
func (r *rogue) warmUp(t *testing.T, c *testChain, node *Plugin, height uint64) {
	t.Helper()
	v4 := blockmsg.Topic(c.cfg.L2ChainID, blockmsg.V4)
	a0, _, _ := outcomes(node)
	for i := byte(0); i < 100; i++ {
		r.publishOn(t, v4, node.node.host.ID(), c.message(t, c.block(t, height, common.Hash{}, i), blockmsg.V4, c.key))
		for j := 0; j < 5; j++ {
			<-time.After(20 * time.Millisecond)
			if a, _, _ := outcomes(node); a > a0 {
				// Let the rest of the probes land before counting on.
				<-time.After(200 * time.Millisecond)
				return
			}
		}
	}
	t.Fatal("no message from the rogue was ever validated")
}

func contains(ids []peer.ID, id peer.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// outcomes sums the node's validation results over the topics.
func outcomes(p *Plugin) (accept, ignore, reject uint64) {
	for i := range p.node.stats.outcomes {
		accept += p.node.stats.outcomes[i][Accept].Load()
		ignore += p.node.stats.outcomes[i][Ignore].Load()
		reject += p.node.stats.outcomes[i][Reject].Load()
	}
	return
}

func waitOutcomes(t *testing.T, p *Plugin, accept, ignore, reject uint64) {
	t.Helper()
	if !awaitOutcomes(t, p, 20*time.Second, accept, ignore, reject) {
		a, i, r := outcomes(p)
		t.Fatalf("outcomes accept %d ignore %d reject %d, want %d %d %d", a, i, r, accept, ignore, reject)
	}
}

// awaitOutcomes waits up to d for the counts; more than wanted fails.
func awaitOutcomes(t *testing.T, p *Plugin, d time.Duration, accept, ignore, reject uint64) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		a, i, r := outcomes(p)
		if a == accept && i == ignore && r == reject {
			return true
		}
		if a > accept || i > ignore || r > reject {
			t.Fatalf("outcomes accept %d ignore %d reject %d, want %d %d %d", a, i, r, accept, ignore, reject)
		}
		if time.Now().After(deadline) {
			return false
		}
		<-time.After(20 * time.Millisecond)
	}
}

// The rogue-peer table of the p2p digest over a real connection: each
// message gets op-node's outcome, none reaches the subscribers, and the
// rogue stays connected (op-node does not score invalid gossip; nor does
// opal by default).
func TestRoguePeerOutcomes(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	node := startPlugin(t, c, nil, nil)
	got := make(chan sdkp2p.Received, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = node.Payloads(ctx, func(r sdkp2p.Received) { got <- r }) }()
	r := newRogue(t, false)
	r.connect(t, node)
	r.join(t, blockmsg.Topic(c.cfg.L2ChainID, blockmsg.V3))
	r.warmUp(t, c, node, 90)
	drain(got)
	wrongKey, _ := crypto.GenerateKey()
	v4 := blockmsg.Topic(c.cfg.L2ChainID, blockmsg.V4)
	v3 := blockmsg.Topic(c.cfg.L2ChainID, blockmsg.V3)
	target := node.node.host.ID()
	var wantReject uint64
	// send publishes one message and waits for its outcome. A message can
	// be lost in transit (a stream not yet open); it is then sent again,
	// which cannot count twice: a copy that did arrive is a known message
	// id and is not validated again.
	send := func(topic string, env func() []byte, outcome Outcome) {
		a, i, rj := outcomes(node)
		switch outcome {
		case Reject:
			wantReject++
			rj++
		case Ignore:
			i++
		case Accept:
			a++
		}
		data := env()
		for try := 0; ; try++ {
			r.publishOn(t, topic, target, data)
			if awaitOutcomes(t, node, 5*time.Second, a, i, rj) {
				return
			}
			if try == 3 {
				waitOutcomes(t, node, a, i, rj)
			}
		}
	}
	blk := func(extra byte) []byte {
		return c.message(t, c.block(t, 100, common.HexToHash("0xaa"), extra), blockmsg.V4, c.key)
	}
	send(v4, func() []byte { return c.message(t, c.block(t, 100, common.Hash{}, 1), blockmsg.V4, wrongKey) }, Reject)
	send(v4, func() []byte { return []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3} }, Reject)
	send(v3, func() []byte { return blk(2) }, Reject) // a V4 body on the /2/ topic
	flipped := c.block(t, 100, common.HexToHash("0xaa"), 3)
	flipped.ExecutionPayload.BlockHash[0] ^= 1
	send(v4, func() []byte { return c.message(t, flipped, blockmsg.V4, c.key) }, Reject)
	// Seven distinct blocks at one height: six accepted, the seventh not.
	for i := byte(10); i < 16; i++ {
		send(v4, func() []byte { return blk(i) }, Accept)
	}
	send(v4, func() []byte { return blk(16) }, Reject)
	for i := 0; i < 6; i++ {
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("accepted block %d not delivered", i)
		}
	}
	select {
	case x := <-got:
		t.Fatalf("a refused block reached the subscribers: %d %s", x.Envelope.ExecutionPayload.BlockNumber, x.Envelope.ExecutionPayload.BlockHash)
	case <-time.After(500 * time.Millisecond):
	}
	if node.node.host.Network().Connectedness(r.h.ID()) != network.Connected || node.node.gater.isBanned(r.h.ID()) {
		t.Fatal("the rogue was disconnected or banned; op-node keeps it")
	}
	if wantReject != 5 {
		t.Fatalf("sent %d rejects", wantReject)
	}
}

func drain(ch chan sdkp2p.Received) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// A message with a pubsub signature and seqno (StrictNoSign forbids them)
// is dropped by pubsub before the block validator sees it.
func TestSignedPubsubMessageRefused(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	node := startPlugin(t, c, nil, nil)
	r := newRogue(t, true)
	r.connect(t, node)
	v4 := blockmsg.Topic(c.cfg.L2ChainID, blockmsg.V4)
	r.publishOn(t, v4, node.node.host.ID(), c.message(t, c.block(t, 100, common.Hash{}, 1), blockmsg.V4, c.key))
	// Honest messages after it are validated; the signed one never was.
	honest := newRogue(t, false)
	honest.connect(t, node)
	deadline := time.Now().Add(20 * time.Second)
	for i := byte(2); ; i++ {
		honest.publishOn(t, v4, node.node.host.ID(), c.message(t, c.block(t, 100, common.Hash{}, i), blockmsg.V4, c.key))
		<-time.After(100 * time.Millisecond)
		if a, ig, rj := outcomes(node); a > 0 {
			if ig != 0 || rj != 0 {
				t.Fatalf("the signed message reached the validator: ignore %d reject %d", ig, rj)
			}
			return
		}
		if time.Now().After(deadline) || i > 100 {
			t.Fatal("no honest message was validated")
		}
	}
}

// With score_invalid_gossip a peer sending rejected blocks crosses the
// graylist and then the ban threshold and is banned; a static peer sending
// the same is never banned.
func TestInvalidGossipBansRogueNotStatic(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	static := newRogue(t, false)
	node := startPlugin(t, c, nil, map[string]any{
		"score_invalid_gossip": true,
		"static":               static.h.Addrs()[0].String() + "/p2p/" + static.h.ID().String(),
	})
	r := newRogue(t, false)
	r.connect(t, node)
	static.connect(t, node)
	r.warmUp(t, c, node, 90)
	static.warmUp(t, c, node, 91)
	v4 := blockmsg.Topic(c.cfg.L2ChainID, blockmsg.V4)
	wrongKey, _ := crypto.GenerateKey()
	bad := func(k *ecdsa.PrivateKey, i byte) []byte {
		return c.message(t, c.block(t, 100, common.Hash{}, i), blockmsg.V4, k)
	}
	for i := byte(0); i < 6; i++ {
		r.publishOn(t, v4, node.node.host.ID(), bad(wrongKey, i))
		static.publishOn(t, v4, node.node.host.ID(), bad(wrongKey, 100+i))
	}
	deadline := time.Now().Add(40 * time.Second)
	for !node.node.gater.isBanned(r.h.ID()) {
		if time.Now().After(deadline) {
			s, _ := node.node.gater.score(r.h.ID())
			t.Fatalf("the rogue was not banned (score %.1f)", s)
		}
		<-time.After(50 * time.Millisecond)
	}
	if node.node.gater.isBanned(static.h.ID()) {
		t.Fatal("a static peer was banned")
	}
	if s, _ := node.node.gater.score(static.h.ID()); s > -40 {
		t.Fatalf("the static peer's score %.1f did not fall below the graylist", s)
	}
	if node.node.host.Network().Connectedness(r.h.ID()) == network.Connected {
		t.Fatal("the banned rogue is still connected")
	}
}
