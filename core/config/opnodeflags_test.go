package config

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/opalnode/opal/sdk"
)

// opNodeV119Flags are the flag names op-node v1.19 accepts (op-node/flags,
// with the op-service log and pprof flags and the hidden legacy ones),
// written out independently of opNodeFlags and p2pFlags so that a flag
// dropped from either table is noticed.
var opNodeV119Flags = []string{
	"l1", "l2", "l2.jwt-secret", "l1.beacon", "network", "rollup.config", "rollup.l1-chain-config",
	"l2.engine-rpc-timeout", "l2.follow.source", "l2.follow.source.rpc-timeout",
	"override.canyon", "override.delta", "override.ecotone", "override.fjord", "override.granite", "override.holocene",
	"override.pectrablobschedule", "override.isthmus", "override.jovian", "override.karst", "override.lagoon",
	"syncmode", "l2.enginekind", "rollup.halt", "rollup.load-protocol-versions", "ignore-missing-pectra-blob-schedule",
	"l2.engine-sync", "l2.skip-sync-start-check", "beta.extra-networks", "l2.backup-unsafe-sync-rpc",
	"l2.backup-unsafe-sync-rpc.trustrpc",
	"l1.beacon-header", "l1.beacon-fallbacks", "l1.beacon-archiver", "l1.beacon.ignore", "l1.beacon.fetch-all-sidecars",
	"l1.trustrpc", "l1.rpckind", "l1.max-concurrency", "l1.rpc-rate-limit", "l1.rpc-max-batch-size", "l1.cache-size",
	"l1.http-poll-interval", "verifier.l1-confs", "l1.epoch-poll-interval", "l1.runtime-config-reload-interval",
	"sequencer.enabled", "sequencer.stopped", "sequencer.max-safe-lag", "sequencer.l1-confs", "sequencer.recover",
	"sequencer.use-finalized", "conductor.enabled", "conductor.rpc", "conductor.rpc-timeout",
	"rpc.addr", "rpc.port", "rpc.enable-admin", "rpc.admin-state", "metrics.enabled", "metrics.addr", "metrics.port",
	"safedb.path", "fetch-withdrawal-root-from-state", "log.level", "log.format", "log.color", "log.pid",
	"pprof.enabled", "pprof.addr", "pprof.port", "pprof.path", "pprof.type",
	"snapshotlog.file", "heartbeat.enabled", "heartbeat.moniker", "heartbeat.url",
	"altda.enabled", "altda.da-server", "altda.verify-on-read", "altda.da-service", "altda.put-timeout",
	"altda.get-timeout", "altda.max-concurrent-da-requests",
	"experimental.sequencer-api",
	"interop.dependency-set", "interop.rpc.addr", "interop.rpc.port", "interop.jwt-secret",
	// p2p (p2pflags.go)
	"p2p.disable", "p2p.no-discovery", "p2p.scoring", "p2p.scoring.peers", "p2p.score.bands", "p2p.scoring.topics",
	"p2p.ban.peers", "p2p.ban.threshold", "p2p.ban.duration", "p2p.priv.path", "p2p.priv.raw",
	"p2p.listen.ip", "p2p.listen.tcp", "p2p.listen.udp", "p2p.advertise.ip", "p2p.advertise.tcp", "p2p.advertise.udp",
	"p2p.bootnodes", "p2p.static", "p2p.netrestrict", "p2p.mux", "p2p.security", "p2p.peers.lo", "p2p.peers.hi",
	"p2p.peers.grace", "p2p.nat", "p2p.useragent", "p2p.timeout.negotiation", "p2p.timeout.accept", "p2p.timeout.dial",
	"p2p.peerstore.path", "p2p.discovery.path", "p2p.sequencer.key", "p2p.gossip.mesh.d", "p2p.gossip.mesh.lo",
	"p2p.gossip.mesh.dhi", "p2p.gossip.mesh.dlazy", "p2p.gossip.mesh.floodpublish", "p2p.gossip.timestamp.threshold",
	"p2p.sync.req-resp", "p2p.sync.onlyreqtostatic", "p2p.ping", "syncmode.req-resp",
	"signer.endpoint", "signer.address", "signer.header", "signer.tls.ca", "signer.tls.cert", "signer.tls.key",
}

