package pipeline

import (
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/plugins/deriver/sysconfig"
	"github.com/opalnode/opal/plugins/deriver/upgrade"
	"github.com/opalnode/opal/sdk/eth"
)

// gasLimitLog is a ConfigUpdate log setting the gas limit.
func gasLimitLog(gas uint64) eth.Log {
	data := make([]byte, 96)
	data[31], data[63] = 32, 32
	binary.BigEndian.PutUint64(data[88:], gas)
	return eth.Log{Address: testSysCfgAddr, Topics: []common.Hash{sysconfig.EventTopic, {}, common.BigToHash(big.NewInt(sysconfig.UpdateGasLimit))}, Data: data}
}

// eip1559Log is a ConfigUpdate log setting the EIP-1559 parameters.
func eip1559Log(denominator, elasticity uint32) eth.Log {
	data := make([]byte, 96)
	data[31], data[63] = 32, 32
	binary.BigEndian.PutUint32(data[88:], denominator)
	binary.BigEndian.PutUint32(data[92:], elasticity)
	return eth.Log{Address: testSysCfgAddr, Topics: []common.Hash{sysconfig.EventTopic, {}, common.BigToHash(big.NewInt(sysconfig.UpdateEIP1559Params))}, Data: data}
}

func depositLog(t *testing.T, value int64) eth.Log {
	t.Helper()
	to := common.HexToAddress("0x3333")
	l, err := (&deposit.Tx{From: common.HexToAddress("0x4444"), To: &to, Value: big.NewInt(value), Gas: 100_000}).ToLog(testPortal)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func l1InfoFormat(t *testing.T, tx []byte) [4]byte {
	t.Helper()
	dep, err := deposit.Decode(tx)
	if err != nil {
		t.Fatal(err)
	}
	return [4]byte(dep.Data[:4])
}

func TestBuildAttributes(t *testing.T) {
	t.Parallel()
	chain := newL1Chain(t, 4)
	o0, o1 := chain.blocks[0], chain.blocks[1]
	root := common.HexToHash("0xbeac04")
	o1.Header.ParentBeaconRoot = &root
	o1.Receipts = []eth.Receipt{
		{TxIndex: 0, Status: 1, Logs: []eth.Log{depositLog(t, 1), gasLimitLog(25_000_000)}},
		{TxIndex: 1, Status: 0, Logs: []eth.Log{depositLog(t, 2)}}, // failed: ignored
		{TxIndex: 2, Status: 1, Logs: []eth.Log{depositLog(t, 3), eip1559Log(100, 4)}},
	}
	for i := range o1.Receipts {
		for j := range o1.Receipts[i].Logs {
			o1.Receipts[i].Logs[j].Index = uint32(10*i + j)
		}
	}
	ref0, ref1 := chain.ref(0), chain.ref(1)
	sys := eth.SystemConfig{BatcherAddr: testBatcher, GasLimit: 30_000_000, Scalar: eth.Bytes32{31: 7}}
	sys.EIP1559Params = eth.Bytes8{0, 0, 0, 50, 0, 0, 0, 2}
	parentAt := func(n uint64, origin eth.L1BlockRef, seq uint64) eth.L2BlockRef { return l2Ref(n, origin, seq) }
	at := func(n uint64) uint64 { return testGenesisTime + 2*n }

	type check func(t *testing.T, b *BuiltAttributes)
	wantTxs := func(n int) check {
		return func(t *testing.T, b *BuiltAttributes) {
			if len(b.Attributes.Transactions) != n {
				t.Fatalf("%d txs, want %d", len(b.Attributes.Transactions), n)
			}
		}
	}
	wantFormat := func(sel [4]byte) check {
		return func(t *testing.T, b *BuiltAttributes) {
			if got := l1InfoFormat(t, b.Attributes.Transactions[0]); got != sel {
				t.Fatalf("L1-info selector %x, want %x", got, sel)
			}
		}
	}
	wantGas := func(g uint64) check {
		return func(t *testing.T, b *BuiltAttributes) {
			if *b.Attributes.GasLimit != g {
				t.Fatalf("gas limit %d, want %d", *b.Attributes.GasLimit, g)
			}
		}
	}
	wantNextGas := func(g uint64) check {
		return func(t *testing.T, b *BuiltAttributes) {
			if b.Next.GasLimit != g {
				t.Fatalf("next gas limit %d, want %d", b.Next.GasLimit, g)
			}
		}
	}
	wantParams := func(p *eth.Bytes8) check {
		return func(t *testing.T, b *BuiltAttributes) {
			got := b.Attributes.EIP1559Params
			if (got == nil) != (p == nil) || (got != nil && *got != *p) {
				t.Fatalf("eip1559Params %v, want %v", got, p)
			}
		}
	}
	wantNextParams := func(p eth.Bytes8) check {
		return func(t *testing.T, b *BuiltAttributes) {
			if b.Next.EIP1559Params != p {
				t.Fatalf("next eip1559Params %v, want %v", b.Next.EIP1559Params, p)
			}
		}
	}
	fields := func(withdrawals, beacon, minBaseFee bool) check {
		return func(t *testing.T, b *BuiltAttributes) {
			a := b.Attributes
			if (a.Withdrawals != nil) != withdrawals || len(a.Withdrawals) != 0 {
				t.Errorf("withdrawals %v, want present=%v and empty", a.Withdrawals, withdrawals)
			}
			if (a.ParentBeaconBlockRoot != nil) != beacon {
				t.Errorf("beacon root %v, want present=%v", a.ParentBeaconBlockRoot, beacon)
			}
			if (a.MinBaseFee != nil) != minBaseFee {
				t.Errorf("min base fee %v, want present=%v", a.MinBaseFee, minBaseFee)
			}
			if a.SuggestedFeeRecipient != SequencerFeeVault || !a.NoTxPool {
				t.Errorf("fee recipient %s, noTxPool %v", a.SuggestedFeeRecipient, a.NoTxPool)
			}
		}
	}
	forkAt := func(upTo string, set func(*forkTimes)) forkTimes { f := allForks(upTo); set(&f); return f }
	zero8 := eth.Bytes8{}
	defaults := eth.Bytes8{0, 0, 0, 250, 0, 0, 0, 6}
	sysParams := sys.EIP1559Params

	cases := []struct {
		name   string
		forks  forkTimes
		in     AttributesInput
		checks []check
		err    error
	}{
		{"bedrock same epoch", allForks("bedrock"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1), wantFormat(l1info.SelectorBedrock), wantGas(30_000_000), wantParams(nil), fields(false, false, false),
				func(t *testing.T, b *BuiltAttributes) {
					if b.SequenceNumber != 2 || b.L1Origin != ref0.ID() || b.Attributes.PrevRandao != o0.Header.MixDigest {
						t.Fatalf("seq %d origin %v randao %s", b.SequenceNumber, b.L1Origin, b.Attributes.PrevRandao)
					}
				}}, nil},
		{"epoch change: deposits and config updates", allForks("canyon"), AttributesInput{Parent: parentAt(5, ref0, 5), ParentConfig: sys, Origin: o1, Timestamp: at(6)},
			[]check{wantTxs(3), wantGas(25_000_000), wantNextGas(25_000_000), fields(true, false, false),
				func(t *testing.T, b *BuiltAttributes) {
					if b.SequenceNumber != 0 || b.L1Origin != ref1.ID() || b.SystemConfig.GasLimit != 25_000_000 {
						t.Fatalf("seq %d origin %v cfg gas %d", b.SequenceNumber, b.L1Origin, b.SystemConfig.GasLimit)
					}
					want := deposit.UserDepositSource(ref1.Hash, 0)
					dep, err := deposit.Decode(b.Attributes.Transactions[1])
					if err != nil || dep.SourceHash != want || dep.Value.Int64() != 1 {
						t.Fatalf("first user deposit %+v, %v", dep, err)
					}
				}}, nil},
		{"origin conflicts with the parent's", allForks("canyon"), AttributesInput{Parent: parentAt(1, eth.L1BlockRef{Hash: common.Hash{1}}, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)}, nil, eth.ErrReset},
		{"origin is not the next block", allForks("canyon"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: chain.blocks[2], Timestamp: at(2)}, nil, eth.ErrReset},
		{"timestamp not the next slot", allForks("canyon"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(3)}, nil, eth.ErrInvalidArgument},
		{"ecotone activation", forkAt("delta", func(f *forkTimes) { f.ecotone = u64(at(6)) }), AttributesInput{Parent: parentAt(5, ref0, 5), ParentConfig: sys, Origin: o1, Timestamp: at(6)},
			[]check{wantTxs(3 + 6), wantFormat(l1info.SelectorBedrock), fields(true, true, false), func(t *testing.T, b *BuiltAttributes) {
				if *b.Attributes.ParentBeaconBlockRoot != root {
					t.Fatalf("beacon root %s", b.Attributes.ParentBeaconBlockRoot)
				}
			}}, nil},
		{"after ecotone", allForks("ecotone"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1), wantFormat(l1info.SelectorEcotone), fields(true, true, false), func(t *testing.T, b *BuiltAttributes) {
				if *b.Attributes.ParentBeaconBlockRoot != (common.Hash{}) {
					t.Fatal("beacon root of an L1 header without one must be zero")
				}
			}}, nil},
		{"fjord activation", forkAt("ecotone", func(f *forkTimes) { f.fjord = u64(at(2)) }), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1 + 3)}, nil},
		{"holocene activation passes the config's params", forkAt("granite", func(f *forkTimes) { f.holocene = u64(at(2)) }), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1), wantParams(&sysParams), wantNextParams(sysParams)}, nil},
		{"after holocene", allForks("holocene"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantParams(&sysParams), wantNextParams(sysParams)}, nil},
		{"holocene with zero params", allForks("holocene"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: eth.SystemConfig{BatcherAddr: testBatcher, GasLimit: 1}, Origin: o0, Timestamp: at(2)},
			[]check{wantParams(&zero8), wantNextParams(defaults)}, nil},
		{"epoch change sets holocene params", allForks("holocene"), AttributesInput{Parent: parentAt(5, ref0, 5), ParentConfig: sys, Origin: o1, Timestamp: at(6)},
			[]check{wantParams(&eth.Bytes8{0, 0, 0, 100, 0, 0, 0, 4})}, nil},
		{"before holocene the params are dropped", allForks("granite"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantParams(nil), wantNextParams(zero8)}, nil},
		{"isthmus activation", forkAt("holocene", func(f *forkTimes) { f.isthmus = u64(at(2)) }), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1 + 8), wantFormat(l1info.SelectorEcotone)}, nil},
		{"jovian activation", forkAt("isthmus", func(f *forkTimes) { f.jovian = u64(at(2)) }), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1 + 5), wantFormat(l1info.SelectorIsthmus), fields(true, true, true)}, nil},
		{"after jovian", allForks("jovian"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1), wantFormat(l1info.SelectorJovian), fields(true, true, true)}, nil},
		{"karst activation adds upgrade gas", forkAt("jovian", func(f *forkTimes) { f.karst = u64(at(2)) }), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1 + len(upgrade.KarstIntents())), wantGas(30_000_000 + upgrade.KarstUpgradeGas()), wantNextGas(30_000_000)}, nil},
		{"after karst", allForks("karst"), AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)},
			[]check{wantTxs(1), wantGas(30_000_000)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := BuildAttributes(testConfig(ref0, tc.forks), nil, tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.checks {
				c(t, b)
			}
		})
	}
	t.Run("karst upgrade gas kept", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(ref0, forkAt("jovian", func(f *forkTimes) { f.karst = u64(at(2)) }))
		cfg.KeepKarstUpgradeGas = true
		b, err := BuildAttributes(cfg, nil, AttributesInput{Parent: parentAt(1, ref0, 1), ParentConfig: sys, Origin: o0, Timestamp: at(2)})
		if err != nil {
			t.Fatal(err)
		}
		if b.Next.GasLimit != 30_000_000+upgrade.KarstUpgradeGas() {
			t.Fatalf("next gas limit %d", b.Next.GasLimit)
		}
	})
	t.Run("malformed deposit log is critical", func(t *testing.T) {
		t.Parallel()
		bad := &eth.L1BlockData{Header: o1.Header, Receipts: []eth.Receipt{{Status: 1, Logs: []eth.Log{{Address: testPortal, Topics: []common.Hash{deposit.EventTopic}, Data: []byte{1}}}}}}
		_, err := BuildAttributes(testConfig(ref0, allForks("canyon")), nil, AttributesInput{Parent: parentAt(5, ref0, 5), ParentConfig: sys, Origin: bad, Timestamp: at(6)})
		if !errors.Is(err, eth.ErrCritical) {
			t.Fatalf("error %v, want critical", err)
		}
	})
	t.Run("L1 header with blob gas needs the L1 config", func(t *testing.T) {
		t.Parallel()
		h := types.CopyHeader(o0.Header)
		excess := uint64(1 << 20)
		h.ExcessBlobGas = &excess
		blk := &eth.L1BlockData{Header: h}
		parent := eth.L2BlockRef{Hash: l2Hash(1), Number: 1, Time: at(1), L1Origin: eth.HeaderRef(h).ID(), SequenceNumber: 1}
		_, err := BuildAttributes(testConfig(ref0, allForks("ecotone")), nil, AttributesInput{Parent: parent, ParentConfig: sys, Origin: blk, Timestamp: at(2)})
		if !errors.Is(err, eth.ErrCritical) {
			t.Fatalf("error %v, want critical", err)
		}
	})
}

