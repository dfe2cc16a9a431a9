package l1source

import (
	"testing"

	"github.com/opalnode/opal/sdk/sdktest"
)

// The contract's conformance suite against the in-process go-ethereum L1:
// directly, behind the real gRPC shims, over websocket, and with receipts
// read one transaction at a time.
func TestSuiteHTTP(t *testing.T) {
	l1 := shared(t)
	sdktest.RunL1SourceSuite(t, configured(t, map[string]any{"rpc": l1.HTTP}), l1.chain())
}

func TestSuiteGRPC(t *testing.T) {
	l1 := shared(t)
	src := sdktest.L1Source(t, configured(t, map[string]any{"rpc": l1.HTTP}))
	sdktest.RunL1SourceSuite(t, src, l1.chain())
}

func TestSuiteWebsocket(t *testing.T) {
	l1 := shared(t)
	sdktest.RunL1SourceSuite(t, configured(t, map[string]any{"rpc": l1.WS}), l1.chain())
}

func TestSuiteBasicReceiptsNoCache(t *testing.T) {
	l1 := shared(t)
	src := configured(t, map[string]any{"rpc": l1.HTTP, "rpc_kind": "basic", "cache_bytes": 0})
	sdktest.RunL1SourceSuite(t, src, l1.chain())
}
