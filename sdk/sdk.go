// Package sdk is what an opal plugin author imports: the handshake, the
// kinds, and Serve, which turns implementations of the kind interfaces into
// a plugin process the node can load.
//
// A plugin's main.go:
//
//	func main() {
//		if err := sdk.Serve(sdk.Components{OriginSelector: myselector.New()}); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
package sdk

import (
	"errors"
	"os"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/p2p"
)

// ProtocolMajor is the plugin protocol's major version, negotiated in the
// go-plugin handshake. Minor versions (each kind's ProtocolVersion) only add
// fields and calls and are reported, not negotiated.
const ProtocolMajor = 1

// Kind names a plugin kind. They are the names of the plugin set; each is
// declared once in KindTable.
type Kind string

const (
	L1Source       Kind = "l1source"
	Deriver        Kind = "deriver"
	OriginSelector Kind = "originselector"
	Engine         Kind = "engine"
	P2P            Kind = "p2p"
)

// Handshake is the go-plugin handshake of opal plugins. The cookie only
// keeps a plugin binary from being run by hand by mistake; it is not a
// security measure (the host checks each binary's sha256).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolMajor,
	MagicCookieKey:   "OPAL_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "6f70616c2d706c7567696e2d7631b2c34a8e1d07f95a3c61e8b4d2907cf15e3a",
}

// MaxMessageSize bounds one gRPC message in either direction. An L1 block
// with its blobs or an L2 payload stays far below it.
const MaxMessageSize = 128 << 20

// Components are the implementations one plugin binary serves; nil fields
// are not served. One binary may serve several kinds. Each field is the
// member of one KindTable entry.
type Components struct {
	L1Source       l1source.Source
	Deriver        deriver.Deriver
	OriginSelector originselector.Selector
	Engine         engine.Engine
	P2P            p2p.Gossip
}

// PluginSet returns the go-plugin set for the components. With the zero
// Components it is the set a host dispenses clients from.
func (c Components) PluginSet() plugin.PluginSet {
	set := plugin.PluginSet{}
	for _, info := range KindTable {
		if info.Get(c) != nil {
			set[string(info.Kind)] = info.Plugin(c)
		}
	}
	return set
}

// ClientPluginSet is the set a host uses to dispense clients of every kind.
func ClientPluginSet() plugin.PluginSet {
	set := plugin.PluginSet{}
	for _, info := range KindTable {
		set[string(info.Kind)] = info.Plugin(Components{})
	}
	return set
}

// GRPCServer builds the gRPC server plugins are served on.
func GRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))
	return plugin.DefaultGRPCServer(opts)
}

// GRPCDialOptions are the options a host dials plugins with.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize))}
}

// ServeOption customises Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	logger hclog.Logger
	test   *plugin.ServeTestConfig
}

// WithLogger sets the logger of the plugin side. By default the plugin logs
// JSON to stderr, which the host forwards into its own log.
func WithLogger(l hclog.Logger) ServeOption { return func(c *serveConfig) { c.logger = l } }

// WithDebug serves in the current process for a host that reattaches
// (tests and debuggers); see go-plugin's ServeTestConfig.
func WithDebug(cfg *plugin.ServeTestConfig) ServeOption { return func(c *serveConfig) { c.test = cfg } }

// Serve serves the components until the host closes the plugin. It only
// returns early on a configuration mistake.
func Serve(c Components, opts ...ServeOption) error {
	set := c.PluginSet()
	if len(set) == 0 {
		return errors.New("sdk.Serve: no components to serve")
	}
	cfg := serveConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true, Level: hclog.Info})
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  plugin.HandshakeConfig{MagicCookieKey: Handshake.MagicCookieKey, MagicCookieValue: Handshake.MagicCookieValue},
		VersionedPlugins: map[int]plugin.PluginSet{ProtocolMajor: set},
		GRPCServer:       GRPCServer,
		Logger:           cfg.logger,
		Test:             cfg.test,
	})
	return nil
}
