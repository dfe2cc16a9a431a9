// Package config reads opal's configuration: one TOML file, overlaid by
// OPAL_* environment variables, overlaid by command-line flags whose names
// follow op-node's. Unknown keys and bad values are errors that name the key.
package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
)

// Config is the node's whole configuration. The koanf tags are the keys of
// the TOML file; env variables are OPAL_ + the key upper-cased with dots as
// underscores (l2.jwt_secret → OPAL_L2_JWT_SECRET).
type Config struct {
	// Network names a known chain (op-mainnet, op-sepolia, base-mainnet,
	// base-sepolia); exclusive with rollup.config.
	Network string `koanf:"network"`

	Rollup struct {
		// Config is the path of a rollup.json in op-node's format.
		Config string `koanf:"config"`
		// L1ChainConfig is the path of the L1's geth genesis JSON; needed for
		// any L1 other than Ethereum mainnet and Sepolia.
		L1ChainConfig string `koanf:"l1_chain_config"`
		// LagoonTime overrides the chain's lagoon_time (op-node's
		// --override.lagoon).
		LagoonTime *uint64 `koanf:"lagoon_time"`
		// The other forks' overrides (op-node's --override.<fork>).
		CanyonTime             *uint64 `koanf:"canyon_time"`
		DeltaTime              *uint64 `koanf:"delta_time"`
		EcotoneTime            *uint64 `koanf:"ecotone_time"`
		FjordTime              *uint64 `koanf:"fjord_time"`
		GraniteTime            *uint64 `koanf:"granite_time"`
		HoloceneTime           *uint64 `koanf:"holocene_time"`
		PectraBlobScheduleTime *uint64 `koanf:"pectra_blob_schedule_time"`
		IsthmusTime            *uint64 `koanf:"isthmus_time"`
		JovianTime             *uint64 `koanf:"jovian_time"`
		KarstTime              *uint64 `koanf:"karst_time"`
		// DependencySet lists the chain ids of the interop dependency set,
		// the chain itself included; it overrides what the chain's preset
		// or rollup.json say.
		DependencySet []uint64 `koanf:"dependency_set"`
		// DependencySetFile is a dependency set in op-supernode's JSON
		// format ({"dependencies":{"<chain id>":{},...}}).
		DependencySetFile string `koanf:"dependency_set_file"`
		// ForkHorizon: a fork the rollup config schedules that opal does
		// not implement refuses the start when it activates within this
		// long; further away, opal warns and halts derivation before it.
		ForkHorizon time.Duration `koanf:"fork_horizon"`
	} `koanf:"rollup"`

	L1 struct {
		RPC      string `koanf:"rpc"`
		Beacon   string `koanf:"beacon"`
		TrustRPC bool   `koanf:"trust_rpc"`
		RPCKind  string `koanf:"rpc_kind"`
		// RuntimeConfigReloadInterval is how often the runtime config (the
		// unsafe block signer) is read again from L1 (op-node's
		// --l1.runtime-config-reload-interval); 0 reads it once at start.
		RuntimeConfigReloadInterval time.Duration `koanf:"runtime_config_reload_interval"`
		// BeaconFallbacks are more beacon APIs (blob archivers), asked
		// when the beacon fails (op-node's --l1.beacon-fallbacks).
		BeaconFallbacks []string `koanf:"beacon_fallbacks"`
		// PollInterval is how often the L1 head (over http) and the safe
		// and finalized blocks are read (op-node's --l1.http-poll-interval);
		// 0 leaves the L1 source's default (2s).
		PollInterval time.Duration `koanf:"poll_interval"`
		// RPCRateLimit bounds the requests per second to each L1
		// endpoint (op-node's --l1.rpc-rate-limit); 0 is unlimited.
		RPCRateLimit float64 `koanf:"rpc_rate_limit"`
	} `koanf:"l1"`

	L2 struct {
		// Engine is the authenticated Engine API endpoint.
		Engine string `koanf:"engine"`
		// JWTSecret is the path of the 32-byte hex secret.
		JWTSecret string `koanf:"jwt_secret"`
		// EngineRPCTimeout bounds one Engine API call (op-node's
		// --l2.engine-rpc-timeout); 0 leaves the engine plugin's 10s.
		EngineRPCTimeout time.Duration `koanf:"engine_rpc_timeout"`
		// Follow takes safe and finalized heads from another rollup node
		// (op-node's --l2.follow.source) instead of deriving them.
		Follow struct {
			Source     string        `koanf:"source"`
			RPCTimeout time.Duration `koanf:"rpc_timeout"`
		} `koanf:"follow"`
	} `koanf:"l2"`

	Sequencer struct {
		Enabled    bool   `koanf:"enabled"`
		Stopped    bool   `koanf:"stopped"`
		L1Confs    uint64 `koanf:"l1_confs"`
		MaxSafeLag uint64 `koanf:"max_safe_lag"`
		Recover    bool   `koanf:"recover"`
	} `koanf:"sequencer"`

	Verifier struct {
		L1Confs uint64 `koanf:"l1_confs"`
	} `koanf:"verifier"`

	RPC struct {
		Addr        string `koanf:"addr"`
		Port        int    `koanf:"port"`
		EnableAdmin bool   `koanf:"enable_admin"`
		// Limits of the listener: the largest request body (HTTP) or
		// message (WebSocket), the most calls in one batch and the largest
		// batch response, and the most connections open at once (more
		// wait to be accepted).
		MaxRequestBytes int `koanf:"max_request_bytes"`
		BatchLimit      int `koanf:"batch_limit"`
		BatchMaxBytes   int `koanf:"batch_max_bytes"`
		MaxConnections  int `koanf:"max_connections"`
	} `koanf:"rpc"`

	Metrics struct {
		Enabled bool   `koanf:"enabled"`
		Addr    string `koanf:"addr"`
		Port    int    `koanf:"port"`
		Pprof   bool   `koanf:"pprof"`
		// StatusPage serves the status page at / of the metrics listener.
		StatusPage bool `koanf:"status_page"`
	} `koanf:"metrics"`

	// P2P is the node's p2p switch; the p2p plugin's own settings (op-node's
	// --p2p.* flags) are its [plugins.p2p.config] table.
	P2P struct {
		// Disable runs the node without the p2p plugin (--p2p.disable).
		Disable bool `koanf:"disable"`
	} `koanf:"p2p"`

	// DataDir holds the head store; empty means a fresh temporary dir.
	DataDir string `koanf:"data_dir"`

	Log struct {
		Level  string `koanf:"level"`
		Format string `koanf:"format"`
	} `koanf:"log"`

	Plugins map[string]Plugin `koanf:"plugins"`

	// AB is A/B derivation: a second ("shadow") deriver runs next to the
	// primary on the same inputs, and every L2 block where their
	// attributes differ is a divergence (see core/ab).
	AB AB `koanf:"ab"`

	// Ignored are the op-node flags given that opal accepts and that have
	// no effect, with why; the node logs them once at start.
	Ignored map[string]string `koanf:"-"`

	// safeDBDataDir says that the data dir came from op-node's
	// --safedb.path: the p2p plugin then keeps op-node's stores in the
	// working directory, as op-node does with that flag.
	safeDBDataDir bool
}