// badConfigLog is a ConfigUpdate log op-node's decoder rejects, with the
// sysconfig sentinel its error carries (nil: none, only the text).
type badConfigLog struct {
	log  eth.Log
	kind error
}

// badConfigLogs are the ways a ConfigUpdate log can be malformed or unknown.
func badConfigLogs() map[string]badConfigLog {
	retopic := func(l eth.Log, topics ...common.Hash) eth.Log {
		l.Topics = topics
		return l
	}
	redata := func(l eth.Log, edit func([]byte) []byte) eth.Log {
		l.Data = edit(append([]byte{}, l.Data...))
		return l
	}
	gas := gasLimitLog(1)
	return map[string]badConfigLog{
		"unknown update type":      {retopic(gas, sysconfig.EventTopic, common.Hash{}, common.Hash{31: sysconfig.UpdateDAFootprintGasScalar + 1}), sysconfig.ErrUnknownType},
		"log version 1":            {retopic(gas, sysconfig.EventTopic, common.Hash{31: 1}, common.Hash{31: sysconfig.UpdateGasLimit}), sysconfig.ErrUnknownVersion},
		"two topics":               {retopic(gas, sysconfig.EventTopic, common.Hash{}), nil},
		"ABI offset 64":            {redata(gas, func(d []byte) []byte { d[31] = 64; return d }), sysconfig.ErrParse},
		"ABI length 64":            {redata(gas, func(d []byte) []byte { d[63] = 64; return d }), sysconfig.ErrParse},
		"trailing bytes":           {redata(gas, func(d []byte) []byte { return append(d, 0) }), sysconfig.ErrParse},
		"truncated payload":        {redata(gas, func(d []byte) []byte { return d[:80] }), sysconfig.ErrParse},
		"eip1559 zero elasticity":  {eip1559Log(100, 0), sysconfig.ErrInvalidEIP1559Params},
		"eip1559 zero denominator": {eip1559Log(0, 4), sysconfig.ErrInvalidEIP1559Params},
	}
}

