package pluginhost_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/sdktest"
)

type callLog struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *callLog) observe(kind sdk.Kind, method string, _ time.Duration, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[string(kind)+"."+method]++
}

func (c *callLog) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[key]
}

// A handle is the kind's interface for the node's life: it passes the
// kind's suite in-process (timed through the call observer) and as a
// process, and a handle taken before a plugin process is killed works on
// the restarted process.
func TestHandles(t *testing.T) {
	for _, mode := range []pluginhost.Mode{pluginhost.InProcess, pluginhost.Process} {
		t.Run(string(mode), func(t *testing.T) {
			calls := &callLog{calls: map[string]int{}}
			rec := &recorder{}
			h := pluginhost.New(pluginhost.Options{
				Catalog: testCatalog(), Logger: hclog.New(&hclog.LoggerOptions{Output: io.Discard}),
				Rollup:      sdktest.TestRollupConfig(eth.HeaderRef(testChain().Blocks[0].Header())),
				SelfCommand: selfCommand, MinBackoff: 50 * time.Millisecond, Events: rec.add, CallObserver: calls.observe,
			})
			t.Cleanup(h.Close)
			insts, err := h.Load(context.Background(), []pluginhost.Spec{
				spec(sdk.L1Source, "fake", mode), spec(sdk.OriginSelector, "lazy", mode),
			})
			if err != nil {
				t.Fatal(err)
			}
			hs := h.Handles()
			if hs.L1Source == nil || hs.OriginSelector == nil || hs.Engine != nil || hs.Deriver != nil || hs.P2P != nil {
				t.Fatalf("handles %+v", hs)
			}
			sdktest.RunL1SourceSuite(t, hs.L1Source, testChain())
			sdktest.RunOriginSelectorSuite(t, hs.OriginSelector)
			if mode == pluginhost.InProcess {
				if calls.count("l1source.BlockData") == 0 || calls.count("l1source.StorageAt") == 0 || calls.count("originselector.NextL1Origin") == 0 {
					t.Fatalf("in-process calls not timed: %v", calls.calls)
				}
				return
			}
			if !insts[sdk.OriginSelector].Kill() {
				t.Fatal("kill returned false for a process plugin")
			}
			rec.wait(t, func(e pluginhost.Event) bool {
				r, ok := e.(pluginhost.Restarted)
				return ok && r.Kind == sdk.OriginSelector
			})
			sdktest.RunOriginSelectorSuite(t, hs.OriginSelector)
		})
	}
}

// The L1 handle reads storage through any source that can, and answers
// l1source.ErrStorageUnsupported for one that cannot, in-process and as a
// process alike.
func TestL1HandleStorage(t *testing.T) {
	chain := testChain()
	account, slot := chain.Watched, common.HexToHash("0x01")
	for _, mode := range []pluginhost.Mode{pluginhost.InProcess, pluginhost.Process} {
		for _, builtin := range []string{"fake", "fake-1.0"} {
			t.Run(string(mode)+"/"+builtin, func(t *testing.T) {
				h := newHost(t, nil)
				if _, err := h.Load(context.Background(), []pluginhost.Spec{spec(sdk.L1Source, builtin, mode)}); err != nil {
					t.Fatal(err)
				}
				v, err := l1source.StorageAt(context.Background(), h.Handles().L1Source, account, slot, chain.Head().Hash())
				switch {
				case builtin == "fake" && (err != nil || v != chain.Storage[account][slot]):
					t.Fatalf("read %s, %v; want %s", v, err, chain.Storage[account][slot])
				case builtin == "fake-1.0" && !errors.Is(err, l1source.ErrStorageUnsupported):
					t.Fatalf("want l1source.ErrStorageUnsupported, got %s, %v", v, err)
				}
			})
		}
	}
}
