package config

import (
	"embed"
	"fmt"
	"sort"
	"strings"

	"github.com/opalnode/opal/sdk/rollup"
)

// The rollup configs of known networks, from the superchain registry
// (Base from its last registry entry).
//
//go:embed networks/*.json
var networkFS embed.FS

// Networks lists the known network names.
func Networks() []string {
	entries, _ := networkFS.ReadDir("networks")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(out)
	return out
}

// KnownNetwork reports whether name is a known network.
func KnownNetwork(name string) bool {
	for _, n := range Networks() {
		if n == name {
			return true
		}
	}
	return false
}

// NetworkRollup returns the rollup config of a known network.
func NetworkRollup(name string) (*rollup.Config, error) {
	data, err := networkFS.ReadFile("networks/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("network: unknown network %q (known: %s)", name, strings.Join(Networks(), ", "))
	}
	cfg, err := rollup.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	return cfg, nil
}
