package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/opalnode/opal/sdk"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "opal.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RPC.Addr != "127.0.0.1" || cfg.RPC.Port != 9545 || cfg.Plugins["deriver"].Builtin != "default" {
		t.Fatalf("defaults: %+v", cfg)
	}
}

// File < environment < flags, and --l1 and --l1.beacon both survive (the
// key-delimiter trap: "l1" is a URL and a prefix in op-node's flags).
func TestPrecedenceAndOpNodeFlags(t *testing.T) {
	t.Parallel()
	path := writeFile(t, `
[l1]
rpc = "http://file:8545"
beacon = "http://file:5052"
[rpc]
port = 1111
[plugins.deriver]
mode = "process"
[plugins.deriver.config]
answer = 42
nested = { a = "b" }
`)
	env := []string{"OPAL_RPC_PORT=2222", "OPAL_L2_JWT_SECRET=/env/jwt", "OPAL_VECTORS=/ignored", "HOME=/root"}
	cfg, err := Load(path, flags(t, "--l1", "http://flag:8545", "--l2.jwt-secret", "/flag/jwt", "--l2", "http://flag:8551"), env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.L1.RPC != "http://flag:8545" || cfg.L1.Beacon != "http://file:5052" {
		t.Fatalf("l1: %+v", cfg.L1)
	}
	if cfg.RPC.Port != 2222 {
		t.Fatalf("env should override the file: port %d", cfg.RPC.Port)
	}
	if cfg.L2.JWTSecret != "/flag/jwt" || cfg.L2.Engine != "http://flag:8551" {
		t.Fatalf("flags should override env: %+v", cfg.L2)
	}
	d := cfg.Plugins["deriver"]
	if d.Mode != "process" || d.Builtin != "default" {
		t.Fatalf("plugin section should merge with the default: %+v", d)
	}
	raw, err := PluginConfigJSON(d.Config)
	if err != nil || !strings.Contains(string(raw), `"answer":42`) || !strings.Contains(string(raw), `"nested":{"a":"b"}`) {
		t.Fatalf("plugin config: %s, %v", raw, err)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		file string
		env  []string
		want []string
	}{
		"unknown-top-key":  {file: "bogus = 1\n", want: []string{"bogus"}},
		"unknown-nested":   {file: "[rpc]\nprot = 1\n", want: []string{"prot"}},
		"bad-port":         {file: "[rpc]\nport = 70000\n", want: []string{"rpc.port"}},
		"bad-type":         {file: "[rpc]\nport = \"abc\"\n", want: []string{"port"}},
		"bad-url":          {file: "[l1]\nrpc = \"ftp://x\"\n", want: []string{"l1.rpc", "scheme"}},
		"bad-mode":         {file: "[plugins.deriver]\nmode = \"sideways\"\n", want: []string{"plugins.deriver.mode"}},
		"bad-policy":       {file: "[plugins.engine]\non_failure = \"shrug\"\n", want: []string{"plugins.engine.on_failure"}},
		"unknown-kind":     {file: "[plugins.teleporter]\nbuiltin = \"x\"\n", want: append([]string{"plugins.teleporter"}, sdk.KindNames()...)},
		"path-without-sum": {file: "[plugins.originselector]\nbuiltin = \"\"\npath = \"/x\"\n", want: []string{"plugins.originselector.sha256"}},
		"builtin-and-path": {file: "[plugins.originselector]\nbuiltin = \"default\"\npath = \"/x\"\nsha256 = \"00\"\n", want: []string{"plugins.originselector", "either builtin or path"}},
		"network-and-file": {file: "network = \"op-mainnet\"\n[rollup]\nconfig = \"r.json\"\n", want: []string{"network", "not both"}},
		"unknown-network":  {file: "network = \"moonnet\"\n", want: []string{"network", "moonnet"}},
		"bad-env":          {env: []string{"OPAL_RPC_PORT=notanumber"}, want: []string{"port"}},
		"bad-log-level":    {file: "[log]\nlevel = \"loud\"\n", want: []string{"log.level"}},
		"negative-reload":  {file: "[l1]\nruntime_config_reload_interval = \"-1m\"\n", want: []string{"l1.runtime_config_reload_interval"}},
		"zero-conn-limit":  {file: "[rpc]\nmax_connections = 0\n", want: []string{"rpc.max_connections", "positive"}},
		"negative-batch":   {env: []string{"OPAL_RPC_BATCH_LIMIT=-1"}, want: []string{"rpc.batch_limit"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if tc.file != "" {
				path = writeFile(t, tc.file)
			}
			_, err := Load(path, nil, tc.env)
			if err == nil {
				t.Fatal("accepted; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// The runtime config reload interval: op-node's default, its flag, the
// file and the environment; 0 is allowed (read once at start).
func TestRuntimeConfigReloadInterval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		env  []string
		args []string
		want time.Duration
	}{
		{want: 10 * time.Minute},
		{file: "[l1]\nruntime_config_reload_interval = \"90s\"\n", want: 90 * time.Second},
		{env: []string{"OPAL_L1_RUNTIME_CONFIG_RELOAD_INTERVAL=2m"}, want: 2 * time.Minute},
		{args: []string{"--l1.runtime-config-reload-interval", "30s"}, env: []string{"OPAL_L1_RUNTIME_CONFIG_RELOAD_INTERVAL=2m"}, want: 30 * time.Second},
		{args: []string{"--l1.runtime-config-reload-interval", "0"}, want: 0},
	} {
		path := ""
		if tc.file != "" {
			path = writeFile(t, tc.file)
		}
		cfg, err := Load(path, flags(t, tc.args...), tc.env)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.L1.RuntimeConfigReloadInterval; got != tc.want {
			t.Errorf("file %q env %v flags %v: %v, want %v", tc.file, tc.env, tc.args, got, tc.want)
		}
	}
}

// Every kind of the sdk's table has its plugin section: the per-field
// defaults, the OPAL_PLUGINS_<KIND>_* variables and a load spec.
func TestEveryKindHasAPluginSection(t *testing.T) {
	t.Parallel()
	var env []string
	for _, k := range sdk.Kinds {
		env = append(env, "OPAL_PLUGINS_"+strings.ToUpper(string(k))+"_START_TIMEOUT=3s")
	}
	cfg, err := Load("", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := cfg.Specs(PluginConfigJSON)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != len(sdk.Kinds) {
		t.Fatalf("%d specs for %d kinds", len(specs), len(sdk.Kinds))
	}
	for i, k := range sdk.Kinds {
		p := cfg.Plugins[string(k)]
		if p.Builtin != "default" || p.Mode != "inprocess" || p.OnFailure != "restart" || p.StartTimeout.Seconds() != 3 {
			t.Errorf("plugins.%s: %+v", k, p)
		}
		if s := specs[i]; s.Kind != k || s.Key != "plugins."+string(k) {
			t.Errorf("spec %d: %+v, want kind %s", i, s, k)
		}
	}
}

func TestSpecsAndEffective(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "[plugins.originselector]\npath = \"/opt/sel\"\nsha256 = \"ab\"\non_failure = \"stop\"\n")
	cfg, err := Load(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := cfg.Specs(PluginConfigJSON)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, s := range specs {
		if s.Kind == "originselector" {
			found = true
			if s.Mode != "process" || s.Path != "/opt/sel" || s.OnFailure != "stop" || s.Key != "plugins.originselector" {
				t.Fatalf("spec: %+v", s)
			}
		}
	}
	if !found {
		t.Fatal("no originselector spec")
	}
	out, err := cfg.Effective()
	if err != nil || !strings.Contains(out, `plugins.originselector.path = "/opt/sel"`) || !strings.Contains(out, "rpc.port = 9545") {
		t.Fatalf("effective:\n%s\n%v", out, err)
	}
}

func TestNetworks(t *testing.T) {
	t.Parallel()
	for _, n := range Networks() {
		cfg, err := NetworkRollup(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if cfg.L2ChainID.Sign() == 0 {
			t.Fatalf("%s: no chain id", n)
		}
	}
	if cfg, _ := NetworkRollup("op-mainnet"); cfg.L2ChainID.Uint64() != 10 || !cfg.KeepKarstUpgradeGas {
		t.Fatalf("op-mainnet: %+v", cfg)
	}
}

// A/B: off by default; --ab.deriver takes a built-in or PATH@SHA256 as
// opal replay does; the file, env and flags set the same section; bad
// values are errors naming the key.
func TestABSection(t *testing.T) {
	t.Parallel()
	c, err := Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AB.On() || c.AB.MaxLag != 1000 || c.AB.StoreSize != 10000 || c.AB.CallTimeout != 10*time.Second {
		t.Fatalf("defaults: %+v", c.AB)
	}
	if _, on, err := c.ABSpec(PluginConfigJSON); on || err != nil {
		t.Fatalf("spec with A/B off: %v %v", on, err)
	}

	c, err = Load("", flags(t, "--ab.deriver", "default", "--ab.deriver.mode", "process", "--ab.max-lag", "50",
		"--ab.deriver.config", `{"seq_window_size": 4}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, on, err := c.ABSpec(PluginConfigJSON)
	if err != nil || !on {
		t.Fatalf("spec: %v %v", on, err)
	}
	if s.Kind != sdk.Deriver || s.Builtin != "default" || s.Mode != "process" || s.OnFailure != "restart" || s.Key != "ab.deriver" ||
		string(s.Config) != `{"seq_window_size":4}` || c.AB.MaxLag != 50 {
		t.Fatalf("spec %+v, max lag %d", s, c.AB.MaxLag)
	}

	c, err = Load(writeFile(t, "[ab.deriver]\nbuiltin = \"default\"\n"), flags(t, "--ab.deriver", "/opt/variant@00ff"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _ := c.ABSpec(PluginConfigJSON); s.Builtin != "" || s.Path != "/opt/variant" || s.SHA256 != "00ff" || s.Mode != "process" {
		t.Fatalf("path spec %+v", s)
	}

	c, err = Load(writeFile(t, "[ab]\nstore_size = 7\n[ab.deriver]\npath = \"/opt/v\"\nsha256 = \"ab\"\n"), nil, []string{"OPAL_AB_REPORT=/tmp/r.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _ := c.ABSpec(PluginConfigJSON); s.Mode != "process" || c.AB.StoreSize != 7 || c.AB.Report != "/tmp/r.jsonl" {
		t.Fatalf("file spec %+v, %+v", s, c.AB)
	}

	for name, tc := range map[string]struct {
		file string
		args []string
		want []string
	}{
		"stop-policy":     {file: "[ab.deriver]\nbuiltin = \"default\"\non_failure = \"stop\"\n", want: []string{"ab.deriver.on_failure"}},
		"follow-mode":     {args: []string{"--ab.deriver", "default", "--l2.follow.source", "http://127.0.0.1:1"}, want: []string{"ab.deriver", "follow"}},
		"path-no-sum":     {file: "[ab.deriver]\npath = \"/x\"\n", want: []string{"ab.deriver.sha256"}},
		"bad-spec":        {args: []string{"--ab.deriver", "/x@"}, want: []string{"--ab.deriver", "PATH@SHA256"}},
		"bad-config-json": {args: []string{"--ab.deriver", "default", "--ab.deriver.config", "[1"}, want: []string{"--ab.deriver.config"}},
		"zero-lag":        {args: []string{"--ab.max-lag", "0"}, want: []string{"ab.max_lag"}},
		"unknown-key":     {file: "[ab]\nmax_lagg = 3\n", want: []string{"max_lagg"}},
	} {
		var fs *pflag.FlagSet
		if tc.args != nil {
			fs = flags(t, tc.args...)
		}
		path := ""
		if tc.file != "" {
			path = writeFile(t, tc.file)
		}
		_, err := Load(path, fs, nil)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not name %q", name, err, w)
			}
		}
	}
}
