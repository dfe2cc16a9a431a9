package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opalnode/opal/sdk/rollup"
)

// withFields returns the op-sepolia preset with extra top-level fields.
func withFields(t *testing.T, extra map[string]any) *rollup.Config {
	t.Helper()
	b, err := networkFS.ReadFile("networks/op-sepolia.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		doc[k] = v
	}
	b, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rollup.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// Chains that left the OP Stack halt where they left it; a fork opal does
// not implement refuses the start when it is near (or past), and halts
// derivation before it when it is further than the horizon.
func TestForkHalt(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	horizon := 30 * 24 * time.Hour
	preset := func(name string) *rollup.Config {
		rc, err := NetworkRollup(name)
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}
	far := uint64(now.Add(horizon).Unix()) + 1
	cases := []struct {
		name    string
		rc      *rollup.Config
		halt    uint64 // 0: none
		reason  string
		refusal []string
	}{
		{"op-mainnet", preset("op-mainnet"), 0, "", nil},
		{"op-sepolia", preset("op-sepolia"), 0, "", nil},
		{"base-mainnet stops at Azul", preset("base-mainnet"), 1779991200, "Base left the OP Stack at its Azul upgrade", nil},
		{"base-sepolia stops at Azul", preset("base-sepolia"), 1776708000, "Base Sepolia left the OP Stack at its Azul upgrade", nil},
		{"unknown fork in the past", withFields(t, map[string]any{"zircon_time": 1_700_000_000}), 0, "", []string{"zircon_time = 1700000000", "activated"}},
		{"unknown fork within the horizon", withFields(t, map[string]any{"zircon_time": now.Unix() + 3600}), 0, "", []string{"zircon_time", "activates within"}},
		{"unknown fork unscheduled", withFields(t, map[string]any{"zircon_time": nil}), 0, "", nil},
		{"unknown fork past the horizon", withFields(t, map[string]any{"zircon_time": far}), far, `fork "zircon"`, nil},
		{"the earliest of two", withFields(t, map[string]any{"zircon_time": far + 10, "quartz_time": far}), far, `fork "quartz"`, nil},
		{"the old name of Lagoon", withFields(t, map[string]any{"interop_time": 0}), 0, "", []string{"interop_time"}},
		{"not a fork field", withFields(t, map[string]any{"_meta": map[string]any{"source": "x"}, "some_timeout": 3}), 0, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := ForkHalt(tc.rc, now, horizon)
			if tc.refusal != nil {
				if err == nil {
					t.Fatalf("accepted, halt %+v", h)
				}
				for _, w := range tc.refusal {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.halt == 0 && h != nil:
				t.Fatalf("halt %+v, want none", h)
			case tc.halt != 0 && (h == nil || h.Time != tc.halt || !strings.Contains(h.Error(), tc.reason)):
				t.Fatalf("halt %+v, want %d (%s)", h, tc.halt, tc.reason)
			}
		})
	}
}