// AB is the [ab] section.
type AB struct {
	// Deriver is the shadow deriver, a plugin section like
	// [plugins.deriver]; A/B is off when it names none.
	Deriver Plugin `koanf:"deriver"`
	// MaxLag is how many L2 blocks the shadow may fall behind the primary
	// before it is dropped and resynced at the primary's safe head.
	MaxLag uint64 `koanf:"max_lag"`
	// StoreSize bounds the divergences kept on disk (the newest are kept).
	StoreSize int `koanf:"store_size"`
	// Report is the JSON-lines report file (opal ab report reads it);
	// default ab-report.jsonl in the data dir.
	Report string `koanf:"report"`
	// CallTimeout bounds one call to the shadow; a longer one is a stall.
	CallTimeout time.Duration `koanf:"call_timeout"`
}

// On says whether A/B is configured.
func (a AB) On() bool { return a.Deriver.Builtin != "" || a.Deriver.Path != "" }

// Plugin is one [plugins.<kind>] section.
type Plugin struct {
	Builtin      string         `koanf:"builtin" json:"builtin"`
	Path         string         `koanf:"path" json:"path"`
	SHA256       string         `koanf:"sha256" json:"sha256"`
	Mode         string         `koanf:"mode" json:"mode"`
	OnFailure    string         `koanf:"on_failure" json:"on_failure"`
	StartTimeout time.Duration  `koanf:"start_timeout" json:"start_timeout"`
	Config       map[string]any `koanf:"config" json:"config"`
}

