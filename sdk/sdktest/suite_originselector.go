package sdktest

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/rollup"
)

// TestRollupConfig is a rollup config for suites: 2 s blocks, a max drift of
// 600 s (no Fjord), a 4-block sequencing window; genesis on the given L1
// block.
func TestRollupConfig(l1Genesis eth.L1BlockRef) *rollup.Config {
	zero := uint64(0)
	return &rollup.Config{
		Genesis: rollup.Genesis{
			L1:           l1Genesis.ID(),
			L2:           eth.BlockID{Hash: common.HexToHash("0x2222"), Number: 0},
			L2Time:       l1Genesis.Time,
			SystemConfig: eth.SystemConfig{BatcherAddr: common.HexToAddress("0xba7c4e5"), GasLimit: 30_000_000},
		},
		BlockTime:              2,
		MaxSequencerDrift:      600,
		SeqWindowSize:          4,
		ChannelTimeout:         8,
		L1ChainID:              NewL1Chain(0).ChainID,
		L2ChainID:              bigInt(901),
		RegolithTime:           &zero,
		BatchInboxAddress:      common.HexToAddress("0xff00000000000000000000000000000000000901"),
		DepositContractAddress: common.HexToAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
		L1SystemConfigAddress:  common.HexToAddress("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"),
	}
}

// RunOriginSelectorSuite checks the invariants every origin selector keeps,
// whatever its policy: the answer is the current or the next origin; never
// an origin later than the new block; the drift limit forces the next
// origin; a next origin that is not a child of the current is refused.
func RunOriginSelectorSuite(t *testing.T, sel originselector.Selector) {
	t.Helper()
	ctx := context.Background()
	l1 := func(n uint64, t uint64, parent common.Hash) eth.L1BlockRef {
		return eth.L1BlockRef{Hash: common.BigToHash(bigInt(int64(n + 0x1000))), Number: n, ParentHash: parent, Time: t}
	}
	current := l1(10, 1_000_000, common.HexToHash("0x09"))
	cfg := TestRollupConfig(current)
	if err := sel.Configure(ctx, base.ConfigureRequest{Rollup: cfg}); err != nil {
		t.Fatalf("configure: %v", err)
	}
	head := func(time uint64) eth.L2BlockRef {
		return eth.L2BlockRef{Hash: common.HexToHash("0xaa"), Number: 5, Time: time, L1Origin: current.ID()}
	}
	next := l1(11, current.Time+12, current.Hash)
	orphan := l1(11, current.Time+12, common.HexToHash("0xbad"))
	drift := cfg.MaxDrift(current.Time)

	cases := []struct {
		name     string
		req      originselector.Request
		allowed  []eth.L1BlockRef
		wantErrs []error
	}{
		{"next-unknown-within-drift", originselector.Request{UnsafeHead: head(current.Time), CurrentOrigin: current, L1Head: current},
			[]eth.L1BlockRef{current}, nil},
		{"next-too-new", originselector.Request{UnsafeHead: head(current.Time), CurrentOrigin: current, NextOrigin: &next, L1Head: next},
			[]eth.L1BlockRef{current}, nil},
		{"next-allowed", originselector.Request{UnsafeHead: head(next.Time), CurrentOrigin: current, NextOrigin: &next, L1Head: next},
			[]eth.L1BlockRef{current, next}, nil},
		{"drift-forces-next", originselector.Request{UnsafeHead: head(current.Time + drift), CurrentOrigin: current, NextOrigin: &next, L1Head: next},
			[]eth.L1BlockRef{next}, nil},
		{"drift-next-unknown", originselector.Request{UnsafeHead: head(current.Time + drift), CurrentOrigin: current, L1Head: current},
			nil, []error{originselector.ErrNextOriginRequired}},
		{"drift-next-orphaned", originselector.Request{UnsafeHead: head(current.Time + drift), CurrentOrigin: current, NextOrigin: &orphan, L1Head: orphan},
			nil, []error{originselector.ErrNextOriginOrphaned}},
		{"orphan-within-drift", originselector.Request{UnsafeHead: head(next.Time), CurrentOrigin: current, NextOrigin: &orphan, L1Head: orphan},
			[]eth.L1BlockRef{current}, []error{originselector.ErrNextOriginOrphaned}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sel.NextL1Origin(ctx, tc.req)
			if err != nil {
				for _, want := range tc.wantErrs {
					if errors.Is(err, want) {
						return
					}
				}
				t.Fatalf("unexpected error %v (allowed: %v)", err, tc.wantErrs)
			}
			newTime := tc.req.UnsafeHead.Time + cfg.BlockTime
			if got.Time > newTime {
				t.Fatalf("origin %v has time %d after the new block's %d", got, got.Time, newTime)
			}
			for _, a := range tc.allowed {
				if got == a {
					return
				}
			}
			t.Fatalf("got origin %+v, allowed %+v (errors %v)", got, tc.allowed, tc.wantErrs)
		})
	}
}
