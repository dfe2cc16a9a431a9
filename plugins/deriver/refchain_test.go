package deriver_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/plugins/deriver"
	"github.com/opalnode/opal/plugins/deriver/internal/refchain"
	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk/base"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// loadRefchain returns the reference chain, loaded once per test binary.
func loadRefchain(tb testing.TB) *refchain.Chain { return refchain.Shared(tb) }

func configured(t *testing.T, c *refchain.Chain, d sdkderiver.Deriver) sdkderiver.Deriver {
	t.Helper()
	if err := d.Configure(context.Background(), base.ConfigureRequest{Rollup: c.Rollup, L1ChainConfig: c.L1Config}); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRefchainThroughPlugin derives the reference chain through the plugin
// contract, in-process and over gRPC, and compares every block with the
// reference op-node's.
func TestRefchainThroughPlugin(t *testing.T) {
	t.Parallel()
	c := loadRefchain(t)
	for name, d := range map[string]func(*testing.T) sdkderiver.Deriver{
		"in-process": func(*testing.T) sdkderiver.Deriver { return deriver.New() },
		"grpc":       func(t *testing.T) sdkderiver.Deriver { return sdktest.Deriver(t, deriver.New()) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := configured(t, c, d(t))
			ctx := context.Background()
			next := c.L1Index(c.Genesis.L1Origin.Number)
			sys := c.Rollup.Genesis.SystemConfig
			if err := d.Reset(ctx, sdkderiver.ResetRequest{SafeHead: c.Genesis, SystemConfig: sys, L1Start: c.L1[next].Ref(), L1SystemConfig: sys}); err != nil {
				t.Fatal(err)
			}
			matched := 0
			for derived := 0; derived < len(c.L2); {
				parent := c.Parent(uint64(derived + 1))
				res, err := d.Step(ctx, parent)
				if err != nil {
					t.Fatalf("step on %d: %v", parent.Number, err)
				}
				switch res.Outcome {
				case sdkderiver.NeedL1:
					if next >= len(c.L1) {
						t.Fatalf("L1 exhausted after %d blocks", derived)
					}
					if err := d.AddL1Block(ctx, c.L1[next]); err != nil {
						t.Fatal(err)
					}
					next++
				case sdkderiver.Attributes:
					if res.Attributes.Parent != parent {
						t.Fatalf("attributes on %v, asked for %v", res.Attributes.Parent, parent)
					}
					if diffs := c.Compare(res.Attributes.Attributes, c.L2[derived]); len(diffs) > 0 {
						t.Errorf("L2 block %d: %v", derived+1, diffs)
					} else {
						matched++
					}
					derived++
				}
			}
			t.Logf("%d of %d blocks match the reference", matched, len(c.L2))
		})
	}
}

// TestRefchainSequencerAttributes builds every reference block's attributes
// the sequencer's way and checks them against the reference block: the
// deposits it starts with, the gas limit, and an open transaction pool.
func TestRefchainSequencerAttributes(t *testing.T) {
	t.Parallel()
	c := loadRefchain(t)
	d := configured(t, c, deriver.New())
	ctx := context.Background()
	sys := c.Rollup.Genesis.SystemConfig
	for i, want := range c.L2 {
		parent := c.Parent(want.Number)
		origin := c.L1[c.L1Index(want.L1Origin.Number)]
		res, err := d.BuildAttributes(ctx, sdkderiver.BuildRequest{Parent: parent, ParentSystemConfig: sys, L1Origin: origin, Timestamp: want.Timestamp})
		if err != nil {
			t.Fatalf("block %d: %v", want.Number, err)
		}
		a := res.Attributes
		if a.NoTxPool {
			t.Errorf("block %d: tx pool closed", want.Number)
		}
		if *a.GasLimit != want.GasLimit {
			t.Errorf("block %d: gas limit %d, want %d", want.Number, *a.GasLimit, want.GasLimit)
		}
		if len(a.Transactions) != want.DepositCount {
			t.Fatalf("block %d: %d deposits, want %d", want.Number, len(a.Transactions), want.DepositCount)
		}
		for j, tx := range a.Transactions {
			if crypto.Keccak256Hash(tx) != want.TxHashes[j] {
				t.Errorf("block %d: deposit %d differs", i+1, j)
			}
		}
		sys = res.SystemConfig
	}
}

