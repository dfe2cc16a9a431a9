package pluginhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/sdktest"
)

// The test binary doubles as the plugin binary: with this variable set it
// serves a built-in of the test catalog instead of running tests.
const serveEnv = "OPAL_PLUGINHOST_TEST_SERVE"

var genesis = eth.L2BlockRef{Hash: common.HexToHash("0x2222"), Number: 0, Time: 1_700_000_000}

func testChain() *sdktest.L1Chain { return sdktest.NewL1Chain(12) }

func testCatalog() *pluginhost.Catalog {
	c := pluginhost.NewCatalog()
	c.Register(sdk.L1Source, "fake", func() sdk.Components {
		return sdk.Components{L1Source: sdktest.NewFakeL1Source(testChain())}
	})
	// An L1 source written against protocol 1.0: it does not read storage.
	c.Register(sdk.L1Source, "fake-1.0", func() sdk.Components {
		return sdk.Components{L1Source: struct{ l1source.Source }{sdktest.NewFakeL1Source(testChain())}}
	})
	c.Register(sdk.Deriver, "fake", func() sdk.Components { return sdk.Components{Deriver: &sdktest.FakeDeriver{}} })
	c.Register(sdk.OriginSelector, "lazy", func() sdk.Components {
		return sdk.Components{OriginSelector: &sdktest.LazySelector{}}
	})
	c.Register(sdk.Engine, "fake", func() sdk.Components { return sdk.Components{Engine: sdktest.NewFakeEngine(genesis)} })
	c.Register(sdk.P2P, "fake", func() sdk.Components {
		net := &sdktest.FakeNetwork{Loopback: true}
		return sdk.Components{P2P: net.Join("self")}
	})
	return c
}

// benchServe serves the benchmark's plugin set (set in bench_test.go).
var benchServe func()

var testBinary = os.Args[0]

func openFile(path string) (*os.File, error) { return os.Open(path) }

func baseConfigure(l1 eth.L1BlockRef) base.ConfigureRequest {
	return base.ConfigureRequest{Rollup: sdktest.TestRollupConfig(l1)}
}

func TestMain(m *testing.M) {
	if v := os.Getenv(serveEnv); v != "" {
		kind, name, _ := strings.Cut(v, ":")
		if kind == "bench" {
			benchServe()
			os.Exit(0)
		}
		if name == "wrong-version" {
			// A plugin built against a future major version of the contract.
			plugin.Serve(&plugin.ServeConfig{
				HandshakeConfig:  plugin.HandshakeConfig{MagicCookieKey: sdk.Handshake.MagicCookieKey, MagicCookieValue: sdk.Handshake.MagicCookieValue},
				VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolMajor + 1: sdk.Components{Deriver: &sdktest.FakeDeriver{}}.PluginSet()},
				GRPCServer:       sdk.GRPCServer,
			})
			os.Exit(0)
		}
		if err := testCatalog().Serve(sdk.Kind(kind), name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func selfCommand(kind sdk.Kind, name string) (*exec.Cmd, error) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serveEnv+"="+string(kind)+":"+name)
	return cmd, nil
}

type recorder struct {
	mu     sync.Mutex
	events []pluginhost.Event
}

