package p2p

import (
	"context"
	"fmt"
	"math"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/eth"
	sdkp2p "github.com/opalnode/opal/sdk/p2p"
)

// GossipSub settings of op-node v1.19.6 (p2p-digest §3).
const (
	heartbeat          = 500 * time.Millisecond
	seenTTL            = 130 * heartbeat
	outboundQueue      = 256
	validateQueue      = 256
	validateThrottle   = 512
	validatorWorkers   = 4
	validatorTimeout   = 3 * time.Second
	fanoutTTL          = 24 * time.Second
	historyLength      = 12
	historyGossip      = 3
	scoreSnapshotEvery = 15 * time.Second
	banCheckEvery      = time.Second
	subscriptionBuffer = 64
)

func (n *node) gossipParams() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi, p.Dlazy = n.set.meshD, n.set.meshDlo, n.set.meshDhi, n.set.meshDlazy
	p.HeartbeatInterval = heartbeat
	p.FanoutTTL = fanoutTTL
	p.HistoryLength = historyLength
	p.HistoryGossip = historyGossip
	return p
}

// scoreParams are op-node's "light" peer scoring: IP colocation and
// behaviour penalties, slot = block time, epoch = 6 slots. op-node sets no
// topic parameters, so invalid messages do not lower a score there; with
// score_invalid_gossip (off by default, as op-node) opal adds a per-topic invalid-message
// penalty (P4), which gossip scoring allows, so that a peer sending
// rejected blocks is graylisted and then banned. Static peers are exempt
// from bans either way.
func (n *node) scoreParams() (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	slot := time.Duration(n.rollup.BlockTime) * time.Second
	if slot == 0 {
		slot = 2 * time.Second
	}
	epoch := 6 * slot
	decay := func(d time.Duration) float64 { return math.Pow(0.01, 1/float64(d/slot)) }
	params := &pubsub.PeerScoreParams{
		Topics:                      map[string]*pubsub.TopicScoreParams{},
		TopicScoreCap:               34,
		AppSpecificScore:            func(peer.ID) float64 { return 0 },
		AppSpecificWeight:           1,
		IPColocationFactorWeight:    -35,
		IPColocationFactorThreshold: 10,
		BehaviourPenaltyWeight:      -16,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       decay(10 * epoch),
		DecayInterval:               slot,
		DecayToZero:                 0.01,
		RetainScore:                 100 * epoch,
	}
	if n.set.scoreInvalid {
		for v := blockmsg.V1; v <= blockmsg.V4; v++ {
			params.Topics[blockmsg.Topic(n.rollup.L2ChainID, v)] = &pubsub.TopicScoreParams{
				TopicWeight:       1,
				TimeInMeshQuantum: slot,
				// Graylisting (score < -40) stops validation and so the
				// count: the step that graylists must also cross the ban
				// threshold (-100), and stay there until the next score
				// snapshot (15 s). One rejected block gives -40 (not yet
				// graylisted), a second -160, which the decay brings back
				// above -100 only after about 30 s: the second rejected
				// block within the decay (about 50 epochs) bans the peer.
				InvalidMessageDeliveriesWeight: -40,
				InvalidMessageDeliveriesDecay:  decay(50 * epoch),
			}
		}
	}
	thresholds := &pubsub.PeerScoreThresholds{
		GossipThreshold: -10, PublishThreshold: -40, GraylistThreshold: -40,
		AcceptPXThreshold: 20, OpportunisticGraftThreshold: 0.05,
	}
	return params, thresholds
}

func (n *node) startGossip(ctx context.Context) error {
	var names []string
	for v := blockmsg.V1; v <= blockmsg.V4; v++ {
		names = append(names, blockmsg.Topic(n.rollup.L2ChainID, v))
	}
	opts := []pubsub.Option{
		pubsub.WithMaxMessageSize(blockmsg.MaxGossipSize),
		pubsub.WithMessageIdFn(func(m *pb.Message) string { return blockmsg.MessageID(m.GetTopic(), m.Data) }),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithSubscriptionFilter(pubsub.NewAllowlistSubscriptionFilter(names...)),
		pubsub.WithValidateQueueSize(validateQueue),
		pubsub.WithPeerOutboundQueueSize(outboundQueue),
		pubsub.WithValidateThrottle(validateThrottle),
		pubsub.WithSeenMessagesTTL(seenTTL),
		pubsub.WithPeerExchange(false),
		pubsub.WithGossipSubParams(n.gossipParams()),
		pubsub.WithFloodPublish(n.set.floodPublish),
		pubsub.WithRawTracer(n.mesh),
		pubsub.WithGossipSubProtocols([]protocol.ID{pubsub.GossipSubID_v12, pubsub.GossipSubID_v11, pubsub.GossipSubID_v10}, pubsub.GossipSubDefaultFeatures),
	}
	if n.set.scoring {
		params, thresholds := n.scoreParams()
		opts = append(opts, pubsub.WithPeerScore(params, thresholds),
			pubsub.WithPeerScoreInspect(n.gater.updateScores, scoreSnapshotEvery))
	}
	ps, err := pubsub.NewGossipSub(ctx, n.host, opts...)
	if err != nil {
		return fmt.Errorf("p2p gossipsub: %w", err)
	}
	n.ps = ps
	n.val = newValidator(n.rollup, n.signers, n.set.tsThreshold, nil)
	for v := blockmsg.V1; v <= blockmsg.V4; v++ {
		name := names[v.TopicIndex()]
		version := v
		err := ps.RegisterTopicValidator(name, func(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
			return n.judge(version, from, m)
		}, pubsub.WithValidatorConcurrency(validatorWorkers), pubsub.WithValidatorTimeout(validatorTimeout))
		if err != nil {
			return fmt.Errorf("p2p validator for %s: %w", name, err)
		}
		t, err := ps.Join(name)
		if err != nil {
			return fmt.Errorf("p2p join %s: %w", name, err)
		}
		n.topics[v.TopicIndex()] = t
		sub, err := t.Subscribe(pubsub.WithBufferSize(subscriptionBuffer))
		if err != nil {
			return fmt.Errorf("p2p subscribe %s: %w", name, err)
		}
		n.wg.Add(1)
		go func() { defer n.wg.Done(); n.receive(ctx, version, sub) }()
	}
	return nil
}

