package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// The real opal binary serves its built-ins as plugin processes through
// `opal plugin serve <kind>`, and they pass their conformance suite there.
func TestOpalPluginServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the opal binary")
	}
	bin := filepath.Join(t.TempDir(), "opal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build opal: %v\n%s", err, out)
	}
	h := pluginhost.New(pluginhost.Options{
		Catalog: builtins(),
		Rollup:  sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x10"), Time: 1000}),
		SelfCommand: func(kind sdk.Kind, name string) (*exec.Cmd, error) {
			return exec.Command(bin, "plugin", "serve", string(kind), "--name", name), nil
		},
	})
	t.Cleanup(h.Close)
	insts, err := h.Load(context.Background(), []pluginhost.Spec{{
		Kind: sdk.OriginSelector, Key: "plugins.originselector", Builtin: "default", Mode: pluginhost.Process, OnFailure: pluginhost.Stop,
	}})
	if err != nil {
		t.Fatal(err)
	}
	inst := insts[sdk.OriginSelector]
	if st := inst.Status(); st.Mode != "process" || st.Name != "default" || st.ProtocolVersion != sdk.OriginSelector.ProtocolVersion() {
		t.Fatalf("status %+v", st)
	}
	sdktest.RunOriginSelectorSuite(t, inst.Components().OriginSelector)
}