// Every op-node flag is defined, and has one policy: an entry of
// opNodeFlags, or of the p2p tables.
func TestEveryOpNodeFlagIsKnown(t *testing.T) {
	t.Parallel()
	fs := flags(t)
	p2p := map[string]bool{"p2p.disable": true}
	for _, f := range p2pFlags {
		p2p[f.name] = true
	}
	for name := range p2pIgnoredFlags {
		p2p[name] = true
	}
	for _, name := range opNodeV119Flags {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if fs.Lookup(name) == nil {
				t.Fatalf("--%s is not defined", name)
			}
			_, inTable := opNodeByName[name]
			if inTable == p2p[name] {
				t.Fatalf("--%s: in opNodeFlags %v, in the p2p tables %v: want exactly one", name, inTable, p2p[name])
			}
		})
	}
}

// The table is consistent: each entry's policy has what it needs, and
// every key it sets is a config key.
func TestOpNodeTableIsConsistent(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	eff, err := cfg.Effective()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, line := range strings.Split(eff, "\n") {
		if key, _, ok := strings.Cut(line, " = "); ok {
			known[key] = true
		}
	}
	envs := map[string]string{}
	for _, f := range opNodeFlags {
		switch f.policy {
		case mapped, fallback:
			if !known[f.key] {
				t.Errorf("--%s sets %q, which is not a config key", f.name, f.key)
			}
		case noEffect:
			if f.why == "" {
				t.Errorf("--%s has no effect and does not say why", f.name)
			}
		case refused:
			if f.refuse == "" || len(f.accept) == 0 {
				t.Errorf("--%s is refused without a reason or an accepted value", f.name)
			}
		}
		if f.category == "" || len(f.env) == 0 {
			t.Errorf("--%s lacks a category or a variable", f.name)
		}
		for _, e := range f.env {
			if other, dup := envs[e]; dup {
				t.Errorf("OP_NODE_%s is both --%s and --%s", e, other, f.name)
			}
			envs[e] = f.name
		}
	}
}