func (r *recorder) add(e pluginhost.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) wait(t *testing.T, match func(pluginhost.Event) bool) pluginhost.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, e := range r.events {
			if match(e) {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("event did not arrive within 30s")
	return nil
}

func newHost(t *testing.T, rec *recorder) *pluginhost.Host {
	t.Helper()
	opts := pluginhost.Options{
		Catalog:     testCatalog(),
		Logger:      hclog.New(&hclog.LoggerOptions{Output: io.Discard}),
		Rollup:      sdktest.TestRollupConfig(eth.HeaderRef(testChain().Blocks[0].Header())),
		SelfCommand: selfCommand,
		MinBackoff:  50 * time.Millisecond,
	}
	if rec != nil {
		opts.Events = rec.add
	}
	h := pluginhost.New(opts)
	t.Cleanup(h.Close)
	return h
}

func spec(kind sdk.Kind, builtin string, mode pluginhost.Mode) pluginhost.Spec {
	return pluginhost.Spec{Kind: kind, Key: "plugins." + string(kind), Builtin: builtin, Mode: mode, OnFailure: pluginhost.Restart}
}

// Every kind is loaded in-process and as a real process, and the same
// conformance suite runs on both.
func TestEveryKindInProcessAndAsProcess(t *testing.T) {
	for _, mode := range []pluginhost.Mode{pluginhost.InProcess, pluginhost.Process} {
		t.Run(string(mode), func(t *testing.T) {
			h := newHost(t, nil)
			insts, err := h.Load(context.Background(), []pluginhost.Spec{
				spec(sdk.L1Source, "fake", mode), spec(sdk.Engine, "fake", mode),
				spec(sdk.OriginSelector, "lazy", mode), spec(sdk.P2P, "fake", mode),
			})
			if err != nil {
				t.Fatal(err)
			}
			for kind, inst := range insts {
				st := inst.Status()
				if st.Mode != string(mode) || st.ProtocolVersion != kind.ProtocolVersion() || !st.Up {
					t.Fatalf("%s status: %+v", kind, st)
				}
			}
			t.Run("l1source", func(t *testing.T) {
				sdktest.RunL1SourceSuite(t, insts[sdk.L1Source].Components().L1Source, testChain())
			})
			t.Run("originselector", func(t *testing.T) {
				sdktest.RunOriginSelectorSuite(t, insts[sdk.OriginSelector].Components().OriginSelector)
			})
			t.Run("engine", func(t *testing.T) {
				sdktest.RunEngineSuite(t, insts[sdk.Engine].Components().Engine, genesis, func(p eth.L2BlockRef) *eth.PayloadAttributes {
					gas := uint64(30_000_000)
					return &eth.PayloadAttributes{Timestamp: p.Time + 2, Transactions: [][]byte{{0x7e}}, NoTxPool: true, GasLimit: &gas}
				})
			})
			t.Run("p2p", func(t *testing.T) {
				g := insts[sdk.P2P].Components().P2P
				env := &eth.ExecutionPayloadEnvelope{ExecutionPayload: &eth.ExecutionPayload{BlockHash: common.HexToHash("0x77"), BlockNumber: 1}}
				sdktest.RunP2PSuite(t, g, g, env)
			})
			t.Run("deriver", func(t *testing.T) {
				sdktest.RunDeriverSuite(t, func(t *testing.T) deriver.Deriver {
					// A fresh plugin per run: its own host and process.
					insts, err := newHost(t, nil).Load(context.Background(), []pluginhost.Spec{spec(sdk.Deriver, "fake", mode)})
					if err != nil {
						t.Fatal(err)
					}
					return insts[sdk.Deriver].Components().Deriver
				})
			})
		})
	}
}

// A plugin process that dies is noticed, reported, restarted and usable.
func TestKilledPluginIsRestartedAndReported(t *testing.T) {
	rec := &recorder{}
	h := newHost(t, rec)
	insts, err := h.Load(context.Background(), []pluginhost.Spec{spec(sdk.OriginSelector, "lazy", pluginhost.Process)})
	if err != nil {
		t.Fatal(err)
	}
	inst := insts[sdk.OriginSelector]
	killedAt := time.Now()
	if !inst.Kill() {
		t.Fatal("kill returned false for a process plugin")
	}
	ev := rec.wait(t, func(e pluginhost.Event) bool { _, ok := e.(pluginhost.Exited); return ok })
	if ex := ev.(pluginhost.Exited); ex.Kind != sdk.OriginSelector || !ex.Restarting {
		t.Fatalf("exit event %+v", ex)
	}
	t.Logf("exit reported %v after the kill", time.Since(killedAt).Round(time.Millisecond))
	rec.wait(t, func(e pluginhost.Event) bool { r, ok := e.(pluginhost.Restarted); return ok && r.Restarts == 1 })
	if st := inst.Status(); !st.Up || st.Restarts != 1 {
		t.Fatalf("status after restart: %+v", st)
	}
	// The restarted plugin is configured again and answers.
	sdktest.RunOriginSelectorSuite(t, inst.Components().OriginSelector)
}

// With policy stop, an exit is reported as final and nothing restarts.
func TestStopPolicyDoesNotRestart(t *testing.T) {
	rec := &recorder{}
	h := newHost(t, rec)
	s := spec(sdk.Deriver, "fake", pluginhost.Process)
	s.OnFailure = pluginhost.Stop
	insts, err := h.Load(context.Background(), []pluginhost.Spec{s})
	if err != nil {
		t.Fatal(err)
	}
	insts[sdk.Deriver].Kill()
	ev := rec.wait(t, func(e pluginhost.Event) bool { _, ok := e.(pluginhost.Exited); return ok })
	if ev.(pluginhost.Exited).Restarting {
		t.Fatal("stop policy reported a restart")
	}
	_, err = insts[sdk.Deriver].Components().Deriver.Info(context.Background())
	if !errors.Is(err, eth.ErrUnavailable) {
		t.Fatalf("call to a dead plugin: want eth.ErrUnavailable, got %v", err)
	}
}

// wrapper writes a script that runs the test binary serving kind:name, and
// returns its path and sha256.
func wrapper(t *testing.T, kind sdk.Kind, name string) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plugin.sh")
	script := fmt.Sprintf("#!/bin/sh\n%s=%s:%s exec %q \"$@\"\n", serveEnv, kind, name, os.Args[0])
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(script))
	return path, hex.EncodeToString(sum[:])
}

