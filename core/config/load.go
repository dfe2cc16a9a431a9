package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/opalnode/opal/sdk"
)

// flagKeys maps opal's own flags to config keys; op-node's flags are in
// opNodeFlags (opnodeflags.go) and p2pFlags. The mapping is explicit
// because op-node uses "l1" both as a value (--l1 URL) and as a prefix
// (--l1.beacon), which a dotted key space cannot hold at once.
var flagKeys = map[string]string{
	"rollup.dependency-set":      "rollup.dependency_set",
	"rollup.dependency-set-file": "rollup.dependency_set_file",
	"rollup.fork-horizon":        "rollup.fork_horizon",
	"rpc.max-request-bytes":      "rpc.max_request_bytes",
	"rpc.batch-limit":            "rpc.batch_limit",
	"rpc.batch-max-bytes":        "rpc.batch_max_bytes",
	"rpc.max-connections":        "rpc.max_connections",
	"metrics.pprof":              "metrics.pprof",
	"metrics.status-page":        "metrics.status_page",
	"data-dir":                   "data_dir",
	"ab.deriver.mode":            "ab.deriver.mode",
	"ab.max-lag":                 "ab.max_lag",
	"ab.store-size":              "ab.store_size",
	"ab.report":                  "ab.report",
	"ab.call-timeout":            "ab.call_timeout",
}

// AddFlags defines the node's flags on fs, op-node's and opal's own, and
// a help text grouping them as op-node does. Defaults are not set on
// flags: only flags given on the command line override the file and
// environment.
func AddFlags(fs *pflag.FlagSet) {
	addOpNodeFlags(fs)
	fs.String("config", "", "path of the TOML config file")
	fs.String("rollup.dependency-set", "", "interop dependency set: comma-separated chain ids, the chain itself included (default: the chain's known set)")
	fs.String("rollup.dependency-set-file", "", "interop dependency set file in op-supernode's format {\"dependencies\":{\"<id>\":{}}}")
	fs.Duration("rollup.fork-horizon", 0, "a fork opal does not implement refuses the start if it activates within this long, else derivation halts before it (default 720h)")
	fs.Int("rpc.max-request-bytes", 0, "largest JSON-RPC request body or WebSocket message (default 5 MiB)")
	fs.Int("rpc.batch-limit", 0, "most calls in one JSON-RPC batch (default 1000)")
	fs.Int("rpc.batch-max-bytes", 0, "largest JSON-RPC batch response (default 25000000)")
	fs.Int("rpc.max-connections", 0, "most RPC connections open at once; more wait to be accepted (default 256)")
	fs.Bool("metrics.pprof", false, "serve pprof on the metrics listener")
	fs.Bool("metrics.status-page", true, "serve the status page at / of the metrics listener (--metrics.status-page=false turns it off)")
	fs.String("data-dir", "", "directory of the node's state (default: a fresh temporary directory)")
	fs.String("ab.deriver", "", "A/B: run this shadow deriver next to the primary and report where they differ: a built-in name or PATH@SHA256 of a plugin binary")
	fs.String("ab.deriver.config", "", "A/B: the shadow deriver's config, as JSON")
	fs.String("ab.deriver.mode", "", "A/B: run a built-in shadow deriver inprocess or as a process (default inprocess)")
	fs.Uint64("ab.max-lag", 0, "A/B: L2 blocks the shadow may fall behind before it is resynced (default 1000)")
	fs.Int("ab.store-size", 0, "A/B: divergences kept on disk (default 10000)")
	fs.String("ab.report", "", "A/B: JSON-lines report file (default ab-report.jsonl in the data dir)")
	fs.Duration("ab.call-timeout", 0, "A/B: a shadow call longer than this is a stall (default 10s)")
	addP2PFlags(fs)
	fs.Usage = func() { printUsage(fs) }
}

// loadABFlags sets the shadow deriver from --ab.deriver (a built-in name
// or PATH@SHA256, as opal replay takes it) and --ab.deriver.config.
func loadABFlags(k *koanf.Koanf, fs *pflag.FlagSet) error {
	if f := fs.Lookup("ab.deriver"); f != nil && f.Changed {
		spec := f.Value.String()
		if path, sum, ok := strings.Cut(spec, "@"); ok {
			if path == "" || sum == "" {
				return fmt.Errorf("--ab.deriver: %q: want a built-in name or PATH@SHA256", spec)
			}
			_ = k.Set("ab.deriver.path", path)
			_ = k.Set("ab.deriver.sha256", sum)
			_ = k.Set("ab.deriver.mode", "process")
			k.Delete("ab.deriver.builtin")
		} else {
			_ = k.Set("ab.deriver.builtin", spec)
			k.Delete("ab.deriver.path")
			k.Delete("ab.deriver.sha256")
		}
	}
	if f := fs.Lookup("ab.deriver.config"); f != nil && f.Changed {
		var table map[string]any
		if err := json.Unmarshal([]byte(f.Value.String()), &table); err != nil {
			return fmt.Errorf("--ab.deriver.config: not a JSON object: %w", err)
		}
		k.Delete("ab.deriver.config")
		for key, v := range table {
			_ = k.Set("ab.deriver.config."+key, v)
		}
	}
	return nil
}

