package pluginhost_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// Close ends the wait before a restart at once: a host whose plugin died
// does not hold its closer for the backoff.
func TestCloseEndsTheRestartWait(t *testing.T) {
	rec := &recorder{}
	h := pluginhost.New(pluginhost.Options{
		Catalog:     testCatalog(),
		Logger:      hclog.New(&hclog.LoggerOptions{Output: io.Discard}),
		Rollup:      sdktest.TestRollupConfig(eth.HeaderRef(testChain().Blocks[0].Header())),
		SelfCommand: selfCommand,
		Events:      rec.add,
		MinBackoff:  time.Hour,
		MaxBackoff:  time.Hour,
	})
	t.Cleanup(h.Close)
	insts, err := h.Load(context.Background(), []pluginhost.Spec{spec(sdk.OriginSelector, "lazy", pluginhost.Process)})
	if err != nil {
		t.Fatal(err)
	}
	if !insts[sdk.OriginSelector].Kill() {
		t.Fatal("kill returned false for a process plugin")
	}
	rec.wait(t, func(e pluginhost.Event) bool { ex, ok := e.(pluginhost.Exited); return ok && ex.Restarting })
	closed := make(chan struct{})
	go func() { h.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waiting for the restart backoff after 10s")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, e := range rec.events {
		if _, ok := e.(pluginhost.Restarted); ok {
			t.Fatalf("restarted within an hour's backoff: %+v", e)
		}
	}
}