// External binaries: loaded by path and checksum; every misconfiguration is
// an error naming the plugin's config key, and nothing is left running.
func TestExternalPluginErrors(t *testing.T) {
	good, goodSum := wrapper(t, sdk.Deriver, "fake")
	badVersion, badVersionSum := wrapper(t, sdk.Deriver, "wrong-version")
	sleeper := filepath.Join(t.TempDir(), "sleeper.sh")
	sleepScript := "#!/bin/sh\nexec sleep 30\n"
	if err := os.WriteFile(sleeper, []byte(sleepScript), 0o755); err != nil {
		t.Fatal(err)
	}
	sleepSum := sha256.Sum256([]byte(sleepScript))
	cases := []struct {
		name    string
		spec    pluginhost.Spec
		wantErr []string
	}{
		{"good", pluginhost.Spec{Path: good, SHA256: goodSum}, nil},
		{"wrong-sha256", pluginhost.Spec{Path: good, SHA256: strings.Repeat("00", 32)}, []string{"plugins.deriver.sha256", "checksum mismatch", good}},
		{"malformed-sha256", pluginhost.Spec{Path: good, SHA256: "xyz"}, []string{"plugins.deriver.sha256", "64 hex"}},
		{"missing-binary", pluginhost.Spec{Path: "/nonexistent/opal-plugin", SHA256: goodSum}, []string{"plugins.deriver.path", "does not exist"}},
		{"wrong-protocol-version", pluginhost.Spec{Path: badVersion, SHA256: badVersionSum}, []string{"plugins.deriver", "protocol major version"}},
		{"never-handshakes", pluginhost.Spec{Path: sleeper, SHA256: hex.EncodeToString(sleepSum[:]), StartTimeout: time.Second}, []string{"plugins.deriver", "never completed the handshake"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.Kind, s.Key, s.Mode, s.OnFailure = sdk.Deriver, "plugins.deriver", pluginhost.Process, pluginhost.Restart
			insts, err := newHost(t, nil).Load(context.Background(), []pluginhost.Spec{s})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				sdktest.RunDeriverSuite(t, func(t *testing.T) deriver.Deriver {
					insts, err := newHost(t, nil).Load(context.Background(), []pluginhost.Spec{s})
					if err != nil {
						t.Fatal(err)
					}
					return insts[sdk.Deriver].Components().Deriver
				})
				_ = insts
				return
			}
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// A built-in that does not exist is refused with the names that do.
func TestUnknownBuiltin(t *testing.T) {
	_, err := newHost(t, nil).Load(context.Background(), []pluginhost.Spec{spec(sdk.Deriver, "nope", pluginhost.InProcess)})
	if err == nil || !strings.Contains(err.Error(), "plugins.deriver.builtin") || !strings.Contains(err.Error(), "fake") {
		t.Fatalf("got %v", err)
	}
}