// envKeys maps OPAL_* variable names to config keys, for every key the
// config has (plugin sections included).
func envKeys() map[string]string {
	out := map[string]string{}
	for _, key := range flagKeys {
		out[envName(key)] = key
	}
	for _, f := range opNodeFlags {
		if f.key != "" {
			out[envName(f.key)] = f.key
		}
	}
	for _, section := range append(pluginSections(), "ab.deriver") {
		for _, f := range []string{"builtin", "path", "sha256", "mode", "on_failure", "start_timeout"} {
			key := section + "." + f
			out[envName(key)] = key
		}
	}
	return out
}

func pluginSections() []string {
	var out []string
	for _, kind := range sdk.KindNames() {
		out = append(out, "plugins."+kind)
	}
	return out
}

func envName(key string) string {
	return "OPAL_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(key))
}

// Load builds the effective configuration: defaults, then the file (when
// path is not empty), then op-node's OP_NODE_* variables, then opal's
// OPAL_* variables, then the flags that were set. op-node's flags and
// variables that opal accepts without effect end up in Config.Ignored; a
// value opal cannot honour is an error naming the flag or variable.
func Load(path string, fs *pflag.FlagSet, environ []string) (*Config, error) {
	k := koanf.New(".")
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		if err := k.Load(file.Provider(path), toml.Parser()); err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if err := loadP2PEnv(k, environ); err != nil {
		return nil, err
	}
	opNode := newOpNodeInput()
	if err := opNode.loadEnv(k, environ); err != nil {
		return nil, err
	}
	keys := envKeys()
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if key, known := keys[name]; known {
			if err := k.Set(key, val); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	if fs != nil {
		var ferr error
		fs.Visit(func(f *pflag.Flag) {
			if ferr != nil {
				return
			}
			if isOpNode, err := opNode.loadFlag(k, f); isOpNode {
				ferr = err
				return
			}
			if key, ok := flagKeys[f.Name]; ok {
				ferr = k.Set(key, f.Value.String())
			}
		})
		if ferr != nil {
			return nil, ferr
		}
		if err := loadP2PFlags(k, fs); err != nil {
			return nil, err
		}
		if err := loadABFlags(k, fs); err != nil {
			return nil, err
		}
	}
	ignored, safeDBDataDir, err := opNode.judge(k)
	if err != nil {
		return nil, err
	}
	// Plugin defaults are filled in per field after merging, so that a
	// section that only sets path (an external plugin) does not inherit the
	// default builtin, and one that only sets mode keeps the default builtin.
	for _, kind := range sdk.KindNames() {
		pre := "plugins." + kind + "."
		if !k.Exists(pre+"builtin") && !k.Exists(pre+"path") {
			_ = k.Set(pre+"builtin", "default")
		}
		if !k.Exists(pre + "mode") {
			mode := "inprocess"
			if k.String(pre+"path") != "" {
				mode = "process"
			}
			_ = k.Set(pre+"mode", mode)
		}
		if !k.Exists(pre + "on_failure") {
			_ = k.Set(pre+"on_failure", "restart")
		}
	}
	if k.Exists("ab.deriver.path") && !k.Exists("ab.deriver.mode") {
		_ = k.Set("ab.deriver.mode", "process")
	}
	cfg := Default()
	cfg.Plugins = map[string]Plugin{}
	var md mapstructure.Metadata
	err = k.UnmarshalWithConf("", cfg, koanf.UnmarshalConf{DecoderConfig: &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToWeakSliceHookFunc(","),
			mapstructure.TextUnmarshallerHookFunc()),
		WeaklyTypedInput: true,
		ErrorUnused:      true,
		Metadata:         &md,
		Result:           cfg,
		TagName:          "koanf",
	}})
	if err != nil {
		return nil, explainDecode(err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := opNode.check(cfg); err != nil {
		return nil, err
	}
	cfg.safeDBDataDir = safeDBDataDir
	cfg.Ignored = IgnoredFlags(fs)
	for name, why := range ignored {
		cfg.Ignored[name] = why
	}
	return cfg, nil
}

// explainDecode rewrites mapstructure's messages into key-named errors.
func explainDecode(err error) error {
	var de *mapstructure.DecodeError
	msg := err.Error()
	if errors.As(err, &de) {
		msg = de.Error()
	}
	msg = strings.ReplaceAll(msg, "has invalid keys:", "unknown key(s):")
	return fmt.Errorf("invalid config: %s", msg)
}

// PluginConfigJSON encodes a free-form plugin config table as JSON.
func PluginConfigJSON(m map[string]any) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(m)
}

// Effective renders the configuration as TOML-like sorted key = value
// lines, for `opal config check`.
func (c *Config) Effective() (string, error) {
	var m map[string]any
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{TagName: "koanf", Result: &m})
	if err != nil {
		return "", err
	}
	if err := dec.Decode(c); err != nil {
		return "", err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	var flat map[string]any
	if err := json.Unmarshal(b, &flat); err != nil {
		return "", err
	}
	lines := map[string]string{}
	flatten("", flat, lines)
	keys := make([]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s = %s\n", k, lines[k])
	}
	return sb.String(), nil
}

func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, sub := range t {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, sub, out)
		}
	default:
		b, _ := json.Marshal(t)
		out[prefix] = string(b)
	}
}
