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
	case sdk.Engine:
		defaults["url"] = c.L2.Engine
		if c.L2.JWTSecret != "" {
			defaults["jwt_secret"] = c.L2.JWTSecret
		}
	case sdk.OriginSelector:
		defaults["l1_confs"] = c.Sequencer.L1Confs
	case sdk.P2P:
		// op-node keeps its key and stores in the working directory; with
		// a data directory they go there.
		if c.DataDir != "" {
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