// TestPayloadInvalidReplacement reports a derived block of the reference
// chain (Holocene) invalid: the next Step on the same parent gives the same
// attributes cut to their deposits, through gRPC too.
func TestPayloadInvalidReplacement(t *testing.T) {
	t.Parallel()
	c := loadRefchain(t)
	// The first reference block with user transactions.
	target := -1
	for i, b := range c.L2 {
		if len(b.TxHashes) > b.DepositCount {
			target = i
			break
		}
	}
	if target < 0 {
		t.Skip("no block with user transactions")
	}
	d := configured(t, c, sdktest.Deriver(t, deriver.New()))
	ctx := context.Background()
	next := c.L1Index(c.Genesis.L1Origin.Number)
	sys := c.Rollup.Genesis.SystemConfig
	if err := d.Reset(ctx, sdkderiver.ResetRequest{SafeHead: c.Genesis, SystemConfig: sys, L1Start: c.L1[next].Ref(), L1SystemConfig: sys}); err != nil {
		t.Fatal(err)
	}
	var got *sdkderiver.DerivedAttributes
	for derived := 0; derived <= target; {
		res, err := d.Step(ctx, c.Parent(uint64(derived+1)))
		if err != nil {
			t.Fatal(err)
		}
		switch res.Outcome {
		case sdkderiver.NeedL1:
			if err := d.AddL1Block(ctx, c.L1[next]); err != nil {
				t.Fatal(err)
			}
			next++
		case sdkderiver.Attributes:
			got = res.Attributes
			derived++
		}
	}
	stale := *got
	stale.Parent.Hash = common.Hash{1}
	if err := d.PayloadInvalid(ctx, &stale); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("invalid report for other attributes: %v", err)
	}
	if err := d.PayloadInvalid(ctx, got); err != nil {
		t.Fatal(err)
	}
	res, err := d.Step(ctx, got.Parent)
	if err != nil || res.Outcome != sdkderiver.Attributes {
		t.Fatalf("step after the invalid payload: %+v, %v", res, err)
	}
	want := c.L2[target]
	a := res.Attributes.Attributes
	if a.Timestamp != want.Timestamp || !a.NoTxPool || len(a.Transactions) != want.DepositCount {
		t.Fatalf("replacement: time %d, noTxPool %v, %d txs; want %d deposits", a.Timestamp, a.NoTxPool, len(a.Transactions), want.DepositCount)
	}
	for i, tx := range a.Transactions {
		if crypto.Keccak256Hash(tx) != want.TxHashes[i] {
			t.Fatalf("deposit %d differs", i)
		}
	}
}

