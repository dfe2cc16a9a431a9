package enginectl

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/interop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
	"github.com/opalnode/opal/sdk/sdktest"
)

func attrsFor(parent eth.L2BlockRef, tx byte) *eth.PayloadAttributes {
	gas := uint64(30_000_000)
	return &eth.PayloadAttributes{
		Timestamp: parent.Time + 2, PrevRandao: common.HexToHash("0x1"), SuggestedFeeRecipient: common.HexToAddress("0x4200000000000000000000000000000000000011"),
		Transactions: [][]byte{{0x7e, tx}}, NoTxPool: true, GasLimit: &gas,
	}
}

func TestAttributesMatch(t *testing.T) {
	t.Parallel()
	cfg := sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x1")})
	zero := uint64(0)
	cfg.HoloceneTime, cfg.JovianTime = &zero, &zero
	cfg.ChainOpConfig = &rollup.ChainOpConfig{EIP1559Elasticity: 6, EIP1559Denominator: 50, EIP1559DenominatorCanyon: 250}
	parent := eth.L2BlockRef{Hash: common.HexToHash("0xp"), Number: 1, Time: 100}
	base := func() (*deriver.DerivedAttributes, *eth.ExecutionPayloadEnvelope) {
		a := attrsFor(parent, 1)
		params := eth.Bytes8{0, 0, 0, 250, 0, 0, 0, 6}
		a.EIP1559Params = &eth.Bytes8{}
		minFee := uint64(7)
		a.MinBaseFee = &minFee
		extra := append([]byte{1}, params[:]...)
		extra = append(extra, 0, 0, 0, 0, 0, 0, 0, 7)
		p := &eth.ExecutionPayload{ParentHash: parent.Hash, Timestamp: a.Timestamp, PrevRandao: a.PrevRandao, FeeRecipient: a.SuggestedFeeRecipient,
			GasLimit: *a.GasLimit, Transactions: [][]byte{{0x7e, 1}}, ExtraData: extra}
		return &deriver.DerivedAttributes{Attributes: a, Parent: parent}, &eth.ExecutionPayloadEnvelope{ExecutionPayload: p}
	}
	cases := map[string]func(*deriver.DerivedAttributes, *eth.ExecutionPayloadEnvelope){
		"match": func(*deriver.DerivedAttributes, *eth.ExecutionPayloadEnvelope) {},
		// A post-exec transaction (0x7D, from Lagoon) is compared as bytes
		// like any other.
		"match-post-exec": func(a *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			pe := []byte{0x7d, 0xc3, 0x01, 0x02, 0xc0}
			a.Attributes.Transactions = append(a.Attributes.Transactions, pe)
			e.ExecutionPayload.Transactions = append(e.ExecutionPayload.Transactions, append([]byte(nil), pe...))
		},
		"parent": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.ParentHash[0]++
		},
		"timestamp": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) { e.ExecutionPayload.Timestamp++ },
		"randao": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.PrevRandao[0]++
		},
		"fee-recipient": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.FeeRecipient[0]++
		},
		"gas-limit": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) { e.ExecutionPayload.GasLimit++ },
		"tx-bytes": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.Transactions[0] = []byte{0x7e, 2}
		},
		"tx-count": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.Transactions = append(e.ExecutionPayload.Transactions, []byte{2})
		},
		"beacon-root": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			e.ParentBeaconBlockRoot = &common.Hash{1}
		},
		"withdrawals": func(a *deriver.DerivedAttributes, _ *eth.ExecutionPayloadEnvelope) {
			a.Attributes.Withdrawals = nil
			a.Attributes.Withdrawals = make([]*types.Withdrawal, 0)
		},
		"eip1559-params": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.ExtraData[4] = 1
		},
		"min-base-fee": func(_ *deriver.DerivedAttributes, e *eth.ExecutionPayloadEnvelope) {
			e.ExecutionPayload.ExtraData[16] = 8
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, e := base()
			mutate(a, e)
			diff := attributesMatch(cfg, a, e)
			if strings.HasPrefix(name, "match") != (diff == "") {
				t.Fatalf("diff %q", diff)
			}
		})
	}
}

