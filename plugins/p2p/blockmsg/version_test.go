package blockmsg

import (
	"math/big"
	"testing"

	"github.com/opalnode/opal/sdk/rollup"
)

func TestVersionAt(t *testing.T) {
	at := func(x uint64) *uint64 { return &x }
	cfg := &rollup.Config{
		RegolithTime: at(0), CanyonTime: at(100), DeltaTime: at(150), EcotoneTime: at(200),
		FjordTime: at(200), GraniteTime: at(200), HoloceneTime: at(250), IsthmusTime: at(300),
		JovianTime: at(400), KarstTime: at(500), LagoonTime: at(600),
	}
	cases := []struct {
		cfg  *rollup.Config
		ts   uint64
		want Version
	}{
		{cfg, 0, V1},
		{cfg, 99, V1},
		{cfg, 100, V2},
		{cfg, 199, V2},
		{cfg, 200, V3},
		{cfg, 299, V3},
		{cfg, 300, V4},
		{cfg, 400, V4}, // Jovian adds no topic
		{cfg, 500, V4}, // nor Karst
		{cfg, 600, V4}, // nor Lagoon
		{&rollup.Config{}, 1 << 40, V1},
		{&rollup.Config{CanyonTime: at(0), EcotoneTime: at(0), IsthmusTime: at(0)}, 0, V4},
		{nil, 12345, V1},
	}
	for _, c := range cases {
		if got := VersionAt(c.cfg, c.ts); got != c.want {
			t.Errorf("VersionAt(%d) = %s, want %s", c.ts, got, c.want)
		}
	}
}

func TestTopics(t *testing.T) {
	cases := []struct {
		chain int64
		v     Version
		index int
		topic string
	}{
		{901, V1, 0, "/optimism/901/0/blocks"},
		{901, V2, 1, "/optimism/901/1/blocks"},
		{901, V3, 2, "/optimism/901/2/blocks"},
		{901, V4, 3, "/optimism/901/3/blocks"},
		{8453, V4, 3, "/optimism/8453/3/blocks"},
		{11155420, V3, 2, "/optimism/11155420/2/blocks"},
	}
	for _, c := range cases {
		id := big.NewInt(c.chain)
		if got := c.v.TopicIndex(); got != c.index {
			t.Errorf("%s.TopicIndex() = %d, want %d", c.v, got, c.index)
		}
		if got := Topic(id, c.v); got != c.topic {
			t.Errorf("Topic(%d, %s) = %q, want %q", c.chain, c.v, got, c.topic)
		}
		if v, ok := TopicVersion(id, c.topic); !ok || v != c.v {
			t.Errorf("TopicVersion(%d, %q) = %s, %v; want %s", c.chain, c.topic, v, ok, c.v)
		}
	}
	for _, topic := range []string{
		"/optimism/901/4/blocks",
		"/optimism/902/0/blocks",
		"/optimism/0901/0/blocks",
		"/optimism/901/0/blocks/",
		"/optimism/901/00/blocks",
		"optimism/901/0/blocks",
		"",
	} {
		if v, ok := TopicVersion(big.NewInt(901), topic); ok {
			t.Errorf("TopicVersion(901, %q) = %s, want no version", topic, v)
		}
	}
	if got := Topic(big.NewInt(901), 5); got != "" {
		t.Errorf("Topic of version 5 = %q, want \"\"", got)
	}
	if got := Version(0).TopicIndex(); got != -1 {
		t.Errorf("Version(0).TopicIndex() = %d, want -1", got)
	}
}