// Default returns the configuration used where nothing else is said: the
// default plugins in-process, op-node's default ports, loopback listeners.
func Default() *Config {
	c := &Config{}
	c.L1.RPC = "http://127.0.0.1:8545"
	c.L1.RPCKind = "standard"
	c.L1.RuntimeConfigReloadInterval = 10 * time.Minute
	c.L2.Engine = "http://127.0.0.1:8551"
	c.L2.Follow.RPCTimeout = 10 * time.Second
	c.Sequencer.L1Confs = 4
	c.RPC.Addr = "127.0.0.1"
	c.RPC.Port = 9545
	c.Rollup.ForkHorizon = 30 * 24 * time.Hour
	// go-ethereum's own defaults for the first three.
	c.RPC.MaxRequestBytes = 5 << 20
	c.RPC.BatchLimit = 1000
	c.RPC.BatchMaxBytes = 25_000_000
	c.RPC.MaxConnections = 256
	c.Metrics.Addr = "127.0.0.1"
	c.Metrics.Port = 7300
	c.Metrics.StatusPage = true
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.AB.MaxLag = 1000
	c.AB.StoreSize = 10000
	c.AB.CallTimeout = 10 * time.Second
	c.Plugins = map[string]Plugin{}
	for _, k := range sdk.Kinds {
		c.Plugins[string(k)] = Plugin{Builtin: "default", Mode: string(pluginhost.InProcess), OnFailure: string(pluginhost.Restart)}
	}
	return c
}

