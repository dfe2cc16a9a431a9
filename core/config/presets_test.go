package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/knadh/koanf/parsers/toml/v2"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/rollup"
)

// presetSources names each preset's superchain-registry files.
var presetSources = map[string]struct{ superchain, chain string }{
	"op-mainnet":   {"mainnet", "op"},
	"op-sepolia":   {"sepolia", "op"},
	"base-mainnet": {"mainnet", "base"},
	"base-sepolia": {"sepolia", "base"},
}

// Every preset is the rollup config built from its registry entry, field
// by field: the same as vectors/rollup-configs (which add op-node's
// defaults for what the registry leaves out), and every value the
// registry TOML holds. The one addition is lagoon_time on the OP chains,
// which postdates the registry snapshot (see the Lagoon notes).
func TestPresetsMatchTheirSources(t *testing.T) {
	t.Parallel()
	if got := len(Networks()); got != len(presetSources) {
		t.Fatalf("%d presets, %d with sources", got, len(presetSources))
	}
	for name, src := range presetSources {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rc, err := NetworkRollup(name)
			if err != nil {
				t.Fatal(err)
			}
			vec, err := rollup.Parse(vectors.Read(t, "rollup-configs/"+name+".rollup.json"))
			if err != nil {
				t.Fatal(err)
			}
			ours := *rc
			if strings.HasPrefix(name, "op-") {
				if ours.LagoonTime == nil {
					t.Fatal("no lagoon_time on an OP chain")
				}
				ours.LagoonTime = nil
			}
			for _, d := range diffJSON(t, &ours, vec) {
				t.Errorf("differs from rollup-configs/%s.rollup.json: %s", name, d)
			}

			doc, err := toml.Parser().Unmarshal(vectors.Read(t, "superchain-registry/superchain/configs/"+src.superchain+"/"+src.chain+".toml"))
			if err != nil {
				t.Fatal(err)
			}
			get := func(path string) any {
				var cur any = doc
				for _, k := range strings.Split(path, ".") {
					m, ok := cur.(map[string]any)
					if !ok {
						return nil
					}
					cur = m[k]
				}
				return cur
			}
			num := func(path string) uint64 {
				switch v := get(path).(type) {
				case int64:
					return uint64(v)
				case float64:
					return uint64(v)
				}
				t.Fatalf("%s: %v is not a number", path, get(path))
				return 0
			}
			addr := func(path string) common.Address { return common.HexToAddress(fmt.Sprint(get(path))) }
			hash := func(path string) common.Hash { return common.HexToHash(fmt.Sprint(get(path))) }
			checks := []struct {
				what      string
				got, want any
			}{
				{"chain_id", rc.L2ChainID.Uint64(), num("chain_id")},
				{"block_time", rc.BlockTime, num("block_time")},
				{"seq_window_size", rc.SeqWindowSize, num("seq_window_size")},
				{"max_sequencer_drift", rc.MaxSequencerDrift, num("max_sequencer_drift")},
				{"batch_inbox_addr", rc.BatchInboxAddress, addr("batch_inbox_addr")},
				{"addresses.OptimismPortalProxy", rc.DepositContractAddress, addr("addresses.OptimismPortalProxy")},
				{"addresses.SystemConfigProxy", rc.L1SystemConfigAddress, addr("addresses.SystemConfigProxy")},
				{"genesis.l1.hash", rc.Genesis.L1.Hash, hash("genesis.l1.hash")},
				{"genesis.l1.number", rc.Genesis.L1.Number, num("genesis.l1.number")},
				{"genesis.l2.hash", rc.Genesis.L2.Hash, hash("genesis.l2.hash")},
				{"genesis.l2.number", rc.Genesis.L2.Number, num("genesis.l2.number")},
				{"genesis.l2_time", rc.Genesis.L2Time, num("genesis.l2_time")},
				{"genesis.system_config.batcherAddress", rc.Genesis.SystemConfig.BatcherAddr, addr("genesis.system_config.batcherAddress")},
				{"genesis.system_config.overhead", common.Hash(rc.Genesis.SystemConfig.Overhead), hash("genesis.system_config.overhead")},
				{"genesis.system_config.scalar", common.Hash(rc.Genesis.SystemConfig.Scalar), hash("genesis.system_config.scalar")},
				{"genesis.system_config.gasLimit", rc.Genesis.SystemConfig.GasLimit, num("genesis.system_config.gasLimit")},
				{"optimism.eip1559_elasticity", rc.ChainOpConfig.EIP1559Elasticity, num("optimism.eip1559_elasticity")},
				{"optimism.eip1559_denominator", rc.ChainOpConfig.EIP1559Denominator, num("optimism.eip1559_denominator")},
				{"optimism.eip1559_denominator_canyon", rc.ChainOpConfig.EIP1559DenominatorCanyon, num("optimism.eip1559_denominator_canyon")},
			}
			// Every fork time of the TOML, and no fork the TOML lacks
			// (regolith at genesis and lagoon aside).
			hardforks, _ := get("hardforks").(map[string]any)
			ourForks := map[string]*uint64{}
			for _, f := range rc.Forks() {
				ourForks[strings.ToLower(f.Name)+"_time"] = f.Time
			}
			for key := range hardforks {
				if key == "keep_karst_upgrade_gas" {
					checks = append(checks, struct {
						what      string
						got, want any
					}{"hardforks." + key, rc.KeepKarstUpgradeGas, get("hardforks." + key)})
					continue
				}
				var got any = "unset"
				if p, ok := ourForks[key]; ok && p != nil {
					got = *p
				} else if key == "pectra_blob_schedule_time" && rc.PectraBlobScheduleTime != nil {
					got = *rc.PectraBlobScheduleTime
				}
				checks = append(checks, struct {
					what      string
					got, want any
				}{"hardforks." + key, got, num("hardforks." + key)})
			}
			for key, p := range ourForks {
				if _, ok := hardforks[key]; !ok && p != nil && key != "regolith_time" && key != "lagoon_time" {
					t.Errorf("the preset schedules %s = %d, the registry does not", key, *p)
				}
			}
			for _, c := range checks {
				if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
					t.Errorf("%s: preset %v, registry %v", c.what, c.got, c.want)
				}
			}
			if strings.HasPrefix(name, "base-") {
				h, err := ForkHalt(rc, timeOfLastRegistryEntry, 0)
				if err != nil || h == nil || !strings.Contains(h.Reason, "Azul") {
					t.Fatalf("base preset without its Azul halt: %+v %v", h, err)
				}
			}
		})
	}
}

// timeOfLastRegistryEntry is when Base was removed from the registry.
var timeOfLastRegistryEntry = time.Unix(1777248000, 0) // 2026-04-27

// diffJSON lists the top-level and nested fields whose JSON differs.
func diffJSON(t *testing.T, a, b any) []string {
	t.Helper()
	flat := func(v any) map[string]string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		var walk func(p string, v any)
		walk = func(p string, v any) {
			if m, ok := v.(map[string]any); ok {
				for k, x := range m {
					walk(p+k+".", x)
				}
				return
			}
			out[strings.TrimSuffix(p, ".")] = strings.ToLower(fmt.Sprint(v))
		}
		walk("", doc)
		return out
	}
	fa, fb := flat(a), flat(b)
	var diffs []string
	for k, va := range fa {
		if vb, ok := fb[k]; !ok || va != vb {
			diffs = append(diffs, fmt.Sprintf("%s: %s, want %s", k, va, fb[k]))
		}
	}
	for k, vb := range fb {
		if _, ok := fa[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: missing, want %s", k, vb))
		}
	}
	return diffs
}
