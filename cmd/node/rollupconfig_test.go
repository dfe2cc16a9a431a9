package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/sdk/rollup"
)

// `opal rollup-config` shows the Lagoon times and dependency sets of the
// presets; --op-node prints op-node's fields only.
func TestRollupConfigCommand(t *testing.T) {
	t.Parallel()
	for network, want := range map[string]struct {
		lagoon uint64
		deps   []string
	}{
		"op-mainnet": {1799683201, []string{"10", "130"}},
		"op-sepolia": {1796918401, []string{"11155420", "1301"}},
	} {
		var out bytes.Buffer
		if err := rollupConfigCmd([]string{"--network", network}, &out); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			LagoonTime    uint64 `json:"lagoon_time"`
			DependencySet struct {
				Dependencies map[string]struct{} `json:"dependencies"`
			} `json:"dependency_set"`
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%s: %v\n%s", network, err, out.String())
		}
		if doc.LagoonTime != want.lagoon || len(doc.DependencySet.Dependencies) != len(want.deps) {
			t.Fatalf("%s: %s", network, out.String())
		}
		for _, id := range want.deps {
			if _, ok := doc.DependencySet.Dependencies[id]; !ok {
				t.Fatalf("%s: chain %s missing from the dependency set", network, id)
			}
		}
		out.Reset()
		if err := rollupConfigCmd([]string{"--network", network, "--op-node"}, &out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "dependency_set") || !strings.Contains(out.String(), "lagoon_time") {
			t.Fatalf("%s --op-node: %s", network, out.String())
		}
	}
	if err := rollupConfigCmd([]string{"--network", "op-mainnet", "--override.lagoon", "1783526401"}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "equals karst_time") {
		t.Fatalf("lagoon at karst's time: %v", err)
	}
	if err := rollupConfigCmd(nil, &bytes.Buffer{}); err == nil {
		t.Fatal("no chain accepted")
	}
}

// Every preset printed by `opal rollup-config --network X` is a rollup.json
// that parses back to the same config, and prints the same again.
func TestRollupConfigRoundTrips(t *testing.T) {
	t.Parallel()
	for _, network := range config.Networks() {
		var out bytes.Buffer
		if err := rollupConfigCmd([]string{"--network", network}, &out); err != nil {
			t.Fatal(err)
		}
		parsed, err := rollup.Parse(out.Bytes())
		if err != nil {
			t.Fatalf("%s: the printed config does not parse: %v", network, err)
		}
		again, err := parsed.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bytes.TrimSpace(again), bytes.TrimSpace(out.Bytes())) {
			t.Fatalf("%s: round trip changed the config:\n%s\n%s", network, out.String(), again)
		}
		want, err := config.NetworkRollup(network)
		if err != nil {
			t.Fatal(err)
		}
		want.DependencySet = parsed.DependencySet // added from the registry's sets
		if !reflect.DeepEqual(parsed, want) {
			t.Fatalf("%s: printed %+v, preset %+v", network, parsed, want)
		}
	}
}