// TestBuildAttributesSkipsBadConfigUpdates: at an epoch's first block a
// malformed or unknown ConfigUpdate log in the origin's receipts is
// skipped, not a reason to halt. The updates before and after it still
// apply, in order, and a bad update of a field already set in the block
// leaves it as set. This is op-node's PreparePayloadAttributes (since PR
// #18292), which drops UpdateSystemConfigWithL1Receipts' joined error;
// ours is kept in SkippedUpdates for the caller to log.
func TestBuildAttributesSkipsBadConfigUpdates(t *testing.T) {
	t.Parallel()
	chain := newL1Chain(t, 2)
	o1, ref0 := chain.blocks[1], chain.ref(0)
	sys := eth.SystemConfig{BatcherAddr: testBatcher, GasLimit: 30_000_000, EIP1559Params: eth.Bytes8{0, 0, 0, 50, 0, 0, 0, 2}}
	at := func(n uint64) uint64 { return testGenesisTime + 2*n }
	newBatcher := common.HexToAddress("0xba7c4e7")
	build := func(t *testing.T, middle ...eth.Log) *BuiltAttributes {
		t.Helper()
		second := append(append([]eth.Log{eip1559Log(100, 4)}, middle...), batcherLog(newBatcher))
		origin := &eth.L1BlockData{Header: o1.Header, Receipts: []eth.Receipt{
			{TxIndex: 0, Status: 1, Logs: []eth.Log{gasLimitLog(25_000_000), depositLog(t, 1)}},
			{TxIndex: 1, Status: 1, Logs: second},
		}}
		for i := range origin.Receipts {
			for j := range origin.Receipts[i].Logs {
				origin.Receipts[i].Logs[j].Index = uint32(10*i + j)
			}
		}
		b, err := BuildAttributes(testConfig(ref0, allForks("holocene")), nil, AttributesInput{Parent: l2Ref(5, ref0, 5), ParentConfig: sys, Origin: origin, Timestamp: at(6)})
		if err != nil {
			t.Fatalf("a bad system config update halted the build: %v", err)
		}
		want := sys
		want.BatcherAddr = newBatcher
		want.GasLimit = 25_000_000
		want.EIP1559Params = eth.Bytes8{0, 0, 0, 100, 0, 0, 0, 4}
		if b.SystemConfig != want {
			t.Fatalf("system config\n got %+v\nwant %+v", b.SystemConfig, want)
		}
		if *b.Attributes.GasLimit != want.GasLimit || *b.Attributes.EIP1559Params != want.EIP1559Params {
			t.Fatalf("attributes gas %d params %x", *b.Attributes.GasLimit, *b.Attributes.EIP1559Params)
		}
		if len(b.Attributes.Transactions) != 2 {
			t.Fatalf("%d txs, want the L1-info deposit and the user deposit", len(b.Attributes.Transactions))
		}
		return b
	}
	for name, bad := range badConfigLogs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := build(t, bad.log)
			if b.SkippedUpdates == nil {
				t.Fatal("the skipped update is not reported")
			}
			if bad.kind != nil && !errors.Is(b.SkippedUpdates, bad.kind) {
				t.Fatalf("skipped: %v, want %v", b.SkippedUpdates, bad.kind)
			}
			if msg := b.SkippedUpdates.Error(); !strings.Contains(msg, "tx 1, log 11") {
				t.Fatalf("skipped update not located: %s", msg)
			}
		})
	}
	t.Run("two bad logs", func(t *testing.T) {
		t.Parallel()
		logs := badConfigLogs()
		b := build(t, logs["unknown update type"].log, logs["eip1559 zero elasticity"].log)
		if !errors.Is(b.SkippedUpdates, sysconfig.ErrUnknownType) || !errors.Is(b.SkippedUpdates, sysconfig.ErrInvalidEIP1559Params) {
			t.Fatalf("skipped: %v", b.SkippedUpdates)
		}
	})
	t.Run("no bad log", func(t *testing.T) {
		t.Parallel()
		if b := build(t); b.SkippedUpdates != nil {
			t.Fatalf("skipped: %v", b.SkippedUpdates)
		}
	})
}

