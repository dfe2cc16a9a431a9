package pluginhost

import (
	"encoding/json"
	"time"

	"github.com/opalnode/opal/sdk"
)

// Mode says where a plugin runs.
type Mode string

const (
	// InProcess: a built-in linked into the node, called directly.
	InProcess Mode = "inprocess"
	// Process: a separate process behind go-plugin's gRPC transport.
	Process Mode = "process"
)

// Policy says what happens when a plugin process exits.
type Policy string

const (
	// Restart the plugin with backoff; the core resets its state.
	Restart Policy = "restart"
	// Stop the node.
	Stop Policy = "stop"
)

// Spec is one configured plugin, as validated config gives it.
type Spec struct {
	Kind sdk.Kind
	// Key is the config key of the plugin's section, used in every error,
	// e.g. "plugins.deriver".
	Key string
	// Builtin names a built-in; exclusive with Path.
	Builtin string
	// Path to an external plugin binary, with its expected SHA256 (hex).
	Path   string
	SHA256 string
	Mode   Mode
	// Config is the plugin's own configuration as JSON.
	Config json.RawMessage
	// OnFailure is the failure policy of a process plugin.
	OnFailure Policy
	// StartTimeout bounds launch and handshake of a process plugin.
	StartTimeout time.Duration
}

// Name is how logs and status name the plugin.
func (s Spec) Name() string {
	if s.Builtin != "" {
		return s.Builtin
	}
	return s.Path
}
