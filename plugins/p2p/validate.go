package p2p

import (
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Outcome is a gossip validation result, as libp2p-pubsub knows them.
type Outcome int

const (
	Accept Outcome = iota
	Ignore
	Reject
)

func (o Outcome) String() string {
	switch o {
	case Accept:
		return "accept"
	case Ignore:
		return "ignore"
	default:
		return "reject"
	}
}

// Verdict is the validator's answer for one message: the outcome, why (for
// the log), and the decoded block when accepted.
type Verdict struct {
	Outcome  Outcome
	Reason   string
	Envelope *eth.ExecutionPayloadEnvelope
}

// Block gossip limits (op-node v1.19.6).
const (
	// futureSlack is how far ahead of the local clock a block may be.
	futureSlack = 5 * time.Second
	// maxBlocksPerHeight is how many distinct blocks one height may carry;
	// a further one is rejected.
	maxBlocksPerHeight = 6
	// seenHeights is how many heights the per-height record keeps.
	seenHeights = 1000
	// RotationGrace is how long the previous unsafe block signer stays
	// valid after the signer changed, unless the new one signs first.
	RotationGrace = 3 * time.Hour
)

// signerSet is the unsafe block signer with op-node's rotation grace: the
// previous signer stays valid for RotationGrace or until the first block
// signed by the new one.
type signerSet struct {
	mu        sync.Mutex
	current   common.Address
	previous  common.Address
	prevUntil time.Time
}

// set installs signer as the current one; the old one enters its grace.
func (s *signerSet) set(signer common.Address, now time.Time) (changed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if signer == s.current {
		return false
	}
	if s.current != (common.Address{}) {
		s.previous, s.prevUntil = s.current, now.Add(RotationGrace)
	}
	s.current = signer
	return true
}

func (s *signerSet) get() common.Address {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// check classifies a recovered address: the current signer (which ends the
// grace of the previous one), the previous within its grace, or neither.
func (s *signerSet) check(addr common.Address, now time.Time) (Outcome, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.current == (common.Address{}):
		return Ignore, "no unsafe block signer known yet"
	case addr == s.current:
		s.previous = common.Address{}
		return Accept, ""
	case addr == s.previous && s.previous != (common.Address{}) && now.Before(s.prevUntil):
		return Accept, ""
	default:
		return Reject, fmt.Sprintf("signed by %s, not the unsafe block signer %s", addr, s.current)
	}
}

// validator checks block gossip in op-node's order (p2p-digest §6): size
// and snappy, signature, SSZ by the topic's version, timestamp window,
// block hash, per-version fields, per-height limits.
type validator struct {
	rollup    *rollup.Config
	chainID   *big.Int
	signers   *signerSet
	threshold time.Duration
	now       func() time.Time

	mu   sync.Mutex
	seen *lru.Cache[uint64, []common.Hash]
}

func newValidator(cfg *rollup.Config, signers *signerSet, threshold time.Duration, now func() time.Time) *validator {
	seen, _ := lru.New[uint64, []common.Hash](seenHeights)
	if now == nil {
		now = time.Now
	}
	return &validator{rollup: cfg, chainID: cfg.L2ChainID, signers: signers, threshold: threshold, now: now, seen: seen}
}

// validate judges one message of a block topic. It never panics on bad
// input; a panic from below is a REJECT, as in op-node.
func (v *validator) validate(version blockmsg.Version, data []byte) (out Verdict) {
	defer func() {
		if r := recover(); r != nil {
			out = Verdict{Outcome: Reject, Reason: fmt.Sprintf("validation panicked: %v", r)}
		}
	}()
	sig, body, err := blockmsg.Decode(data)
	if err != nil {
		return Verdict{Outcome: Reject, Reason: err.Error()}
	}
	addr, err := blockmsg.RecoverSigner(v.chainID, sig, body)
	if err != nil {
		return Verdict{Outcome: Reject, Reason: "bad signature: " + err.Error()}
	}
	now := v.now()
	if o, why := v.signers.check(addr, now); o != Accept {
		return Verdict{Outcome: o, Reason: why}
	}
	env, err := blockmsg.UnmarshalBody(body, version)
	if err != nil {
		return Verdict{Outcome: Reject, Reason: err.Error()}
	}
	p := env.ExecutionPayload
	unix := uint64(now.Unix())
	if old := uint64(v.threshold / time.Second); unix > old && p.Timestamp < unix-old {
		return Verdict{Outcome: Reject, Reason: fmt.Sprintf("block %d is too old: timestamp %d, now %d", p.BlockNumber, p.Timestamp, unix)}
	}
	if p.Timestamp > unix+uint64(futureSlack/time.Second) {
		return Verdict{Outcome: Reject, Reason: fmt.Sprintf("block %d is too far in the future: timestamp %d, now %d", p.BlockNumber, p.Timestamp, unix)}
	}
	hash, err := blockmsg.BlockHash(env, v.rollup)
	if err != nil {
		return Verdict{Outcome: Reject, Reason: err.Error()}
	}
	if hash != p.BlockHash {
		return Verdict{Outcome: Reject, Reason: fmt.Sprintf("block %d claims hash %s, its header hashes to %s", p.BlockNumber, p.BlockHash, hash)}
	}
	if err := blockmsg.CheckFields(env, version, v.rollup); err != nil {
		return Verdict{Outcome: Reject, Reason: err.Error()}
	}
	return v.record(env)
}

// record applies the per-height limits and remembers the block.
func (v *validator) record(env *eth.ExecutionPayloadEnvelope) Verdict {
	p := env.ExecutionPayload
	v.mu.Lock()
	defer v.mu.Unlock()
	hashes, _ := v.seen.Get(p.BlockNumber)
	if len(hashes) >= maxBlocksPerHeight {
		return Verdict{Outcome: Reject, Reason: fmt.Sprintf("%d blocks already seen at height %d", len(hashes), p.BlockNumber)}
	}
	for _, h := range hashes {
		if h == p.BlockHash {
			return Verdict{Outcome: Ignore, Reason: "block already seen"}
		}
	}
	v.seen.Add(p.BlockNumber, append(hashes, p.BlockHash))
	return Verdict{Outcome: Accept, Envelope: env}
}

var errNoSigner = errors.New("no sequencer key: this node does not publish blocks")
