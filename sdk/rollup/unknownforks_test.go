package rollup

import (
	"encoding/json"
	"testing"
)

// Parse keeps the "*_time" fields it has no fork for, so that the node can
// refuse what it does not implement; other unknown fields stay ignored.
func TestParseKeepsUnknownForks(t *testing.T) {
	cfg := validConfig()
	b, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	doc["zircon_time"] = 1234
	doc["quartz_time"] = nil
	doc["_meta"] = map[string]any{"note": "ignored"}
	b, _ = json.Marshal(doc)
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.UnknownForks) != 2 || got.UnknownForks["zircon"] == nil || *got.UnknownForks["zircon"] != 1234 || got.UnknownForks["quartz"] != nil {
		t.Fatalf("unknown forks %v", got.UnknownForks)
	}
	if plain, err := Parse(mustMarshal(t, cfg)); err != nil || plain.UnknownForks != nil {
		t.Fatalf("a config without unknown forks: %v %v", plain.UnknownForks, err)
	}
	doc["zircon_time"] = "soon"
	b, _ = json.Marshal(doc)
	if _, err := Parse(b); err == nil {
		t.Fatal("a fork time that is not a number accepted")
	}
}

func mustMarshal(t *testing.T, c *Config) []byte {
	t.Helper()
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