// pluginTable is the config table the plugin of kind receives.
func pluginTable(t *testing.T, cfg *Config, kind sdk.Kind) map[string]any {
	t.Helper()
	specs, err := cfg.Specs(PluginConfigJSON)
	if err != nil {
		t.Fatal(err)
	}
	for i := range specs {
		if specs[i].Kind != kind {
			continue
		}
		if err := cfg.NodeDefaults(&specs[i]); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(specs[i].Config, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return nil
}

// The op-node command lines of a sequencer and a verifier load unchanged,
// an explicit 0 included, and the flags without effect are reported.
func TestOpNodeCommandLines(t *testing.T) {
	t.Parallel()
	common := []string{"--l1", "http://127.0.0.1:8545", "--l1.beacon.ignore", "--l1.rpckind", "standard",
		"--l1.http-poll-interval", "1s", "--l1.epoch-poll-interval", "4s", "--l2", "http://127.0.0.1:8551",
		"--l2.jwt-secret", "/jwt.txt", "--l2.enginekind", "geth", "--rollup.config", "/rollup.json",
		"--rollup.l1-chain-config", "/l1.json", "--sequencer.l1-confs", "0", "--verifier.l1-confs", "0", "--p2p.disable",
		"--rpc.addr", "127.0.0.1", "--rpc.port", "8547", "--rpc.enable-admin", "--safedb.path", "/safedb", "--log.level", "info",
		"--metrics.enabled", "--metrics.addr", "127.0.0.1", "--metrics.port", "7301"}
	for name, args := range map[string][]string{
		"sequencer": append([]string{"--sequencer.enabled"}, common...),
		"verifier":  common,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load("", flags(t, args...), nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Sequencer.Enabled != (name == "sequencer") || cfg.Sequencer.L1Confs != 0 || cfg.Verifier.L1Confs != 0 {
				t.Errorf("sequencer %+v, verifier %+v: want l1 confs 0 (an explicit 0 is not unset)", cfg.Sequencer, cfg.Verifier)
			}
			if cfg.L1.RPC != "http://127.0.0.1:8545" || cfg.L1.PollInterval != time.Second || cfg.L2.JWTSecret != "/jwt.txt" ||
				cfg.Rollup.L1ChainConfig != "/l1.json" || !cfg.P2P.Disable || cfg.RPC.Port != 8547 || !cfg.RPC.EnableAdmin ||
				!cfg.Metrics.Enabled || cfg.Metrics.Port != 7301 || cfg.DataDir != "/safedb" {
				t.Errorf("config: %+v", cfg)
			}
			if got := pluginTable(t, cfg, sdk.L1Source)["poll_interval"]; got != "1s" {
				t.Errorf("l1source poll_interval = %v, want 1s", got)
			}
			if got := pluginTable(t, cfg, sdk.OriginSelector)["l1_confs"]; got != 0.0 {
				t.Errorf("originselector l1_confs = %v, want 0", got)
			}
			for _, f := range []string{"l1.beacon.ignore", "l1.epoch-poll-interval", "l2.enginekind"} {
				if cfg.Ignored[f] == "" {
					t.Errorf("--%s not reported as without effect: %v", f, cfg.Ignored)
				}
			}
			if len(cfg.Ignored) != 3 {
				t.Errorf("reported without effect: %v, want the 3 above", cfg.Ignored)
			}
		})
	}
}

// OP_NODE_* variables are the flags' aliases: below opal's own OPAL_*
// variables, which are below the flags.
func TestOpNodeEnvAliases(t *testing.T) {
	t.Parallel()
	env := []string{"OP_NODE_L1_ETH_RPC=http://opnode:8545", "OP_NODE_L2_ENGINE_RPC=http://opnode:8551",
		"OP_NODE_SEQUENCER_L1_CONFS=0", "OP_NODE_L1_BEACON_ARCHIVER=http://archiver:1,http://archiver:2",
		"OP_NODE_L2_ENGINE_KIND=reth", "OP_NODE_L2_ENGINE_RPC_TIMEOUT=3s", "OP_NODE_OVERRIDE_KARST=1234",
		"OPAL_L2_ENGINE=http://opal:8551", "OP_NODE_RPC_PORT=1111", "OPAL_RPC_PORT=2222"}
	cfg, err := Load("", flags(t, "--rpc.port", "3333"), env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.L1.RPC != "http://opnode:8545" {
		t.Errorf("l1.rpc = %s, want OP_NODE_L1_ETH_RPC's", cfg.L1.RPC)
	}
	if cfg.L2.Engine != "http://opal:8551" {
		t.Errorf("l2.engine = %s, want OPAL_L2_ENGINE's (over OP_NODE_L2_ENGINE_RPC)", cfg.L2.Engine)
	}
	if cfg.RPC.Port != 3333 {
		t.Errorf("rpc.port = %d, want the flag's (over both variables)", cfg.RPC.Port)
	}
	if cfg.Sequencer.L1Confs != 0 {
		t.Errorf("sequencer.l1_confs = %d, want OP_NODE_SEQUENCER_L1_CONFS's 0", cfg.Sequencer.L1Confs)
	}
	if strings.Join(cfg.L1.BeaconFallbacks, " ") != "http://archiver:1 http://archiver:2" {
		t.Errorf("l1.beacon_fallbacks = %v", cfg.L1.BeaconFallbacks)
	}
	if cfg.Rollup.KarstTime == nil || *cfg.Rollup.KarstTime != 1234 {
		t.Errorf("rollup.karst_time = %v, want 1234", cfg.Rollup.KarstTime)
	}
	if why := cfg.Ignored["l2.enginekind"]; !strings.Contains(why, "OP_NODE_L2_ENGINE_KIND") {
		t.Errorf("l2.enginekind from the environment: %q, want it reported naming the variable", why)
	}
	l1 := pluginTable(t, cfg, sdk.L1Source)
	if fb, _ := l1["beacon_fallbacks"].([]any); len(fb) != 2 {
		t.Errorf("l1source beacon_fallbacks = %v", l1["beacon_fallbacks"])
	}
	if got := pluginTable(t, cfg, sdk.Engine)["timeout"]; got != "3s" {
		t.Errorf("engine timeout = %v, want 3s", got)
	}
	// A variable opal refuses is overridden by the flag's accepted value.
	if _, err := Load("", flags(t, "--syncmode", "consensus-layer"), []string{"OP_NODE_SYNCMODE=execution-layer"}); err != nil {
		t.Errorf("the flag should win over OP_NODE_SYNCMODE: %v", err)
	}
}

// A value opal cannot honour is an error naming the flag or variable; the
// same flag with a value that asks for nothing different is accepted.
func TestOpNodeRefusals(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args []string
		env  []string
		want string // in the error; "" accepted
	}{
		"syncmode-el":          {args: []string{"--syncmode", "execution-layer"}, want: "--syncmode"},
		"syncmode-el-env":      {env: []string{"OP_NODE_SYNCMODE=execution-layer"}, want: "OP_NODE_SYNCMODE"},
		"syncmode-cl":          {args: []string{"--syncmode", "consensus-layer"}},
		"altda":                {args: []string{"--altda.enabled"}, want: "--altda.enabled"},
		"altda-false":          {args: []string{"--altda.enabled=false", "--altda.da-server", "http://da"}},
		"conductor":            {args: []string{"--conductor.enabled"}, want: "--conductor.enabled"},
		"conductor-env":        {env: []string{"OP_NODE_CONDUCTOR_ENABLED=true"}, want: "OP_NODE_CONDUCTOR_ENABLED"},
		"use-finalized":        {args: []string{"--sequencer.use-finalized=true"}, want: "--sequencer.use-finalized"},
		"use-finalized-false":  {args: []string{"--sequencer.use-finalized=false"}},
		"engine-sync":          {args: []string{"--l2.engine-sync"}, want: "--l2.engine-sync"},
		"rollup-halt":          {args: []string{"--rollup.halt", "major"}, want: "--rollup.halt"},
		"rollup-halt-none":     {args: []string{"--rollup.halt", "none"}},
		"beacon-header":        {args: []string{"--l1.beacon-header", "X-Key: v"}, want: "--l1.beacon-header"},
		"withdrawal-root":      {args: []string{"--fetch-withdrawal-root-from-state"}, want: "--fetch-withdrawal-root-from-state"},
		"sequencer-api":        {args: []string{"--experimental.sequencer-api"}, want: "--experimental.sequencer-api"},
		"interop-jwt":          {args: []string{"--interop.jwt-secret", "/jwt"}, want: "--interop.jwt-secret"},
		"interop-port-default": {args: []string{"--interop.rpc.port", "9645"}},
		"pprof-file":           {args: []string{"--pprof.path", "/tmp/cpu.prof"}, want: "--pprof.path"},
		"pprof-no-metrics":     {args: []string{"--pprof.enabled"}, want: "--pprof.enabled"},
		"pprof-with-metrics":   {args: []string{"--pprof.enabled", "--metrics.enabled", "--pprof.port", "6061"}},
		"engine-kind-unknown":  {args: []string{"--l2.enginekind", "nethermind"}, want: "--l2.enginekind"},
		"engine-kind-reth":     {args: []string{"--l2.enginekind", "reth"}},
		"log-format-logfmt":    {args: []string{"--log.format", "logfmt", "--log.level", "CRIT"}},
		"log-format-unknown":   {args: []string{"--log.format", "xml"}, want: "--log.format"},
		"bad-duration-env":     {env: []string{"OP_NODE_L1_HTTP_POLL_INTERVAL=soon"}, want: "OP_NODE_L1_HTTP_POLL_INTERVAL"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load("", flags(t, tc.args...), tc.env)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(tc.args) > 0 && strings.HasPrefix(name, "syncmode") && cfg.Ignored["syncmode"] == "" {
					t.Errorf("--syncmode consensus-layer not reported: %v", cfg.Ignored)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want an error naming %s", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name %s", err, tc.want)
			}
		})
	}
}

