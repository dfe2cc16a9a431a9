package l1source

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

func TestConfigDefaults(t *testing.T) {
	s, err := parseConfig(json.RawMessage(`{"rpc":"http://127.0.0.1:8545"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.pollInterval != DefaultPollInterval || s.timeout != DefaultTimeout || s.retries != DefaultRetries ||
		s.cacheBytes != DefaultCacheBytes || s.prefetch != DefaultPrefetch || s.trust || s.methods != ethBlockReceipts|perTxReceipts ||
		s.rateLimit != 0 || len(s.beacons) != 0 || len(s.rpcs) != 1 {
		t.Fatalf("defaults: %+v", s)
	}
}

func TestConfigValues(t *testing.T) {
	s, err := parseConfig(json.RawMessage(`{
		"rpc": "http://ignored:8545",
		"rpcs": ["https://a.example/v3/KEY", "wss://b.example"],
		"beacon": "http://beacon:5052", "beacon_fallbacks": ["https://archive.example"],
		"trust_rpc": true, "rpc_kind": "basic", "poll_interval": 0.5, "timeout": "3s",
		"retries": 0, "rate_limit": 12.5, "cache_bytes": "64 MiB", "prefetch": 0}`))
	if err != nil {
		t.Fatal(err)
	}
	want := settings{
		rpcKey: "rpcs", rpcs: []string{"https://a.example/v3/KEY", "wss://b.example"},
		beacons: []string{"http://beacon:5052", "https://archive.example"}, trust: true, methods: perTxReceipts,
		pollInterval: 500 * time.Millisecond, timeout: 3 * time.Second, retries: 0, rateLimit: 12.5, cacheBytes: 64 << 20,
	}
	if strings.Join(s.rpcs, ",") != strings.Join(want.rpcs, ",") || strings.Join(s.beacons, ",") != strings.Join(want.beacons, ",") ||
		s.rpcKey != want.rpcKey || s.trust != want.trust || s.methods != want.methods || s.pollInterval != want.pollInterval ||
		s.timeout != want.timeout || s.retries != 0 || s.rateLimit != 12.5 || s.cacheBytes != want.cacheBytes || s.prefetch != 0 {
		t.Fatalf("got %+v", s)
	}
	if s, err := parseConfig(json.RawMessage(`{"rpc":["http://a:1","ws://b:2"]}`)); err != nil || len(s.rpcs) != 2 || s.rpcKey != "rpc" {
		t.Fatalf("rpc as a list: %+v, %v", s, err)
	}
	for _, kind := range append(rpcKinds, "ERIGON", "") {
		s, err := parseConfig(json.RawMessage(`{"rpc":"ws://x:1","rpc_kind":"` + kind + `"}`))
		if err != nil || s.methods&perTxReceipts == 0 {
			t.Fatalf("kind %q: %+v %v", kind, s, err)
		}
	}
	for in, want := range map[string]int64{`0`: 0, `1024`: 1024, `"1KiB"`: 1024, `"2MB"`: 2e6, `"1.5GiB"`: 3 << 29, `"512"`: 512, `"3 gb"`: 3e9} {
		s, err := parseConfig(json.RawMessage(`{"rpc":"http://x:1","cache_bytes":` + in + `}`))
		if err != nil || s.cacheBytes != want {
			t.Fatalf("cache_bytes %s: %d, %v", in, s.cacheBytes, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ cfg, key string }{
		{`[]`, "config"},
		{`{}`, "rpc"},
		{`{"rpc":""}`, "rpc"},
		{`{"rpc":"ftp://x"}`, "rpc"},
		{`{"rpc":"http://"}`, "rpc"},
		{`{"rpc":"::nope"}`, "rpc"},
		{`{"rpc":5}`, "rpc"},
		{`{"rpcs":["http://a:1","http://a:1"]}`, "rpcs"},
		{`{"rpcs":["http://a:1","gopher://b"]}`, "rpcs"},
		{`{"rpc":"http://a:1","beacon":"ws://b:1"}`, "beacon"},
		{`{"rpc":"http://a:1","beacon_fallbacks":["nope"]}`, "beacon_fallbacks"},
		{`{"rpc":"http://a:1","trust_rpc":"yes"}`, "trust_rpc"},
		{`{"rpc":"http://a:1","rpc_kind":"fancy"}`, "rpc_kind"},
		{`{"rpc":"http://a:1","poll_interval":"-1s"}`, "poll_interval"},
		{`{"rpc":"http://a:1","poll_interval":"soon"}`, "poll_interval"},
		{`{"rpc":"http://a:1","timeout":-2}`, "timeout"},
		{`{"rpc":"http://a:1","timeout":1e300}`, "timeout"},
		{`{"rpc":"http://a:1","retries":-1}`, "retries"},
		{`{"rpc":"http://a:1","retries":1.5}`, "retries"},
		{`{"rpc":"http://a:1","rate_limit":-3}`, "rate_limit"},
		{`{"rpc":"http://a:1","cache_bytes":-1}`, "cache_bytes"},
		{`{"rpc":"http://a:1","cache_bytes":"lots"}`, "cache_bytes"},
		{`{"rpc":"http://a:1","cache_bytes":"9e30"}`, "cache_bytes"},
		{`{"rpc":"http://a:1","prefetch":100000}`, "prefetch"},
		{`{"rpc":"http://a:1","typo":1}`, "typo"},
	} {
		_, err := parseConfig(json.RawMessage(tc.cfg))
		if !errors.Is(err, eth.ErrInvalidArgument) || !strings.Contains(err.Error(), "config "+tc.key+":") {
			t.Errorf("%s: want an invalid-argument error naming %q, got %v", tc.cfg, tc.key, err)
		}
	}
}

// Secrets in endpoint paths (API keys) never appear in messages.
func TestConfigRedactsURLs(t *testing.T) {
	_, err := parseConfig(json.RawMessage(`{"rpcs":["https://u:pw@host.example/v3/SECRET","https://u:pw@host.example/v3/SECRET"]}`))
	if err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "pw") {
		t.Fatalf("message leaks credentials: %v", err)
	}
}

// The rollup's L1 chain id is checked against every endpoint at Configure.
func TestConfigureChecksChainID(t *testing.T) {
	l1 := shared(t)
	ctx := context.Background()
	cfg, _ := json.Marshal(map[string]any{"rpc": l1.HTTP})
	if err := New().Configure(ctx, base.ConfigureRequest{Config: cfg, Rollup: &rollup.Config{L1ChainID: big.NewInt(900)}}); err != nil {
		t.Fatalf("right chain: %v", err)
	}
	err := New().Configure(ctx, base.ConfigureRequest{Config: cfg, Rollup: &rollup.Config{L1ChainID: big.NewInt(1)}})
	if !errors.Is(err, eth.ErrInvalidArgument) || !strings.Contains(err.Error(), "config rpc:") || !strings.Contains(err.Error(), "900") {
		t.Fatalf("wrong chain: %v", err)
	}
	down, _ := json.Marshal(map[string]any{"rpc": "http://127.0.0.1:1", "timeout": "500ms"})
	err = New().Configure(ctx, base.ConfigureRequest{Config: down, Rollup: &rollup.Config{L1ChainID: big.NewInt(900)}})
	if !errors.Is(err, eth.ErrTemporary) {
		t.Fatalf("unreachable endpoint: %v", err)
	}
	// One endpoint down, the other right: fine; the down one is checked
	// when it comes back.
	mixed, _ := json.Marshal(map[string]any{"rpcs": []string{"http://127.0.0.1:1", l1.HTTP}})
	if err := New().Configure(ctx, base.ConfigureRequest{Config: mixed, Rollup: &rollup.Config{L1ChainID: big.NewInt(900)}}); err != nil {
		t.Fatalf("one endpoint down: %v", err)
	}
}

func TestNotConfigured(t *testing.T) {
	s := New()
	if info, err := s.Info(context.Background()); err != nil || info.Name == "" {
		t.Fatalf("info before configure: %+v, %v", info, err)
	}
	if _, err := s.BlockRefByNumber(context.Background(), 1); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("want eth.ErrInvalidArgument, got %v", err)
	}
	if s.Stats() != (Stats{}) {
		t.Fatal("stats before configure")
	}
}