// judge runs the validator on one message and keeps the decoded block for
// the subscriber.
func (n *node) judge(v blockmsg.Version, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	verdict := n.val.validate(v, m.Data)
	n.stats.gossip(v, verdict.Outcome)
	self := from == n.host.ID()
	switch verdict.Outcome {
	case Accept:
		m.ValidatorData = verdict.Envelope
		p := verdict.Envelope.ExecutionPayload
		n.log.Debug("validated block", "version", int(v), "block", p.BlockNumber, "hash", p.BlockHash, "from", peerLabel(from, self))
		return pubsub.ValidationAccept
	case Ignore:
		n.log.Debug("gossip ignored", "version", int(v), "from", peerLabel(from, self), "reason", verdict.Reason)
		return pubsub.ValidationIgnore
	default:
		n.log.Warn("gossip rejected", "version", int(v), "from", peerLabel(from, self), "reason", verdict.Reason)
		return pubsub.ValidationReject
	}
}

func peerLabel(id peer.ID, self bool) string {
	if self {
		return "self"
	}
	return id.String()
}

// receive hands accepted blocks from peers to the subscribers. The node's
// own publications come back through the subscription and are dropped.
func (n *node) receive(ctx context.Context, v blockmsg.Version, sub *pubsub.Subscription) {
	defer sub.Cancel()
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == n.host.ID() {
			continue
		}
		env, ok := m.ValidatorData.(*eth.ExecutionPayloadEnvelope)
		if !ok {
			continue
		}
		n.deliver(sdkp2p.Received{Envelope: env, PeerID: m.ReceivedFrom.String()})
	}
}

// publish signs a block and gossips it on the topic of its timestamp's
// fork. The local publication goes through the same validator, as in
// op-node: a wrong key or a stale block cannot be published.
func (n *node) publish(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
	if n.signer == nil {
		return fmt.Errorf("%w: %v", eth.ErrUnsupported, errNoSigner)
	}
	if env == nil || env.ExecutionPayload == nil {
		return fmt.Errorf("%w: empty envelope", eth.ErrInvalidArgument)
	}
	v := blockmsg.VersionAt(n.rollup, env.ExecutionPayload.Timestamp)
	body, err := blockmsg.MarshalBody(env, v)
	if err != nil {
		return fmt.Errorf("%w: encoding block %d: %v", eth.ErrInvalidArgument, env.ExecutionPayload.BlockNumber, err)
	}
	sig, err := n.signer.SignBlock(ctx, n.rollup.L2ChainID, blockmsg.PayloadHash(body))
	if err != nil {
		return fmt.Errorf("signing block %d: %w", env.ExecutionPayload.BlockNumber, err)
	}
	data := blockmsg.Encode(sig, body)
	if err := n.topics[v.TopicIndex()].Publish(ctx, data); err != nil {
		return fmt.Errorf("publishing block %d on %s: %w", env.ExecutionPayload.BlockNumber, n.topics[v.TopicIndex()].String(), err)
	}
	n.stats.published.Add(1)
	return nil
}

// watchScores bans, once per second, one peer whose last score snapshot is
// below the ban threshold (op-node's pace), never a static peer.
func (n *node) watchScores(ctx context.Context) {
	if !n.set.scoring || !n.set.banPeers {
		return
	}
	t := time.NewTicker(banCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		id, score, ok := n.gater.lowest(n.set.banThreshold)
		if !ok {
			continue
		}
		n.log.Warn("banning peer for its gossip score", "peer", id, "score", score, "threshold", n.set.banThreshold, "duration", n.set.banDuration)
		n.gater.ban(id, n.set.banDuration)
		_ = n.host.Network().ClosePeer(id)
	}
}
