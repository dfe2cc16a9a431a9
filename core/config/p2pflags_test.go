package config

import (
	"testing"

	"github.com/opalnode/opal/sdk"
)

// op-node's --p2p.* flags and OP_NODE_P2P_* variables land, typed, in the
// p2p plugin's table; flags win over variables, variables over the file.
func TestP2PFlags(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "[plugins.p2p.config]\nlisten_tcp = 1111\nuseragent = \"file\"\npeers_lo = 3\n")
	env := []string{"OP_NODE_P2P_LISTEN_TCP_PORT=2222", "OP_NODE_P2P_AGENT=env", "OP_NODE_P2P_PEER_BANNING=false"}
	fs := flags(t, "--p2p.listen.tcp", "3333", "--p2p.static", "/ip4/127.0.0.1/tcp/1/p2p/16Uiu2HAm", "--p2p.no-discovery",
		"--p2p.ban.threshold", "-50.5", "--p2p.peers.grace", "45s", "--p2p.sequencer.key", "0xab", "--data-dir", "/data",
		"--p2p.sync.onlyreqtostatic", "--p2p.score.bands", "x")
	cfg, err := Load(file, fs, env)
	if err != nil {
		t.Fatal(err)
	}
	got := pluginTable(t, cfg, sdk.P2P)
	want := map[string]any{
		"listen_tcp": 3333.0, "useragent": "env", "peers_lo": 3.0, "ban_peers": false,
		"static": "/ip4/127.0.0.1/tcp/1/p2p/16Uiu2HAm", "no_discovery": true, "ban_threshold": -50.5,
		"peers_grace": "45s", "sequencer_key": "0xab", "data_dir": "/data", "sync_only_static": true, "log_level": "info",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, got[k], got[k], v)
		}
	}
	if cfg.Ignored["p2p.score.bands"] == "" {
		t.Errorf("--p2p.score.bands not reported as ignored: %v", cfg.Ignored)
	}
}

func TestP2PDisable(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args []string
		env  []string
	}{
		"flag": {args: []string{"--p2p.disable"}},
		"env":  {env: []string{"OP_NODE_P2P_DISABLE=true"}},
	} {
		cfg, err := Load("", flags(t, tc.args...), tc.env)
		if err != nil {
			t.Fatal(err)
		}
		if got := pluginTable(t, cfg, sdk.P2P); got != nil {
			t.Errorf("%s: p2p still loaded with %v", name, got)
		}
	}
	cfg, err := Load("", flags(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if pluginTable(t, cfg, sdk.P2P) == nil {
		t.Fatal("p2p is on by default, as in op-node")
	}
}

func TestP2PBadValues(t *testing.T) {
	t.Parallel()
	if _, err := Load("", flags(t), []string{"OP_NODE_P2P_LISTEN_TCP_PORT=many"}); err == nil {
		t.Fatal("a bad port variable was accepted")
	}
}
