package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/opalnode/opal/sdk/rollup"
)

// rollup.json from outside (a file, --rollup.config) never panics the
// parser, and a config it accepts survives a round trip unchanged.
func FuzzRollupParse(f *testing.F) {
	for _, name := range Networks() {
		b, err := networkFS.ReadFile("networks/" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"genesis":{"l2_time":1},"block_time":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := rollup.Parse(data)
		if err != nil {
			return
		}
		out, err := cfg.Marshal()
		if err != nil {
			t.Fatalf("an accepted config does not marshal: %v", err)
		}
		again, err := rollup.Parse(out)
		if err != nil {
			t.Fatalf("a marshaled config is refused: %v\n%s", err, out)
		}
		out2, err := again.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the config:\n%s\n%s", out, out2)
		}
	})
}

// A config file from outside never panics the loader: it is a config or
// an error.
func FuzzLoadTOML(f *testing.F) {
	if b, err := os.ReadFile("../../opal.example.toml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("[rpc]\nport = 1\n"))
	f.Add([]byte("network = \"op-sepolia\"\n[plugins.deriver]\nmode = \"process\"\n"))
	f.Add([]byte("[ab.deriver]\npath = \"/x\"\nsha256 = \"00\"\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "opal.toml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(p, nil, nil)
		if err == nil && cfg == nil {
			t.Fatal("no config and no error")
		}
	})
}
