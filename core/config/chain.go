package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/opalnode/opal/sdk/rollup"
)

// knownDependencySets are the interop dependency sets of the superchain
// registry ([interop.dependencies.<id>]), by member chain id: OP Mainnet
// with Unichain, OP Sepolia with Unichain Sepolia. Ink and Soneium activate
// Lagoon in no set. op-node looks the set up by chain id the same way, so a
// rollup.json of a known chain gets its set without saying so.
var knownDependencySets = [][]uint64{
	{10, 130},
	{11155420, 1301},
}

// KnownDependencySet returns the registry's dependency set of a chain, or
// nil when the chain is in none.
func KnownDependencySet(chainID uint64) *rollup.DependencySet {
	for _, set := range knownDependencySets {
		for _, id := range set {
			if id == chainID {
				return rollup.NewDependencySet(set...)
			}
		}
	}
	return nil
}

// Chain returns the chain's rollup config: a known network or a rollup.json,
// with the config's fork overrides applied (rollup.<fork>_time, op-node's
// --override.<fork>) and its
// dependency set resolved, in this order: rollup.dependency_set or
// rollup.dependency_set_file, then the rollup.json's own field, then the
// registry's set for the chain id. The result is validated again.
func (c *Config) Chain() (*rollup.Config, error) {
	var (
		rc  *rollup.Config
		err error
	)
	switch {
	case c.Network != "":
		rc, err = NetworkRollup(c.Network)
	case c.Rollup.Config != "":
		rc, err = rollup.Load(c.Rollup.Config)
	default:
		return nil, fmt.Errorf("no chain given: set --network (%s) or --rollup.config", strings.Join(Networks(), ", "))
	}
	if err != nil {
		return nil, err
	}
	r := &c.Rollup
	for _, o := range []struct {
		override *uint64
		fork     **uint64
	}{
		{r.CanyonTime, &rc.CanyonTime}, {r.DeltaTime, &rc.DeltaTime}, {r.EcotoneTime, &rc.EcotoneTime},
		{r.FjordTime, &rc.FjordTime}, {r.GraniteTime, &rc.GraniteTime}, {r.HoloceneTime, &rc.HoloceneTime},
		{r.PectraBlobScheduleTime, &rc.PectraBlobScheduleTime}, {r.IsthmusTime, &rc.IsthmusTime},
		{r.JovianTime, &rc.JovianTime}, {r.KarstTime, &rc.KarstTime}, {r.LagoonTime, &rc.LagoonTime},
	} {
		if o.override != nil {
			t := *o.override
			*o.fork = &t
		}
	}
	switch {
	case len(c.Rollup.DependencySet) > 0:
		rc.DependencySet = rollup.NewDependencySet(c.Rollup.DependencySet...)
	case c.Rollup.DependencySetFile != "":
		data, err := os.ReadFile(c.Rollup.DependencySetFile)
		if err != nil {
			return nil, fmt.Errorf("rollup.dependency_set_file: %w", err)
		}
		var set rollup.DependencySet
		if err := set.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("rollup.dependency_set_file %s: %w", c.Rollup.DependencySetFile, err)
		}
		rc.DependencySet = &set
	case rc.DependencySet == nil && rc.L2ChainID != nil && rc.L2ChainID.IsUint64():
		rc.DependencySet = KnownDependencySet(rc.L2ChainID.Uint64())
	}
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("rollup config (with the node's overrides): %w", err)
	}
	return rc, nil
}
