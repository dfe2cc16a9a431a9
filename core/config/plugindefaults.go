package config

import (
	"encoding/json"
	"fmt"

	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
)

// NodeDefaults fills a plugin's config table with the node settings that
// concern it (flags like --l1 and --l2.jwt-secret), where the table does not
// set them itself.
func (c *Config) NodeDefaults(s *pluginhost.Spec) error {
	defaults := map[string]any{}
	switch s.Kind {
	case sdk.L1Source:
		defaults["rpc"] = c.L1.RPC
		defaults["trust_rpc"] = c.L1.TrustRPC
		defaults["rpc_kind"] = c.L1.RPCKind
		if c.L1.Beacon != "" {
			defaults["beacon"] = c.L1.Beacon
		}
		if len(c.L1.BeaconFallbacks) > 0 {
			defaults["beacon_fallbacks"] = c.L1.BeaconFallbacks
		}
		if c.L1.PollInterval > 0 {
			defaults["poll_interval"] = c.L1.PollInterval.String()
		}
		if c.L1.RPCRateLimit > 0 {
			defaults["rate_limit"] = c.L1.RPCRateLimit
		}
	case sdk.Engine:
		defaults["url"] = c.L2.Engine
		if c.L2.JWTSecret != "" {
			defaults["jwt_secret"] = c.L2.JWTSecret
		}
		if c.L2.EngineRPCTimeout > 0 {
			defaults["timeout"] = c.L2.EngineRPCTimeout.String()
		}
	case sdk.OriginSelector:
		defaults["l1_confs"] = c.Sequencer.L1Confs
	case sdk.P2P:
		// op-node keeps its key and stores in the working directory; with
		// a data directory they go there (not when the data directory is
		// op-node's --safedb.path, which op-node does not use for them).
		if c.DataDir != "" && !c.safeDBDataDir {
			defaults["data_dir"] = c.DataDir
		}
		defaults["log_level"] = c.Log.Level
	}
	var table map[string]any
	if len(s.Config) > 0 {
		if err := json.Unmarshal(s.Config, &table); err != nil {
			return fmt.Errorf("%s.config: %w", s.Key, err)
		}
	}
	if table == nil {
		table = map[string]any{}
	}
	for k, v := range defaults {
		if _, set := table[k]; !set {
			table[k] = v
		}
	}
	raw, err := json.Marshal(table)
	if err != nil {
		return err
	}
	s.Config = raw
	return nil
}
