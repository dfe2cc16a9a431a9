package rollup

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func u64(v uint64) *uint64 { return &v }

func validConfig() *Config {
	c := &Config{
		BlockTime: 2, MaxSequencerDrift: 600, SeqWindowSize: 3600, ChannelTimeout: 300,
		L1ChainID: big.NewInt(1), L2ChainID: big.NewInt(10),
		BatchInboxAddress: common.Address{1}, DepositContractAddress: common.Address{2}, L1SystemConfigAddress: common.Address{3},
	}
	c.Genesis.L1.Hash, c.Genesis.L2.Hash = common.Hash{1}, common.Hash{2}
	c.Genesis.L2Time = 1000
	c.Genesis.SystemConfig.GasLimit = 30_000_000
	for _, f := range []**uint64{&c.RegolithTime, &c.CanyonTime, &c.DeltaTime, &c.EcotoneTime, &c.FjordTime, &c.GraniteTime,
		&c.HoloceneTime, &c.IsthmusTime, &c.JovianTime} {
		*f = u64(0)
	}
	return c
}

func TestLagoonForkOrder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		karst, lagoon *uint64
		err           string
	}{
		{"lagoon after karst", u64(2000), u64(3000), ""},
		{"both at genesis", u64(0), u64(0), ""},
		{"both at the genesis time", u64(1000), u64(1000), ""},
		{"lagoon without karst", nil, u64(3000), "lagoon_time is set but karst_time is not"},
		{"lagoon before karst", u64(3000), u64(2000), "lagoon_time (2000) is before karst_time (3000)"},
		{"same post-genesis time", u64(3000), u64(3000), "lagoon_time (3000) equals karst_time"},
		{"karst only", u64(3000), nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			c.KarstTime, c.LagoonTime = tc.karst, tc.lagoon
			err := c.Validate()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestLagoonPredicates(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.KarstTime = u64(0)
	c.LagoonTime = u64(1009) // off the 2 s slots: the block at 1010 activates
	for ts, want := range map[uint64][3]bool{
		1008: {false, false, false}, 1010: {true, true, true}, 1012: {true, false, true},
	} {
		got := [3]bool{c.IsLagoon(ts), c.IsLagoonActivationBlock(ts), c.IsInterop(ts) && c.IsSDM(ts)}
		if got != want {
			t.Errorf("t=%d: lagoon, activation, interop+sdm = %v, want %v", ts, got, want)
		}
	}
}

func TestDependencySetJSON(t *testing.T) {
	t.Parallel()
	var s DependencySet
	if err := json.Unmarshal([]byte(`{"dependencies":{"130":{},"10":{}},"overrideMessageExpiryWindow":5}`), &s); err != nil {
		t.Fatal(err)
	}
	if got := s.Chains(); len(got) != 2 || got[0] != 10 || got[1] != 130 || !s.Interop() || !s.Contains(130) || s.Contains(8453) {
		t.Fatalf("chains %v", got)
	}
	out, err := json.Marshal(&s)
	if err != nil || string(out) != `{"dependencies":{"10":{},"130":{}}}` {
		t.Fatalf("marshal: %s, %v", out, err)
	}
	for _, bad := range []string{`{"dependencies":{"ten":{}}}`, `{}`, `[]`, `{"dependencies":{"-1":{}}}`} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if NewDependencySet(10).Interop() || (*DependencySet)(nil).Interop() {
		t.Error("a set of one chain (or none) is not interop")
	}
}

// The dependency set travels in rollup.json as an opal extension; it must
// hold the chain itself, and MarshalOpNode leaves it out.
func TestDependencySetInRollupJSON(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.KarstTime, c.LagoonTime = u64(0), u64(5000)
	c.DependencySet = NewDependencySet(10, 130)
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !back.DependencySet.Interop() || *back.LagoonTime != 5000 {
		t.Fatalf("round trip lost the Lagoon fields: %+v", back)
	}
	op, err := c.MarshalOpNode()
	if err != nil || strings.Contains(string(op), "dependency_set") || !strings.Contains(string(op), `"lagoon_time": 5000`) {
		t.Fatalf("op-node form: %s (%v)", op, err)
	}
	c.DependencySet = NewDependencySet(130, 1301)
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "does not contain the chain itself") {
		t.Fatalf("a set without the chain: %v", err)
	}
}
