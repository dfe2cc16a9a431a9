package sdk

import (
	plugin "github.com/hashicorp/go-plugin"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/p2p"
)

// KindInfo describes one plugin kind: what the sdk and the node need to
// know of a kind besides its own package. Code that must treat every kind
// loops over KindTable or asks Describe instead of switching on kinds, so
// that adding a kind touches the table and the kind's own packages.
type KindInfo struct {
	// Kind is the kind's name in config keys, the plugin set and
	// `opal plugin serve KIND`.
	Kind Kind
	// Field is the name of the kind's member of Components.
	Field string
	// ProtoService is the full name of the kind's gRPC service in
	// sdk/proto/opal/<kind>/v1, e.g. "opal.l1source.v1.L1Source".
	ProtoService string
	// ProtocolVersion is the contract version ("major.minor") of the kind,
	// its package's ProtocolVersion constant.
	ProtocolVersion string
	// Required: a node that derives from L1 cannot start without a plugin of
	// this kind. The others are loaded when the node needs them (an origin
	// selector when sequencing, gossip when a p2p plugin is available), and
	// the node decides the exceptions (follow mode derives nothing).
	Required bool

	// Get returns the kind's member of c, nil when it is not set.
	Get func(c Components) base.Plugin
	// Set stores impl as the kind's member of c; false (and c unchanged)
	// when impl does not implement the kind's interface.
	Set func(c *Components, impl any) bool
	// Plugin returns the go-plugin plugin (a plugin.GRPCPlugin) of the kind
	// serving the kind's member of c; with the zero Components it is the
	// plugin a host dispenses clients from.
	Plugin func(c Components) plugin.Plugin
}

// Only returns the Components with only the kind's member of c set.
func (k KindInfo) Only(c Components) Components {
	var out Components
	if impl := k.Get(c); impl != nil {
		k.Set(&out, impl)
	}
	return out
}

// KindTable declares every kind, in load order: the node loads the L1
// source and the engine before the plugins that read through them.
var KindTable = []KindInfo{
	kindInfo(L1Source, "L1Source", "opal.l1source.v1.L1Source", l1source.ProtocolVersion, true,
		func(c *Components) *l1source.Source { return &c.L1Source },
		func(impl l1source.Source) plugin.Plugin { return &l1source.Plugin{Impl: impl} }),
	kindInfo(Engine, "Engine", "opal.engine.v1.Engine", engine.ProtocolVersion, true,
		func(c *Components) *engine.Engine { return &c.Engine },
		func(impl engine.Engine) plugin.Plugin { return &engine.Plugin{Impl: impl} }),
	kindInfo(Deriver, "Deriver", "opal.deriver.v1.Deriver", deriver.ProtocolVersion, true,
		func(c *Components) *deriver.Deriver { return &c.Deriver },
		func(impl deriver.Deriver) plugin.Plugin { return &deriver.Plugin{Impl: impl} }),
	kindInfo(OriginSelector, "OriginSelector", "opal.originselector.v1.OriginSelector", originselector.ProtocolVersion, false,
		func(c *Components) *originselector.Selector { return &c.OriginSelector },
		func(impl originselector.Selector) plugin.Plugin { return &originselector.Plugin{Impl: impl} }),
	kindInfo(P2P, "P2P", "opal.p2p.v1.P2P", p2p.ProtocolVersion, false,
		func(c *Components) *p2p.Gossip { return &c.P2P },
		func(impl p2p.Gossip) plugin.Plugin { return &p2p.Plugin{Impl: impl} }),
}

// kindInfo builds a table entry from the kind's member of Components (of
// the kind's interface T) and the constructor of its go-plugin plugin.
func kindInfo[T base.Plugin](k Kind, field, service, version string, required bool,
	member func(*Components) *T, newPlugin func(T) plugin.Plugin) KindInfo {
	return KindInfo{
		Kind: k, Field: field, ProtoService: service, ProtocolVersion: version, Required: required,
		Get: func(c Components) base.Plugin {
			impl := *member(&c)
			if any(impl) == nil {
				return nil
			}
			return impl
		},
		Set: func(c *Components, impl any) bool {
			v, ok := impl.(T)
			if ok {
				*member(c) = v
			}
			return ok
		},
		Plugin: func(c Components) plugin.Plugin { return newPlugin(*member(&c)) },
	}
}

// Describe returns the table entry of k; false for an unknown kind.
func Describe(k Kind) (KindInfo, bool) {
	for _, info := range KindTable {
		if info.Kind == k {
			return info, true
		}
	}
	return KindInfo{}, false
}

// Kinds lists every kind in load order (the kinds of KindTable).
var Kinds = tableKinds()

func tableKinds() []Kind {
	out := make([]Kind, len(KindTable))
	for i, info := range KindTable {
		out[i] = info.Kind
	}
	return out
}

// KindNames lists the kinds' names in load order, for messages.
func KindNames() []string {
	out := make([]string, len(KindTable))
	for i, info := range KindTable {
		out[i] = string(info.Kind)
	}
	return out
}

// ProtocolVersion returns the contract version ("major.minor") of a kind,
// "" for an unknown kind.
func (k Kind) ProtocolVersion() string {
	info, _ := Describe(k)
	return info.ProtocolVersion
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	_, ok := Describe(k)
	return ok
}
