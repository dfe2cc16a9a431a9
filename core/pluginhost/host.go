package pluginhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/params"
	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/host"
	"github.com/opalnode/opal/sdk/rollup"
)

// Options configure a Host.
type Options struct {
	Catalog *Catalog
	Logger  hclog.Logger
	// Rollup, L1ChainConfig and Services are handed to every plugin in
	// Configure.
	Rollup        *rollup.Config
	L1ChainConfig *params.ChainConfig
	Services      host.Host
	// Events receives plugin events; it must not block for long.
	Events func(Event)
	// SelfCommand builds the command that serves a built-in as a process.
	// By default: this executable with `plugin serve <kind> --name <name>`.
	SelfCommand func(kind sdk.Kind, name string) (*exec.Cmd, error)
	// Backoff bounds for restarts; defaults 200ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// CallObserver, when set, is told the latency of every gRPC call to a
	// process plugin (in-process calls are plain function calls).
	CallObserver func(kind sdk.Kind, method string, d time.Duration, err error)
}

// Host owns the loaded plugins.
type Host struct {
	opts      Options
	mu        sync.Mutex
	instances map[sdk.Kind]*Instance
	closed    atomic.Bool
	wg        sync.WaitGroup
	// done ends with Close: it cuts short the waits between restarts.
	done context.Context
	stop context.CancelFunc
}

// New returns a Host.
func New(opts Options) *Host {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Events == nil {
		opts.Events = func(Event) {}
	}
	if opts.SelfCommand == nil {
		opts.SelfCommand = selfCommand
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	done, stop := context.WithCancel(context.Background())
	return &Host{opts: opts, instances: map[sdk.Kind]*Instance{}, done: done, stop: stop}
}

func selfCommand(kind sdk.Kind, name string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(exe, "plugin", "serve", string(kind), "--name", name), nil
}

// Load loads and configures every spec, in order. On any failure the
// plugins loaded so far are stopped and the error names the plugin and its
// config key.
func (h *Host) Load(ctx context.Context, specs []Spec) (map[sdk.Kind]*Instance, error) {
	out := map[sdk.Kind]*Instance{}
	for _, s := range specs {
		inst, err := h.load(ctx, s)
		if err != nil {
			h.Close()
			return nil, err
		}
		out[s.Kind] = inst
	}
	return out, nil
}

func (h *Host) load(ctx context.Context, s Spec) (*Instance, error) {
	inst := &Instance{Spec: s}
	comps, client, err := h.start(ctx, s)
	if err != nil {
		return nil, err
	}
	inst.current.Store(&comps)
	if client != nil {
		inst.client.Store(client)
	}
	if err := h.configure(ctx, inst); err != nil {
		if client != nil {
			client.Kill()
		}
		return nil, err
	}
	inst.up.Store(true)
	h.mu.Lock()
	h.instances[s.Kind] = inst
	h.mu.Unlock()
	h.opts.Logger.Info("plugin loaded", "kind", s.Kind, "name", inst.Info.Name, "version", inst.Info.Version,
		"mode", s.Mode, "protocol", inst.ProtocolVersion, "key", s.Key)
	if client != nil {
		h.watch(inst)
	}
	return inst, nil
}

// configure asks the plugin who it is, checks its contract version and
// hands it its configuration.
func (h *Host) configure(ctx context.Context, inst *Instance) error {
	s := inst.Spec
	p := basePlugin(s.Kind, inst.Components())
	info, err := p.Info(ctx)
	if err != nil {
		return fmt.Errorf("%s (%s): info: %w", s.Key, s.Name(), err)
	}
	want := s.Kind.ProtocolVersion()
	if info.ProtocolVersion == "" { // in-process: the sdk it was built with is ours
		info.ProtocolVersion = want
	}
	if major(info.ProtocolVersion) != major(want) {
		return fmt.Errorf("%s (%s): plugin implements %s protocol %s, this node speaks %s",
			s.Key, s.Name(), s.Kind, info.ProtocolVersion, want)
	}
	if info.ProtocolVersion != want {
		h.opts.Logger.Info("plugin protocol minor version differs", "kind", s.Kind, "plugin", info.ProtocolVersion, "node", want)
	}
	inst.Info, inst.ProtocolVersion = info, info.ProtocolVersion
	req := base.ConfigureRequest{Config: s.Config, Rollup: h.opts.Rollup, L1ChainConfig: h.opts.L1ChainConfig, Host: h.opts.Services}
	if err := p.Configure(ctx, req); err != nil {
		return fmt.Errorf("%s.config (%s): %w", s.Key, s.Name(), err)
	}
	return nil
}

func major(v string) string { return strings.SplitN(v, ".", 2)[0] }

// basePlugin returns the member of c of kind; nil when unset or kind is
// unknown.
func basePlugin(kind sdk.Kind, c sdk.Components) base.Plugin {
	info, ok := sdk.Describe(kind)
	if !ok {
		return nil
	}
	return info.Get(c)
}

// start launches the plugin and returns its typed client.
func (h *Host) start(ctx context.Context, s Spec) (sdk.Components, *plugin.Client, error) {
	if s.Builtin != "" && s.Mode != Process {
		f, ok := h.opts.Catalog.Lookup(s.Kind, s.Builtin)
		if !ok {
			return sdk.Components{}, nil, fmt.Errorf("%s.builtin: no built-in %s plugin named %q (have %v)",
				s.Key, s.Kind, s.Builtin, h.opts.Catalog.Names(s.Kind))
		}
		c := only(s.Kind, f())
		if basePlugin(s.Kind, c) == nil {
			return sdk.Components{}, nil, fmt.Errorf("%s.builtin: built-in %q does not implement %s", s.Key, s.Builtin, s.Kind)
		}
		return c, nil, nil
	}
	cmd, sum, err := h.command(s)
	if err != nil {
		return sdk.Components{}, nil, err
	}
	return h.launch(ctx, s, cmd, sum)
}

// command prepares the process of a plugin and the checksum its binary
// must have.
func (h *Host) command(s Spec) (*exec.Cmd, []byte, error) {
	if s.Builtin != "" {
		if _, ok := h.opts.Catalog.Lookup(s.Kind, s.Builtin); !ok {
			return nil, nil, fmt.Errorf("%s.builtin: no built-in %s plugin named %q (have %v)",
				s.Key, s.Kind, s.Builtin, h.opts.Catalog.Names(s.Kind))
		}
		cmd, err := h.opts.SelfCommand(s.Kind, s.Builtin)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: cannot re-execute the node binary: %w", s.Key, err)
		}
		// The node's own binary: its checksum is whatever it is now.
		sum, err := fileSHA256(cmd.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.Key, err)
		}
		return cmd, sum, nil
	}
	want, err := hex.DecodeString(strings.TrimPrefix(s.SHA256, "0x"))
	if err != nil || len(want) != sha256.Size {
		return nil, nil, fmt.Errorf("%s.sha256: want 64 hex characters, got %q", s.Key, s.SHA256)
	}
	got, err := fileSHA256(s.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s.path: %w", s.Key, err)
	}
	if !bytes.Equal(got, want) {
		return nil, nil, fmt.Errorf("%s.sha256: checksum mismatch for plugin %s: file has %x, config says %x",
			s.Key, s.Path, got, want)
	}
	return exec.Command(s.Path), want, nil
}

