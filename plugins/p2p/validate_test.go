package p2p

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/golang/snappy"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/eth"
)

// The rogue-peer table of the p2p digest: what op-node v1.19.6 answers to
// each invalid message, which opal must answer too.
func TestValidatorOutcomes(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	wrongKey, _ := crypto.GenerateKey()
	parent := common.HexToHash("0xaa")
	const height = 100
	// The clock stands at block 100's time.
	now := time.Unix(int64(c.cfg.Genesis.L2Time+height*c.cfg.BlockTime), 0)
	good := func() *eth.ExecutionPayloadEnvelope { return c.block(t, height, parent, 0) }
	signed := func(env *eth.ExecutionPayloadEnvelope) []byte { return c.message(t, env, blockmsg.V4, c.key) }
	rehash := func(env *eth.ExecutionPayloadEnvelope) *eth.ExecutionPayloadEnvelope {
		env.ExecutionPayload.BlockHash = rebuiltHash(t, env, c.cfg)
		return env
	}
	withSig := func(data []byte, edit func(sig []byte)) []byte {
		raw, err := snappy.Decode(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		edit(raw[:65])
		return snappy.Encode(nil, raw)
	}
	cases := []struct {
		name    string
		version blockmsg.Version
		data    func() []byte
		want    Outcome
	}{
		{"wrong key", blockmsg.V4, func() []byte { return c.message(t, good(), blockmsg.V4, wrongKey) }, Reject},
		{"v = 27", blockmsg.V4, func() []byte { return withSig(signed(good()), func(s []byte) { s[64] += 27 }) }, Reject},
		{"corrupt snappy", blockmsg.V4, func() []byte { return []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3} }, Reject},
		{"decompressed < 66 bytes", blockmsg.V4, func() []byte { return snappy.Encode(nil, make([]byte, 65)) }, Reject},
		{"timestamp now - 61 s", blockmsg.V4, func() []byte {
			env := good()
			env.ExecutionPayload.Timestamp = uint64(now.Unix()) - 61
			return signed(rehash(env))
		}, Reject},
		{"timestamp now + 6 s", blockmsg.V4, func() []byte {
			env := good()
			env.ExecutionPayload.Timestamp = uint64(now.Unix()) + 6
			return signed(rehash(env))
		}, Reject},
		{"block hash flipped", blockmsg.V4, func() []byte {
			env := good()
			env.ExecutionPayload.BlockHash[0] ^= 1
			return signed(env)
		}, Reject},
		{"V4 body on the /2/ topic", blockmsg.V3, func() []byte { return signed(good()) }, Reject},
		{"one withdrawal on V4", blockmsg.V4, func() []byte {
			env := good()
			env.ExecutionPayload.Withdrawals = []*types.Withdrawal{{Index: 1, Validator: 2, Address: common.HexToAddress("0x33"), Amount: 4}}
			return signed(rehash(env))
		}, Reject},
		{"excessBlobGas = 1", blockmsg.V4, func() []byte {
			env := good()
			one := uint64(1)
			env.ExecutionPayload.ExcessBlobGas = &one
			return signed(rehash(env))
		}, Reject},
		{"valid", blockmsg.V4, func() []byte { return signed(good()) }, Accept},
		{"same block, malleated signature", blockmsg.V4, func() []byte {
			return withSig(signed(good()), func(s []byte) {
				n := crypto.S256().Params().N
				sv := new(big.Int).SetBytes(s[32:64])
				new(big.Int).Sub(n, sv).FillBytes(s[32:64])
				s[64] ^= 1
			})
		}, Ignore},
	}
	v := newValidator(c.cfg, signerOf(c.signer), DefaultTimestampThreshold, func() time.Time { return now })
	for _, tc := range cases {
		got := v.validate(tc.version, tc.data())
		if got.Outcome != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, got.Outcome, got.Reason, tc.want)
		}
		if got.Outcome != Accept && got.Envelope != nil {
			t.Errorf("%s: a refused message carries a block", tc.name)
		}
	}
}

// Seven distinct correctly signed blocks at one height: six are accepted,
// the seventh rejected, and a known one is then rejected too (the height is
// full), as op-node counts before it looks for the hash.
func TestValidatorPerHeightLimit(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	v := newValidator(c.cfg, signerOf(c.signer), DefaultTimestampThreshold, nil)
	var first []byte
	for i := 0; i < 7; i++ {
		data := c.message(t, c.block(t, 100, common.HexToHash("0xaa"), byte(i)), blockmsg.V4, c.key)
		if i == 0 {
			first = data
			if got := v.validate(blockmsg.V4, data); got.Outcome != Accept {
				t.Fatalf("first: %s %s", got.Outcome, got.Reason)
			}
			if got := v.validate(blockmsg.V4, data); got.Outcome != Ignore {
				t.Fatalf("first again: %s, want ignore", got.Outcome)
			}
			continue
		}
		want := Accept
		if i == 6 {
			want = Reject
		}
		if got := v.validate(blockmsg.V4, data); got.Outcome != want {
			t.Fatalf("block %d: %s (%s), want %s", i, got.Outcome, got.Reason, want)
		}
	}
	if got := v.validate(blockmsg.V4, first); got.Outcome != Reject {
		t.Fatalf("known block at a full height: %s, want reject", got.Outcome)
	}
}

// With no signer known every message is ignored (it looks like silence).
func TestValidatorNoSigner(t *testing.T) {
	t.Parallel()
	c := newTestChain(t)
	v := newValidator(c.cfg, &signerSet{}, DefaultTimestampThreshold, nil)
	if got := v.validate(blockmsg.V4, c.message(t, c.block(t, 100, common.Hash{}, 0), blockmsg.V4, c.key)); got.Outcome != Ignore {
		t.Fatalf("%s, want ignore", got.Outcome)
	}
}

// op-node's rotation: the old signer stays valid for three hours, or until
// the new one signs a valid block.
func TestSignerRotation(t *testing.T) {
	t.Parallel()
	old, cur := common.HexToAddress("0x01"), common.HexToAddress("0x02")
	t0 := time.Unix(1_700_000_000, 0)
	cases := []struct {
		name  string
		steps func(s *signerSet) (Outcome, Outcome)
	}{
		{"old within grace", func(s *signerSet) (Outcome, Outcome) {
			o, _ := s.check(old, t0.Add(RotationGrace-time.Second))
			return o, Accept
		}},
		{"old after grace", func(s *signerSet) (Outcome, Outcome) {
			o, _ := s.check(old, t0.Add(RotationGrace))
			return o, Reject
		}},
		{"old after the new one signed", func(s *signerSet) (Outcome, Outcome) {
			s.check(cur, t0.Add(time.Minute))
			o, _ := s.check(old, t0.Add(2*time.Minute))
			return o, Reject
		}},
		{"stranger", func(s *signerSet) (Outcome, Outcome) {
			o, _ := s.check(common.HexToAddress("0x03"), t0)
			return o, Reject
		}},
	}
	for _, tc := range cases {
		s := &signerSet{}
		s.set(old, t0.Add(-time.Hour))
		s.set(cur, t0)
		if got, want := tc.steps(s); got != want {
			t.Errorf("%s: %s, want %s", tc.name, got, want)
		}
	}
}

func signerOf(a common.Address) *signerSet {
	s := &signerSet{}
	s.set(a, time.Now())
	return s
}
