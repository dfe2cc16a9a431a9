package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The Lagoon facts of the presets: activation times and dependency sets.
func TestPresetsLagoon(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		network string
		lagoon  uint64
		chains  []uint64
	}{
		{"op-mainnet", 1799683201, []uint64{10, 130}},
		{"op-sepolia", 1796918401, []uint64{1301, 11155420}},
	} {
		cfg, err := Load("", flags(t, "--network", tc.network), nil)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := cfg.Chain()
		if err != nil {
			t.Fatal(err)
		}
		if rc.LagoonTime == nil || *rc.LagoonTime != tc.lagoon {
			t.Errorf("%s: lagoon_time %v, want %d", tc.network, rc.LagoonTime, tc.lagoon)
		}
		got := rc.DependencySet.Chains()
		if len(got) != len(tc.chains) || got[0] != tc.chains[0] || got[1] != tc.chains[1] {
			t.Errorf("%s: dependency set %v, want %v", tc.network, got, tc.chains)
		}
		if !rc.DependencySet.Interop() {
			t.Errorf("%s: not an interop chain", tc.network)
		}
	}
}

// A rollup.json without a dependency set gets the registry's set by chain
// id; the config's set (list or file, op-node's flag name too) wins; the
// lagoon override applies; a set without the chain itself is refused.
func TestChainDependencySet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rc, err := NetworkRollup("op-sepolia")
	if err != nil {
		t.Fatal(err)
	}
	rc.DependencySet = nil
	b, err := rc.MarshalOpNode()
	if err != nil {
		t.Fatal(err)
	}
	rollupPath := filepath.Join(dir, "rollup.json")
	if err := os.WriteFile(rollupPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	setPath := filepath.Join(dir, "depset.json")
	if err := os.WriteFile(setPath, []byte(`{"dependencies":{"11155420":{},"1301":{},"7":{}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	chain := func(args ...string) ([]uint64, error) {
		cfg, err := Load("", flags(t, append([]string{"--rollup.config", rollupPath}, args...)...), nil)
		if err != nil {
			return nil, err
		}
		rc, err := cfg.Chain()
		if err != nil {
			return nil, err
		}
		return rc.DependencySet.Chains(), nil
	}
	for _, tc := range []struct {
		name string
		args []string
		want int
		err  string
	}{
		{"registry fact by chain id", nil, 2, ""},
		{"list", []string{"--rollup.dependency-set", "11155420"}, 1, ""},
		{"file", []string{"--rollup.dependency-set-file", setPath}, 3, ""},
		{"op-node flag", []string{"--interop.dependency-set", setPath}, 3, ""},
		{"without the chain", []string{"--rollup.dependency-set", "1301"}, 0, "does not contain the chain itself"},
		{"both", []string{"--rollup.dependency-set", "11155420", "--interop.dependency-set", setPath}, 0, "not both"},
		{"missing file", []string{"--interop.dependency-set", filepath.Join(dir, "nope.json")}, 0, "rollup.dependency_set_file"},
	} {
		got, err := chain(tc.args...)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: chains %v (%v), want %d", tc.name, got, err, tc.want)
		}
	}
	// The TOML key takes a list.
	cfg, err := Load(writeFile(t, "[rollup]\nconfig = \""+rollupPath+"\"\ndependency_set = [11155420, 1301]\nlagoon_time = 1796918500\n"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc2, err := cfg.Chain()
	if err != nil {
		t.Fatal(err)
	}
	if *rc2.LagoonTime != 1796918500 || !rc2.DependencySet.Interop() {
		t.Fatalf("toml: lagoon %d, set %v", *rc2.LagoonTime, rc2.DependencySet.Chains())
	}
	// A chain in no set has none: bundle-only deposits at Lagoon.
	if KnownDependencySet(57073) != nil || KnownDependencySet(130).Chains()[0] != 10 {
		t.Fatal("known dependency sets")
	}
}

// Follow mode: op-node's flags, its environment variable, and the rule
// against sequencing while following.
func TestFollowConfig(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", flags(t, "--l2.follow.source", "http://127.0.0.1:9545", "--l2.follow.source.rpc-timeout", "3s"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.L2.Follow.Source != "http://127.0.0.1:9545" || cfg.L2.Follow.RPCTimeout.String() != "3s" {
		t.Fatalf("follow config: %+v", cfg.L2.Follow)
	}
	cfg, err = Load("", nil, []string{"OPAL_L2_FOLLOW_SOURCE=http://127.0.0.1:1"})
	if err != nil || cfg.L2.Follow.Source != "http://127.0.0.1:1" || cfg.L2.Follow.RPCTimeout.String() != "10s" {
		t.Fatalf("env: %+v, %v", cfg, err)
	}
	if _, err := Load("", flags(t, "--l2.follow.source", "http://127.0.0.1:1", "--sequencer.enabled"), nil); err == nil ||
		!strings.Contains(err.Error(), "l2.follow.source") {
		t.Fatalf("sequencer with follow source: %v", err)
	}
	if _, err := Load("", flags(t, "--l2.follow.source", "ftp://x"), nil); err == nil {
		t.Fatal("ftp follow source accepted")
	}
}

// The node's own settings reach the default plugins through their config
// tables, without overriding what a table sets itself.
func TestNodeDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load(writeFile(t, "[plugins.l1source.config]\nrpc = \"http://table:1\"\n"), flags(t, "--l1", "http://flag:2", "--l1.beacon", "http://beacon:3", "--l2.jwt-secret", "/jwt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := cfg.Specs(PluginConfigJSON)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for i := range specs {
		if err := cfg.NodeDefaults(&specs[i]); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(specs[i].Config, &m); err != nil {
			t.Fatal(err)
		}
		got[string(specs[i].Kind)] = m
	}
	if got["l1source"]["rpc"] != "http://table:1" || got["l1source"]["beacon"] != "http://beacon:3" || got["engine"]["jwt_secret"] != "/jwt" {
		t.Fatalf("plugin tables: %v", got)
	}
}