func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("plugin binary %s does not exist", path)
		}
		return nil, fmt.Errorf("plugin binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("plugin binary %s: %w", path, err)
	}
	return h.Sum(nil), nil
}

// launch starts a plugin process, handshakes and dispenses its client.
func (h *Host) launch(_ context.Context, s Spec, cmd *exec.Cmd, sum []byte) (sdk.Components, *plugin.Client, error) {
	timeout := s.StartTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  plugin.HandshakeConfig{MagicCookieKey: sdk.Handshake.MagicCookieKey, MagicCookieValue: sdk.Handshake.MagicCookieValue},
		VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolMajor: sdk.ClientPluginSet()},
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Managed:          true,
		StartTimeout:     timeout,
		GRPCDialOptions:  h.dialOptions(s.Kind),
		Logger:           h.opts.Logger.Named("plugin." + string(s.Kind)),
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return sdk.Components{}, nil, fmt.Errorf("%s (%s): start plugin: %w", s.Key, s.Name(), explain(err))
	}
	raw, err := rpc.Dispense(string(s.Kind))
	if err != nil {
		client.Kill()
		return sdk.Components{}, nil, fmt.Errorf("%s (%s): plugin does not serve %s: %w", s.Key, s.Name(), s.Kind, err)
	}
	c, err := assign(s.Kind, raw)
	if err != nil {
		client.Kill()
		return sdk.Components{}, nil, fmt.Errorf("%s (%s): %w", s.Key, s.Name(), err)
	}
	return c, client, nil
}

func (h *Host) dialOptions(kind sdk.Kind) []grpc.DialOption {
	opts := sdk.GRPCDialOptions()
	if obs := h.opts.CallObserver; obs != nil {
		opts = append(opts, grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
			cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
			start := time.Now()
			err := invoker(ctx, method, req, reply, cc, callOpts...)
			obs(kind, method[strings.LastIndexByte(method, '/')+1:], time.Since(start), err)
			return err
		}))
	}
	return opts
}

// explain rewords go-plugin's handshake errors for operators.
func explain(err error) error {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "incompatible api version"):
		return fmt.Errorf("plugin speaks another protocol major version than this node (%d): %w", sdk.ProtocolMajor, err)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("plugin never completed the handshake (is it an opal plugin built with sdk.Serve?): %w", err)
	case strings.Contains(msg, "checksums did not match"):
		return fmt.Errorf("plugin binary changed after its checksum was checked: %w", err)
	}
	return err
}