// TestBuildAttributesHoloceneActivationParams: on the Holocene activation
// block op-node's PreparePayloadAttributes passes the system config's
// EIP-1559 params as they are, with no activation special case (the spec
// asks for zero there). Zero params make the engine write the Canyon
// constants; non-zero ones, reachable when the block opens an epoch whose
// origin updates them or when the parent's config carries them, are used
// as given.
func TestBuildAttributesHoloceneActivationParams(t *testing.T) {
	t.Parallel()
	chain := newL1Chain(t, 2)
	o0, o1, ref0 := chain.blocks[0], chain.blocks[1], chain.ref(0)
	at := func(n uint64) uint64 { return testGenesisTime + 2*n }
	holoceneAt := func(ts uint64, withJovian bool) forkTimes {
		f := allForks("granite")
		f.holocene = u64(ts)
		if withJovian {
			f.isthmus, f.jovian = u64(ts), u64(ts)
		}
		return f
	}
	set := eth.Bytes8{0, 0, 0, 50, 0, 0, 0, 2}
	updated := &eth.L1BlockData{Header: o1.Header, Receipts: []eth.Receipt{{Status: 1, Logs: []eth.Log{eip1559Log(100, 4)}}}}
	canyon := eth.Bytes8{0, 0, 0, 250, 0, 0, 0, 6}
	cases := []struct {
		name       string
		forks      forkTimes
		parent     eth.L2BlockRef
		params     eth.Bytes8
		origin     *eth.L1BlockData
		want, next eth.Bytes8
	}{
		{"non-zero config value", holoceneAt(at(2), false), l2Ref(1, ref0, 1), set, o0, set, set},
		{"zero config value", holoceneAt(at(2), false), l2Ref(1, ref0, 1), eth.Bytes8{}, o0, eth.Bytes8{}, canyon},
		{"epoch change updates the params", holoceneAt(at(6), false), l2Ref(5, ref0, 5), eth.Bytes8{}, updated, eth.Bytes8{0, 0, 0, 100, 0, 0, 0, 4}, eth.Bytes8{0, 0, 0, 100, 0, 0, 0, 4}},
		{"with jovian at the same time", holoceneAt(at(2), true), l2Ref(1, ref0, 1), set, o0, set, set},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(ref0, tc.forks)
			ts := tc.parent.Time + cfg.BlockTime
			if !cfg.IsHoloceneActivationBlock(ts) {
				t.Fatal("test block is not the Holocene activation block")
			}
			sys := eth.SystemConfig{BatcherAddr: testBatcher, GasLimit: 30_000_000, EIP1559Params: tc.params}
			b, err := BuildAttributes(cfg, nil, AttributesInput{Parent: tc.parent, ParentConfig: sys, Origin: tc.origin, Timestamp: ts})
			if err != nil {
				t.Fatal(err)
			}
			if b.Attributes.EIP1559Params == nil || *b.Attributes.EIP1559Params != tc.want {
				t.Fatalf("eip1559Params %v, want %v", b.Attributes.EIP1559Params, tc.want)
			}
			if b.Next.EIP1559Params != tc.next {
				t.Fatalf("next eip1559Params %v, want %v", b.Next.EIP1559Params, tc.next)
			}
		})
	}
}
