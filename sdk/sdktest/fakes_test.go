package sdktest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/sdktest"
)

// Every fake passes its kind's suite both called directly and through the
// real gRPC shims, so the suites are known to run and the shims to carry
// every field and error the suites look at.
func TestFakesPassSuites(t *testing.T) {
	t.Parallel()
	chain := sdktest.NewL1Chain(12)
	genesis := eth.L2BlockRef{Hash: common.HexToHash("0x2222"), Number: 0, Time: 1_700_000_000}
	attrs := func(parent eth.L2BlockRef) *eth.PayloadAttributes {
		gas := uint64(30_000_000)
		return &eth.PayloadAttributes{Timestamp: parent.Time + 2, Transactions: [][]byte{{0x7e, 1}}, NoTxPool: true, GasLimit: &gas}
	}
	for _, mode := range []string{"direct", "grpc"} {
		grpc := mode == "grpc"
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			t.Run("l1source", func(t *testing.T) {
				src := sdktest.NewFakeL1Source(chain)
				if grpc {
					sdktest.RunL1SourceSuite(t, sdktest.L1Source(t, src), chain)
					return
				}
				sdktest.RunL1SourceSuite(t, src, chain)
			})
			t.Run("deriver", func(t *testing.T) {
				sdktest.RunDeriverSuite(t, func(t *testing.T) deriver.Deriver {
					if grpc {
						return sdktest.Deriver(t, &sdktest.FakeDeriver{})
					}
					return &sdktest.FakeDeriver{}
				})
			})
			t.Run("originselector", func(t *testing.T) {
				sel := &sdktest.LazySelector{}
				if grpc {
					sdktest.RunOriginSelectorSuite(t, sdktest.OriginSelector(t, sel))
					return
				}
				sdktest.RunOriginSelectorSuite(t, sel)
			})
			t.Run("engine", func(t *testing.T) {
				eng := sdktest.NewFakeEngine(genesis)
				if grpc {
					sdktest.RunEngineSuite(t, sdktest.Engine(t, eng), genesis, attrs)
					return
				}
				sdktest.RunEngineSuite(t, eng, genesis, attrs)
			})
			t.Run("p2p", func(t *testing.T) {
				var net sdktest.FakeNetwork
				a, b := net.Join("a"), net.Join("b")
				env := &eth.ExecutionPayloadEnvelope{ExecutionPayload: &eth.ExecutionPayload{BlockHash: common.HexToHash("0x77"), BlockNumber: 1}}
				if grpc {
					sdktest.RunP2PSuite(t, sdktest.P2P(t, a), sdktest.P2P(t, b), env)
					return
				}
				sdktest.RunP2PSuite(t, a, b, env)
			})
		})
	}
}

// A source whose implementation does not read storage (one written
// against protocol 1.0) answers StorageAt with l1source.ErrStorageUnsupported
// through the shims, and the suite skips that part for it.
func TestStorageUnsupportedThroughShims(t *testing.T) {
	t.Parallel()
	chain := sdktest.NewL1Chain(4)
	old := struct{ l1source.Source }{sdktest.NewFakeL1Source(chain)}
	src := sdktest.L1Source(t, old)
	_, err := l1source.StorageAt(context.Background(), src, chain.Watched, common.HexToHash("0x01"), chain.Head().Hash())
	if !errors.Is(err, l1source.ErrStorageUnsupported) || !errors.Is(err, eth.ErrUnsupported) {
		t.Fatalf("want l1source.ErrStorageUnsupported, got %v", err)
	}
	sdktest.RunL1SourceSuite(t, src, chain)
}

// The host service reaches an out-of-process plugin through the broker.
func TestHostCallbackThroughBroker(t *testing.T) {
	t.Parallel()
	probe := &hostProbe{}
	sel := sdktest.OriginSelector(t, probe)
	host := &staticHost{ref: eth.L1BlockRef{Number: 42, Hash: common.HexToHash("0x42")}}
	if err := sel.Configure(context.Background(), base.ConfigureRequest{Rollup: sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x1"), Time: 10}), Host: host}); err != nil {
		t.Fatal(err)
	}
	if probe.got.Number != 42 || probe.got.Hash != host.ref.Hash {
		t.Fatalf("plugin read %+v through the host service, want %+v", probe.got, host.ref)
	}
}