// op-node's log formats and levels map to opal's.
func TestOpNodeLogValues(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", flags(t, "--log.format", "json-pretty", "--log.level", "crit"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log.Format != "json" || cfg.Log.Level != "error" {
		t.Fatalf("log %+v, want json and error", cfg.Log)
	}
}

// --safedb.path becomes the data dir when none is given, keeping the p2p
// stores where op-node keeps them; with a data dir it has no effect.
func TestSafeDBPath(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", flags(t, "--safedb.path", "/safedb"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/safedb" || cfg.Ignored["safedb.path"] != "" {
		t.Fatalf("data dir %q, ignored %v", cfg.DataDir, cfg.Ignored)
	}
	if _, set := pluginTable(t, cfg, sdk.P2P)["data_dir"]; set {
		t.Error("the p2p stores moved into the safedb directory")
	}
	cfg, err = Load("", flags(t, "--safedb.path", "/safedb", "--data-dir", "/data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/data" || cfg.Ignored["safedb.path"] == "" {
		t.Fatalf("data dir %q, ignored %v", cfg.DataDir, cfg.Ignored)
	}
	if pluginTable(t, cfg, sdk.P2P)["data_dir"] != "/data" {
		t.Error("the p2p stores are not in --data-dir")
	}
	cfg, err = Load(writeFile(t, "data_dir = \"/file\"\n"), nil, []string{"OP_NODE_SAFEDB_PATH=/safedb"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/file" || !strings.Contains(cfg.Ignored["safedb.path"], "OP_NODE_SAFEDB_PATH") {
		t.Fatalf("data dir %q, ignored %v", cfg.DataDir, cfg.Ignored)
	}
}

// --override.<fork> replaces the chain's fork time.
func TestForkOverrides(t *testing.T) {
	t.Parallel()
	base, err := NetworkRollup("op-sepolia")
	if err != nil {
		t.Fatal(err)
	}
	karst := *base.JovianTime + 1
	cfg, err := Load("", flags(t, "--network", "op-sepolia", "--override.karst", strconv.FormatUint(karst, 10)), nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cfg.Chain()
	if err != nil {
		t.Fatal(err)
	}
	if rc.KarstTime == nil || *rc.KarstTime != karst {
		t.Fatalf("karst_time %v, want %d", rc.KarstTime, karst)
	}
	if *rc.JovianTime != *base.JovianTime {
		t.Fatal("another fork moved")
	}
}

// The help groups the flags under op-node's categories, opal's own last,
// and leaves out the hidden ones.
func TestHelpGroupsFlags(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	AddFlags(fs)
	var out bytes.Buffer
	fs.SetOutput(&out)
	if err := fs.Parse([]string{"--help"}); err != pflag.ErrHelp {
		t.Fatalf("--help: %v", err)
	}
	help := out.String()
	at := func(s string) int {
		i := strings.Index(help, s)
		if i < 0 {
			t.Fatalf("help lacks %q:\n%s", s, help)
		}
		return i
	}
	order := []string{"1. ROLLUP", "--l2.enginekind", "2. L1 RPC", "--l1.beacon.ignore", "3. SEQUENCER", "--sequencer.l1-confs",
		"4. LOGGING, METRICS", "--safedb.path", "5. PEER-TO-PEER", "--p2p.static", "6. ALT-DA", "--altda.enabled",
		"7. MISC", "--help", "8. INTEROP", "--interop.dependency-set", "OPAL (", "--data-dir string"}
	for i := 1; i < len(order); i++ {
		if at(order[i-1]) > at(order[i]) {
			t.Errorf("%q comes after %q", order[i-1], order[i])
		}
	}
	if !strings.Contains(help, "$OP_NODE_L1_ETH_RPC") || !strings.Contains(help, "$OP_NODE_P2P_STATIC") {
		t.Error("help lacks the OP_NODE_ variables")
	}
	for _, hidden := range []string{"--heartbeat.enabled", "--l1.beacon-archiver", "--l2.engine-sync ", "--p2p.score.bands"} {
		if strings.Contains(help, hidden) {
			t.Errorf("help shows hidden %s", hidden)
		}
	}
}