// Validate checks every value and returns all problems, each naming its key.
func (c *Config) Validate() error {
	var errs []string
	bad := func(key, format string, args ...any) {
		errs = append(errs, key+": "+fmt.Sprintf(format, args...))
	}
	if c.Network != "" && c.Rollup.Config != "" {
		bad("network", "set either network or rollup.config, not both")
	}
	if len(c.Rollup.DependencySet) > 0 && c.Rollup.DependencySetFile != "" {
		bad("rollup.dependency_set", "set either rollup.dependency_set or rollup.dependency_set_file, not both")
	}
	for _, id := range c.Rollup.DependencySet {
		if id == 0 {
			bad("rollup.dependency_set", "chain id 0")
		}
	}
	if c.Network != "" && !KnownNetwork(c.Network) {
		bad("network", "unknown network %q (known: %s)", c.Network, strings.Join(Networks(), ", "))
	}
	checkURL := func(key, v string, schemes ...string) {
		if v == "" {
			return
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			bad(key, "%q is not a URL", v)
			return
		}
		for _, s := range schemes {
			if u.Scheme == s {
				return
			}
		}
		bad(key, "scheme %q not allowed (want one of %s)", u.Scheme, strings.Join(schemes, ", "))
	}
	checkURL("l1.rpc", c.L1.RPC, "http", "https", "ws", "wss")
	checkURL("l1.beacon", c.L1.Beacon, "http", "https")
	checkURL("l2.engine", c.L2.Engine, "http", "https", "ws", "wss")
	checkURL("l2.follow.source", c.L2.Follow.Source, "http", "https", "ws", "wss")
	if c.L2.Follow.Source != "" && c.Sequencer.Enabled {
		bad("l2.follow.source", "a sequencer cannot follow another node's safe head in opal (unset sequencer.enabled or l2.follow.source)")
	}
	if c.L1.RuntimeConfigReloadInterval < 0 {
		bad("l1.runtime_config_reload_interval", "must not be negative (0 reads the runtime config once at start)")
	}
	if c.L2.Follow.RPCTimeout < 0 {
		bad("l2.follow.rpc_timeout", "must not be negative")
	}
	if c.L2.EngineRPCTimeout < 0 {
		bad("l2.engine_rpc_timeout", "must not be negative (0: the engine plugin's default)")
	}
	if c.L1.PollInterval < 0 {
		bad("l1.poll_interval", "must not be negative (0: the L1 source's default)")
	}
	if c.L1.RPCRateLimit < 0 {
		bad("l1.rpc_rate_limit", "must not be negative (0: unlimited)")
	}
	for _, u := range c.L1.BeaconFallbacks {
		checkURL("l1.beacon_fallbacks", u, "http", "https")
	}
	switch c.L1.RPCKind {
	case "standard", "basic", "any", "alchemy", "quicknode", "infura", "parity", "nethermind", "debug_geth", "erigon":
	default:
		bad("l1.rpc_kind", "unknown kind %q", c.L1.RPCKind)
	}
	checkListen := func(key, addr string, port int) {
		if net.ParseIP(addr) == nil && addr != "localhost" {
			bad(key+".addr", "%q is not an IP address", addr)
		}
		if port < 0 || port > 65535 {
			bad(key+".port", "%d is out of range 0..65535", port)
		}
	}
	if c.Rollup.ForkHorizon < 0 {
		bad("rollup.fork_horizon", "must not be negative")
	}
	checkListen("rpc", c.RPC.Addr, c.RPC.Port)
	for key, v := range map[string]int{"rpc.max_request_bytes": c.RPC.MaxRequestBytes, "rpc.batch_limit": c.RPC.BatchLimit,
		"rpc.batch_max_bytes": c.RPC.BatchMaxBytes, "rpc.max_connections": c.RPC.MaxConnections} {
		if v <= 0 {
			bad(key, "must be positive, got %d", v)
		}
	}
	checkListen("metrics", c.Metrics.Addr, c.Metrics.Port)
	switch strings.ToLower(c.Log.Level) {
	case "trace", "debug", "info", "warn", "error":
	default:
		bad("log.level", "unknown level %q (trace, debug, info, warn, error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "unknown format %q (text, json)", c.Log.Format)
	}
	for kind, p := range c.Plugins {
		key := "plugins." + kind
		if !sdk.Kind(kind).Valid() {
			bad(key, "unknown plugin kind %q (known: %s)", kind, strings.Join(sdk.KindNames(), ", "))
			continue
		}
		p.check(key, bad)
	}
	if c.AB.On() {
		c.AB.Deriver.check("ab.deriver", bad)
		if c.AB.Deriver.OnFailure == string(pluginhost.Stop) {
			bad("ab.deriver.on_failure", "a shadow deriver is always restarted: it never stops the node")
		}
		if c.L2.Follow.Source != "" {
			bad("ab.deriver", "A/B compares derivation, and a node following l2.follow.source derives nothing")
		}
	}
	if c.AB.MaxLag == 0 {
		bad("ab.max_lag", "must be positive")
	}
	if c.AB.StoreSize <= 0 {
		bad("ab.store_size", "must be positive")
	}
	if c.AB.CallTimeout <= 0 {
		bad("ab.call_timeout", "must be positive")
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid config:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// check validates one plugin section at key.
func (p Plugin) check(key string, bad func(key, format string, args ...any)) {
	switch {
	case p.Builtin != "" && p.Path != "":
		bad(key, "set either builtin or path, not both")
	case p.Builtin == "" && p.Path == "":
		bad(key, "set builtin or path")
	case p.Path != "" && p.SHA256 == "":
		bad(key+".sha256", "required with path (the sha256 of the plugin binary)")
	case p.Path != "" && p.Mode == string(pluginhost.InProcess):
		bad(key+".mode", "an external plugin (path) always runs as a process")
	}
	switch pluginhost.Mode(p.Mode) {
	case pluginhost.InProcess, pluginhost.Process, "":
	default:
		bad(key+".mode", "unknown mode %q (inprocess, process)", p.Mode)
	}
	switch pluginhost.Policy(p.OnFailure) {
	case pluginhost.Restart, pluginhost.Stop, "":
	default:
		bad(key+".on_failure", "unknown policy %q (restart, stop)", p.OnFailure)
	}
	if p.StartTimeout < 0 {
		bad(key+".start_timeout", "must not be negative")
	}
}

// spec is the load spec of the section p at key.
func (p Plugin) spec(kind sdk.Kind, key string, configJSON func(map[string]any) ([]byte, error)) (pluginhost.Spec, error) {
	raw, err := configJSON(p.Config)
	if err != nil {
		return pluginhost.Spec{}, fmt.Errorf("%s.config: %w", key, err)
	}
	mode := pluginhost.Mode(p.Mode)
	if p.Path != "" || mode == "" && p.Builtin == "" {
		mode = pluginhost.Process
	}
	if mode == "" {
		mode = pluginhost.InProcess
	}
	policy := pluginhost.Policy(p.OnFailure)
	if policy == "" {
		policy = pluginhost.Restart
	}
	return pluginhost.Spec{
		Kind: kind, Key: key, Builtin: p.Builtin, Path: p.Path, SHA256: p.SHA256,
		Mode: mode, Config: raw, OnFailure: policy, StartTimeout: p.StartTimeout,
	}, nil
}

// ABSpec is the load spec of the shadow deriver; false when A/B is off.
func (c *Config) ABSpec(configJSON func(map[string]any) ([]byte, error)) (pluginhost.Spec, bool, error) {
	if !c.AB.On() {
		return pluginhost.Spec{}, false, nil
	}
	s, err := c.AB.Deriver.spec(sdk.Deriver, "ab.deriver", configJSON)
	s.OnFailure = pluginhost.Restart
	return s, err == nil, err
}

// Specs turns the plugin sections into load specs, in load order. P2P is
// left out with p2p.disable (--p2p.disable).
func (c *Config) Specs(configJSON func(map[string]any) ([]byte, error)) ([]pluginhost.Spec, error) {
	var out []pluginhost.Spec
	for _, k := range sdk.Kinds {
		p, ok := c.Plugins[string(k)]
		if !ok || k == sdk.P2P && c.P2P.Disable {
			continue
		}
		s, err := p.spec(k, "plugins."+string(k), configJSON)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
