package pluginhost

import (
	"sync/atomic"

	plugin "github.com/hashicorp/go-plugin"

	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/base"
)

// Instance is one loaded plugin. Its typed client may change when a process
// is restarted: read it through the accessors on every use, never keep it.
type Instance struct {
	Spec            Spec
	ProtocolVersion string
	Info            base.Info

	current  atomic.Pointer[sdk.Components]
	client   atomic.Pointer[plugin.Client]
	restarts atomic.Int64
	lastErr  atomic.Pointer[string]
	up       atomic.Bool
}

// Status is a snapshot of an instance for the opal_* RPC and logs.
type Status struct {
	Kind            string `json:"kind"`
	Name            string `json:"name"`
	Mode            string `json:"mode"`
	ProtocolVersion string `json:"protocolVersion"`
	Version         string `json:"version"`
	Up              bool   `json:"up"`
	Restarts        int64  `json:"restarts"`
	LastError       string `json:"lastError,omitempty"`
}

// Status returns a snapshot.
func (i *Instance) Status() Status {
	st := Status{
		Kind: string(i.Spec.Kind), Name: i.Info.Name, Mode: string(i.Spec.Mode),
		ProtocolVersion: i.ProtocolVersion, Version: i.Info.Version, Up: i.up.Load(), Restarts: i.restarts.Load(),
	}
	if e := i.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

// Components returns the current implementation (only the instance's kind set).
func (i *Instance) Components() sdk.Components { return *i.current.Load() }