// Consolidation both ways: derived attributes equal to the unsafe block
// promote it to safe; different ones reorg the unsafe chain.
func TestProcessDerivedConsolidatesOrReorgs(t *testing.T) {
	t.Parallel()
	genesis := eth.L2BlockRef{Hash: common.HexToHash("0x2222"), Number: 0, Time: 1000}
	for _, same := range []bool{true, false} {
		eng := sdktest.NewFakeEngine(genesis)
		st, err := heads.New(heads.At(genesis), nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := metrics.New()
		var recorded []eth.L2BlockRef
		ctl := New(Config{Rollup: sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x1")}), Engine: eng, Heads: st,
			Metrics: m, SafeRecorder: func(l2 eth.L2BlockRef, _ eth.L1BlockRef) { recorded = append(recorded, l2) }})
		ctx := context.Background()
		env, err := ctl.Build(ctx, genesis, attrsFor(genesis, 1))
		if err != nil {
			t.Fatal(err)
		}
		unsafe, _ := ctl.RefOf(ctx, env.ExecutionPayload)
		if err := st.SetUnsafe(unsafe, "test"); err != nil {
			t.Fatal(err)
		}
		if err := ctl.Forkchoice(ctx); err != nil {
			t.Fatal(err)
		}
		tx := byte(1)
		if !same {
			tx = 2
		}
		if err := ctl.ProcessDerived(ctx, &deriver.DerivedAttributes{Attributes: attrsFor(genesis, tx), Parent: genesis, IsLastInSpan: true}); err != nil {
			t.Fatal(err)
		}
		h := st.Get()
		if same {
			if h.Safe != unsafe || h.Unsafe != unsafe || metrics.CounterValue(m.Reorgs) != 0 {
				t.Fatalf("consolidation: heads %+v, reorgs %v", h, metrics.CounterValue(m.Reorgs))
			}
		} else {
			if h.Safe.Hash == unsafe.Hash || h.Unsafe != h.Safe || metrics.CounterValue(m.Reorgs) != 1 {
				t.Fatalf("reorg: heads %+v, reorgs %v", h, metrics.CounterValue(m.Reorgs))
			}
		}
		if len(recorded) != 1 || recorded[0] != h.Safe {
			t.Fatalf("safe head index: %+v", recorded)
		}
	}
}

type denyAll struct{}

func (denyAll) Denied(context.Context, eth.BlockID) (bool, error) { return true, nil }

// Where interop applies, a block the message checker denies is neither
// consolidated nor built: derivation gets ErrPayloadInvalid (and replaces
// it with deposits only); before Lagoon the checker is not asked.
func TestProcessDerivedDeniedByInteropCheck(t *testing.T) {
	t.Parallel()
	genesis := eth.L2BlockRef{Hash: common.HexToHash("0x2222"), Number: 0, Time: 1000}
	for _, lagoon := range []uint64{1000, 5000} {
		eng := sdktest.NewFakeEngine(genesis)
		st, err := heads.New(heads.At(genesis), nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg := sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x1")})
		cfg.LagoonTime = &lagoon
		cfg.DependencySet = rollup.NewDependencySet(cfg.L2ChainID.Uint64(), 1301)
		ctl := New(Config{Rollup: cfg, Engine: eng, Heads: st, Metrics: metrics.New(),
			Messages: interop.NewGate(cfg, denyAll{})})
		err = ctl.ProcessDerived(context.Background(), &deriver.DerivedAttributes{Attributes: attrsFor(genesis, 1), Parent: genesis, IsLastInSpan: true})
		if lagoon == 1000 {
			if !errors.Is(err, ErrPayloadInvalid) || st.Get().Safe != genesis {
				t.Fatalf("denied block: err %v, heads %+v", err, st.Get())
			}
			continue
		}
		if err != nil || st.Get().Safe.Number != 1 {
			t.Fatalf("before Lagoon: err %v, heads %+v", err, st.Get())
		}
	}
}

// The extraData and withdrawals rules of op-node's consolidation
// (AttributesMatchBlock: checkExtraDataParamsMatch, checkWithdrawals): an
// unsafe block that breaks them is not consolidated but replaced.
func TestAttributesMatchForkRules(t *testing.T) {
	t.Parallel()
	zero := uint64(0)
	fork := func(holocene, jovian, canyon, isthmus bool) *rollup.Config {
		cfg := sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x1")})
		set := func(on bool) *uint64 {
			if on {
				return &zero
			}
			return nil
		}
		cfg.HoloceneTime, cfg.JovianTime, cfg.CanyonTime, cfg.IsthmusTime = set(holocene), set(jovian), set(canyon), set(isthmus)
		cfg.ChainOpConfig = &rollup.ChainOpConfig{EIP1559Elasticity: 6, EIP1559Denominator: 50, EIP1559DenominatorCanyon: 250}
		return cfg
	}
	parent := eth.L2BlockRef{Hash: common.HexToHash("0xp"), Number: 1, Time: 100}
	root := common.HexToHash("0xabc")
	// block builds the attributes and a matching block for the forks of cfg.
	block := func(cfg *rollup.Config) (*deriver.DerivedAttributes, *eth.ExecutionPayloadEnvelope) {
		a := attrsFor(parent, 1)
		p := &eth.ExecutionPayload{ParentHash: parent.Hash, Timestamp: a.Timestamp, PrevRandao: a.PrevRandao, FeeRecipient: a.SuggestedFeeRecipient,
			GasLimit: *a.GasLimit, Transactions: [][]byte{{0x7e, 1}}}
		if cfg.IsCanyon(a.Timestamp) {
			a.Withdrawals, p.Withdrawals = []*types.Withdrawal{}, []*types.Withdrawal{}
		}
		if cfg.IsIsthmus(a.Timestamp) {
			p.WithdrawalsRoot = &root
		}
		if cfg.IsHolocene(a.Timestamp) {
			a.EIP1559Params = &eth.Bytes8{0, 0, 0, 100, 0, 0, 0, 4}
			p.ExtraData = []byte{0, 0, 0, 0, 100, 0, 0, 0, 4}
		}
		if cfg.IsJovian(a.Timestamp) {
			fee := uint64(9)
			a.MinBaseFee = &fee
			p.ExtraData = []byte{1, 0, 0, 0, 100, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9}
		}
		return &deriver.DerivedAttributes{Attributes: a, Parent: parent}, &eth.ExecutionPayloadEnvelope{ExecutionPayload: p}
	}
	type edit = func(*eth.PayloadAttributes, *eth.ExecutionPayload)
	for _, tc := range []struct {
		name  string
		cfg   *rollup.Config
		edit  edit
		match bool
	}{
		{"bedrock", fork(false, false, false, false), func(*eth.PayloadAttributes, *eth.ExecutionPayload) {}, true},
		{"extraData before holocene", fork(false, false, false, false), func(_ *eth.PayloadAttributes, p *eth.ExecutionPayload) { p.ExtraData = []byte{0} }, false},
		{"withdrawals before canyon", fork(false, false, false, false), func(a *eth.PayloadAttributes, _ *eth.ExecutionPayload) { a.Withdrawals = []*types.Withdrawal{} }, false},
		{"canyon", fork(false, false, true, false), func(*eth.PayloadAttributes, *eth.ExecutionPayload) {}, true},
		{"canyon block without withdrawals", fork(false, false, true, false), func(_ *eth.PayloadAttributes, p *eth.ExecutionPayload) { p.Withdrawals = nil }, false},
		{"canyon attributes without withdrawals", fork(false, false, true, false), func(a *eth.PayloadAttributes, _ *eth.ExecutionPayload) { a.Withdrawals = nil }, false},
		{"canyon empty withdrawals root", fork(false, false, true, false), func(_ *eth.PayloadAttributes, p *eth.ExecutionPayload) {
			r := types.EmptyWithdrawalsHash
			p.WithdrawalsRoot = &r
		}, true},
		{"canyon other withdrawals root", fork(false, false, true, false), func(_ *eth.PayloadAttributes, p *eth.ExecutionPayload) { p.WithdrawalsRoot = &root }, false},
		{"holocene", fork(true, false, true, false), func(*eth.PayloadAttributes, *eth.ExecutionPayload) {}, true},
		{"holocene zero params are the canyon constants", fork(true, false, true, false), func(a *eth.PayloadAttributes, p *eth.ExecutionPayload) {
			a.EIP1559Params = &eth.Bytes8{}
			p.ExtraData = []byte{0, 0, 0, 0, 250, 0, 0, 0, 6}
		}, true},
		{"holocene extraData version", fork(true, false, true, false), func(_ *eth.PayloadAttributes, p *eth.ExecutionPayload) { p.ExtraData[0] = 1 }, false},
		{"holocene extraData length", fork(true, false, true, false), func(_ *eth.PayloadAttributes, p *eth.ExecutionPayload) { p.ExtraData = append(p.ExtraData, 0) }, false},
		{"holocene extraData zero elasticity", fork(true, false, true, false), func(a *eth.PayloadAttributes, p *eth.ExecutionPayload) {
			a.EIP1559Params = &eth.Bytes8{0, 0, 0, 100, 0, 0, 0, 0}
			p.ExtraData = []byte{0, 0, 0, 0, 100, 0, 0, 0, 0}
		}, false},
		{"holocene attributes with a zero denominator only", fork(true, false, true, false), func(a *eth.PayloadAttributes, _ *eth.ExecutionPayload) {
			a.EIP1559Params = &eth.Bytes8{0, 0, 0, 0, 0, 0, 0, 4}
		}, false},
		{"jovian", fork(true, true, true, true), func(*eth.PayloadAttributes, *eth.ExecutionPayload) {}, true},
		{"jovian holocene-length extraData", fork(true, true, true, true), func(_ *eth.PayloadAttributes, p *eth.ExecutionPayload) {
			p.ExtraData = []byte{0, 0, 0, 0, 100, 0, 0, 0, 4}
		}, false},
		{"jovian attributes without min base fee", fork(true, true, true, true), func(a *eth.PayloadAttributes, _ *eth.ExecutionPayload) { a.MinBaseFee = nil }, false},
		{"isthmus block without withdrawals root", fork(true, true, true, true), func(_ *eth.PayloadAttributes, p *eth.ExecutionPayload) { p.WithdrawalsRoot = nil }, false},
	} {
		a, e := block(tc.cfg)
		tc.edit(a.Attributes, e.ExecutionPayload)
		if diff := attributesMatch(tc.cfg, a, e); (diff == "") != tc.match {
			t.Errorf("%s: match %v, diff %q", tc.name, diff == "", diff)
		}
	}
}
