package pluginhost_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"

	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/p2p"
	"github.com/opalnode/opal/sdk/sdktest"
)

// The bare baseline: a go-plugin gRPC service written by hand, with no opal
// shims, conversions or error mapping: one method taking bytes, carried
// as they are by rawCodec (the core's tests use no protobuf either).
const bareMethod = "/opal.bench.Bare/Call"

// rawCodec sends a *[]byte message as its bytes. It is registered in the
// test binary, which is also the benchmark's plugin process, and chosen by
// the content subtype of the bare calls.
type rawCodec struct{}

func (rawCodec) Name() string { return "opal-bench-raw" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: cannot marshal %T", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: cannot unmarshal into %T", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

func init() { encoding.RegisterCodec(rawCodec{}) }

type barePlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (barePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "opal.bench.Bare",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Call", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new([]byte)
			if err := dec(in); err != nil {
				return nil, err
			}
			return new([]byte), nil
		}}},
	}, struct{}{})
	return nil
}

func (barePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}

// benchSet is what the benchmark plugin process serves.
func benchSet() plugin.PluginSet {
	net := &sdktest.FakeNetwork{}
	set := sdk.Components{OriginSelector: &sdktest.LazySelector{}, P2P: net.Join("bench")}.PluginSet()
	set["bare"] = barePlugin{}
	return set
}

func serveBench() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  plugin.HandshakeConfig{MagicCookieKey: sdk.Handshake.MagicCookieKey, MagicCookieValue: sdk.Handshake.MagicCookieValue},
		VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolMajor: benchSet()},
		GRPCServer:       sdk.GRPCServer,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.Discard}),
	})
}

func init() { benchServe = serveBench }

// timed runs fn b.N times and reports the median and p99 per call.
func timed(b *testing.B, fn func() error) {
	b.Helper()
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds())/1e3, "median-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkBoundary measures a plugin call through the process boundary
// (go-plugin, AutoMTLS) with opal's shims, next to a bare go-plugin call of
// the same size in the same process pair, and the same call in-process.
func BenchmarkBoundary(b *testing.B) {
	cmd := exec.Command(benchBinary())
	cmd.Env = append(cmd.Environ(), serveEnv+"=bench:bench")
	sum, err := fileSum(cmd.Path)
	if err != nil {
		b.Fatal(err)
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  plugin.HandshakeConfig{MagicCookieKey: sdk.Handshake.MagicCookieKey, MagicCookieValue: sdk.Handshake.MagicCookieValue},
		VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolMajor: func() plugin.PluginSet { s := sdk.ClientPluginSet(); s["bare"] = barePlugin{}; return s }()},
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  sdk.GRPCDialOptions(),
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.Discard}),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		b.Fatal(err)
	}
	dispense := func(name string) any {
		v, err := rpc.Dispense(name)
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	bare := dispense("bare").(*grpc.ClientConn)
	sel := dispense(string(sdk.OriginSelector)).(originselector.Selector)
	gossip := dispense(string(sdk.P2P)).(p2p.Gossip)
	ctx := context.Background()
	cur := eth.L1BlockRef{Hash: common.HexToHash("0x10"), Number: 10, ParentHash: common.HexToHash("0x9"), Time: 1_000_000}
	local := &sdktest.LazySelector{}
	for _, s := range []originselector.Selector{sel, local} {
		if err := s.Configure(ctx, baseConfigure(cur)); err != nil {
			b.Fatal(err)
		}
	}
	req := originselector.Request{UnsafeHead: eth.L2BlockRef{Hash: common.HexToHash("0xaa"), Number: 5, Time: cur.Time, L1Origin: cur.ID()}, CurrentOrigin: cur, L1Head: cur}
	payload := make([]byte, 128<<10)
	env := &eth.ExecutionPayloadEnvelope{ExecutionPayload: &eth.ExecutionPayload{BlockHash: common.HexToHash("0x77"), Transactions: [][]byte{payload}}}
	localNet := &sdktest.FakeNetwork{}
	localGossip := localNet.Join("local")
	empty, big := []byte{}, payload
	bareCall := func(msg []byte) error {
		var reply []byte
		return bare.Invoke(ctx, bareMethod, &msg, &reply, grpc.CallContentSubtype(rawCodec{}.Name()))
	}

	b.Run("unary/bare-go-plugin", func(b *testing.B) {
		timed(b, func() error { return bareCall(empty) })
	})
	b.Run("unary/opal-process", func(b *testing.B) {
		timed(b, func() error { _, err := sel.NextL1Origin(ctx, req); return err })
	})
	b.Run("unary/opal-inprocess", func(b *testing.B) {
		timed(b, func() error { _, err := local.NextL1Origin(ctx, req); return err })
	})
	b.Run("128KiB/bare-go-plugin", func(b *testing.B) {
		timed(b, func() error { return bareCall(big) })
	})
	b.Run("128KiB/opal-process", func(b *testing.B) {
		timed(b, func() error { return gossip.Publish(ctx, env) })
	})
	b.Run("128KiB/opal-inprocess", func(b *testing.B) {
		timed(b, func() error { return localGossip.Publish(ctx, env) })
	})
}

func benchBinary() string {
	exe, _ := exec.LookPath(testBinary)
	if exe == "" {
		return testBinary
	}
	return exe
}

func fileSum(path string) ([]byte, error) {
	h := sha256.New()
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
