package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/builtin"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/l1source"
)

// BenchmarkL1SourceBlockData measures L1 blocks/s fetched and verified by
// the default L1 source from the devnet's local geth: cold (cache off) and
// cached, in-process and as a plugin process.
func BenchmarkL1SourceBlockData(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "opal")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/node").CombinedOutput(); err != nil {
		b.Fatalf("build opal: %v\n%s", err, out)
	}
	ctx := context.Background()
	c, err := chain.New(ctx, chain.Config{L1OnDemand: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const blocks = 64
	for i := 0; i < blocks; i++ {
		if _, err := c.L1.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	ep := c.Endpoints()
	for _, mode := range []pluginhost.Mode{pluginhost.InProcess, pluginhost.Process} {
		for _, cached := range []bool{false, true} {
			name := string(mode) + "/cold"
			cfg := map[string]any{"rpc": ep.L1HTTP, "prefetch": 0, "cache_bytes": 0}
			if cached {
				name = string(mode) + "/cached"
				cfg["cache_bytes"] = 64 << 20
			}
			raw, _ := json.Marshal(cfg)
			b.Run(name, func(b *testing.B) {
				h := pluginhost.New(pluginhost.Options{Catalog: builtin.Catalog(), Rollup: c.Rollup,
					SelfCommand: func(kind sdk.Kind, name string) (*exec.Cmd, error) {
						cmd := exec.Command(bin, "plugin", "serve", string(kind), "--name", name)
						cmd.Env = os.Environ()
						return cmd, nil
					}})
				defer h.Close()
				insts, err := h.Load(ctx, []pluginhost.Spec{{Kind: sdk.L1Source, Key: "plugins.l1source", Builtin: "default", Mode: mode, OnFailure: pluginhost.Stop, Config: raw}})
				if err != nil {
					b.Fatal(err)
				}
				src := insts[sdk.L1Source].Components().L1Source
				req := func(n uint64) l1source.BlockDataRequest {
					return l1source.BlockDataRequest{Number: n, BatchInbox: c.Rollup.BatchInboxAddress,
						LogAddresses: []common.Address{chain.PortalAddress, chain.SystemConfigAddress}}
				}
				if cached { // warm the cache
					for n := uint64(1); n <= blocks; n++ {
						if _, err := src.BlockData(ctx, req(n)); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := src.BlockData(ctx, req(uint64(i%blocks)+1)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
			})
		}
	}
}