// standIn is the reference of the block built from res on a chain whose
// hashes are made up (offline replay): the hash commits to the parent and
// the attributes' timestamp and transactions, the origin comes from the
// L1-info deposit as an engine would report it.
func standIn(t *testing.T, c *refchain.Chain, res *sdkderiver.DerivedAttributes) eth.L2BlockRef {
	t.Helper()
	a := res.Attributes
	h := crypto.NewKeccakState()
	h.Write(res.Parent.Hash[:])
	h.Write(binary.BigEndian.AppendUint64(nil, a.Timestamp))
	for _, tx := range a.Transactions {
		h.Write(crypto.Keccak256(tx))
	}
	var hash common.Hash
	h.Read(hash[:])
	ref, err := l1info.BlockRef(c.Rollup, l1info.L2Block{Hash: hash, ParentHash: res.Parent.Hash, Number: res.Parent.Number + 1, Time: a.Timestamp}, a.Transactions[0])
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestRefchainOffline derives the reference chain on stand-in L2 hashes, as
// replay does without an engine: with Offline set every block matches the
// reference; without it the batches' parent checks fail on the stand-ins
// and the chain differs (so the flag is what makes offline derivation work).
func TestRefchainOffline(t *testing.T) {
	t.Parallel()
	c := loadRefchain(t)
	for _, offline := range []bool{true, false} {
		t.Run(fmt.Sprint("offline=", offline), func(t *testing.T) {
			t.Parallel()
			d := configured(t, c, deriver.New())
			ctx := context.Background()
			next := c.L1Index(c.Genesis.L1Origin.Number)
			sys := c.Rollup.Genesis.SystemConfig
			if err := d.Reset(ctx, sdkderiver.ResetRequest{SafeHead: c.Genesis, SystemConfig: sys, L1Start: c.L1[next].Ref(), L1SystemConfig: sys, Offline: offline}); err != nil {
				t.Fatal(err)
			}
			parent, matched := c.Genesis, 0
			for derived := 0; derived < len(c.L2); {
				res, err := d.Step(ctx, parent)
				if errors.Is(err, eth.ErrReset) && !offline {
					t.Logf("reset after %d blocks: %v", derived, err)
					break
				}
				if err != nil {
					t.Fatalf("step on %d: %v", parent.Number, err)
				}
				if res.Outcome == sdkderiver.NeedL1 {
					if next >= len(c.L1) {
						break
					}
					if err := d.AddL1Block(ctx, c.L1[next]); err != nil {
						t.Fatal(err)
					}
					next++
					continue
				}
				if res.Outcome != sdkderiver.Attributes {
					continue
				}
				if len(c.Compare(res.Attributes.Attributes, c.L2[derived])) == 0 {
					matched++
				}
				parent = standIn(t, c, res.Attributes)
				derived++
			}
			switch {
			case offline && matched != len(c.L2):
				t.Fatalf("offline: %d of %d blocks match the reference", matched, len(c.L2))
			case !offline && matched == len(c.L2):
				t.Fatal("stand-in hashes passed the parent checks without Offline")
			}
			t.Logf("offline=%v: %d of %d blocks match", offline, matched, len(c.L2))
		})
	}
}

// deriveRefchain derives the reference chain with d from genesis, the
// system config's batcher replaced by batcher when set, and counts the
// blocks equal to the reference's. With the batcher replaced the L1-info
// deposits differ from the reference's (they carry the batcher), so there
// the blocks whose transactions are the reference's but for that deposit
// are counted.
func deriveRefchain(t *testing.T, c *refchain.Chain, d sdkderiver.Deriver, batcher *common.Address) int {
	t.Helper()
	ctx := context.Background()
	next := c.L1Index(c.Genesis.L1Origin.Number)
	sys := c.Rollup.Genesis.SystemConfig
	if batcher != nil {
		sys.BatcherAddr = *batcher
	}
	if err := d.Reset(ctx, sdkderiver.ResetRequest{SafeHead: c.Genesis, SystemConfig: sys, L1Start: c.L1[next].Ref(), L1SystemConfig: sys, Offline: true}); err != nil {
		t.Fatal(err)
	}
	parent, matched := c.Genesis, 0
	for derived := 0; derived < len(c.L2); {
		res, err := d.Step(ctx, parent)
		if err != nil {
			t.Fatalf("step on %d: %v", parent.Number, err)
		}
		switch res.Outcome {
		case sdkderiver.NeedL1:
			if next >= len(c.L1) {
				return matched
			}
			if err := d.AddL1Block(ctx, c.L1[next]); err != nil {
				t.Fatal(err)
			}
			next++
		case sdkderiver.Attributes:
			a, want := res.Attributes.Attributes, c.L2[derived]
			switch {
			case batcher == nil:
				if len(c.Compare(a, want)) == 0 {
					matched++
				}
			case a.Timestamp == want.Timestamp && len(a.Transactions) == len(want.TxHashes):
				same := true
				for i, tx := range a.Transactions[1:] {
					same = same && crypto.Keccak256Hash(tx) == want.TxHashes[i+1]
				}
				if same {
					matched++
				}
			}
			parent = standIn(t, c, res.Attributes)
			derived++
		}
	}
	return matched
}

// A variant is the default pipeline with one rule changed: each rule
// changes the derived chain where it matters, and a variant names itself.
func TestVariantRules(t *testing.T) {
	t.Parallel()
	c := loadRefchain(t)
	variant := func(r deriver.Rules) sdkderiver.Deriver {
		return configured(t, c, deriver.NewVariant(deriver.Variant{Name: "test", Version: "1", Rules: func(json.RawMessage) (deriver.Rules, error) { return r, nil }}))
	}
	batcher := c.Rollup.Genesis.SystemConfig.BatcherAddr
	other := common.HexToAddress("0x000000000000000000000000000000000000bad0")
	n := len(c.L2)
	for _, tc := range []struct {
		name    string
		d       sdkderiver.Deriver
		batcher *common.Address
		match   func(int) bool
	}{
		{"default", configured(t, c, deriver.New()), nil, func(m int) bool { return m == n }},
		{"default, batcher replaced", configured(t, c, deriver.New()), &other, func(m int) bool { return m < n }},
		{"extra batcher accepts the real one", variant(deriver.Rules{ExtraBatchers: []common.Address{batcher}}), &other, func(m int) bool { return m == n }},
		{"sequencing window of 2 L1 blocks", variant(deriver.Rules{SeqWindowSize: 2}), nil, func(m int) bool { return m < n }},
	} {
		if m := deriveRefchain(t, c, tc.d, tc.batcher); !tc.match(m) {
			t.Errorf("%s: %d of %d blocks match the reference", tc.name, m, n)
		} else {
			t.Logf("%s: %d of %d blocks match the reference", tc.name, m, n)
		}
	}
	info, _ := variant(deriver.Rules{SeqWindowSize: 9}).Info(context.Background())
	if info.Name != "test" {
		t.Fatalf("variant reports %q", info.Name)
	}
	bad := deriver.NewVariant(deriver.Variant{Name: "default", Rules: func(json.RawMessage) (deriver.Rules, error) { return deriver.Rules{}, nil }})
	if err := bad.Configure(context.Background(), base.ConfigureRequest{Rollup: c.Rollup, L1ChainConfig: c.L1Config}); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("a variant named default: %v", err)
	}
}
