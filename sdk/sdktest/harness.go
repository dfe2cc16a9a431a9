// Package sdktest helps test opal plugins: an in-process gRPC harness that
// puts any implementation behind the real client and server shims (no
// subprocess), conformance suites every implementation of a kind must pass,
// and small in-memory fakes of every kind.
package sdktest

import (
	"testing"

	plugin "github.com/hashicorp/go-plugin"

	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/p2p"
)

// dispense serves impl through go-plugin's in-process gRPC test connection
// and returns the client side.
func dispense[T any](t testing.TB, kind sdk.Kind, c sdk.Components) T {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, c.PluginSet())
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(string(kind))
	if err != nil {
		t.Fatalf("dispense %s: %v", kind, err)
	}
	v, ok := raw.(T)
	if !ok {
		t.Fatalf("dispense %s: got %T", kind, raw)
	}
	return v
}

// L1Source returns impl behind real gRPC shims.
func L1Source(t testing.TB, impl l1source.Source) l1source.Source {
	return dispense[l1source.Source](t, sdk.L1Source, sdk.Components{L1Source: impl})
}

// Deriver returns impl behind real gRPC shims.
func Deriver(t testing.TB, impl deriver.Deriver) deriver.Deriver {
	return dispense[deriver.Deriver](t, sdk.Deriver, sdk.Components{Deriver: impl})
}

// OriginSelector returns impl behind real gRPC shims.
func OriginSelector(t testing.TB, impl originselector.Selector) originselector.Selector {
	return dispense[originselector.Selector](t, sdk.OriginSelector, sdk.Components{OriginSelector: impl})
}

// Engine returns impl behind real gRPC shims.
func Engine(t testing.TB, impl engine.Engine) engine.Engine {
	return dispense[engine.Engine](t, sdk.Engine, sdk.Components{Engine: impl})
}

// P2P returns impl behind real gRPC shims.
func P2P(t testing.TB, impl p2p.Gossip) p2p.Gossip {
	return dispense[p2p.Gossip](t, sdk.P2P, sdk.Components{P2P: impl})
}
