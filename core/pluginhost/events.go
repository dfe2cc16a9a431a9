package pluginhost

import "github.com/opalnode/opal/sdk"

// Event is what the host reports about plugins to the core.
type Event interface{ pluginEvent() }

// Exited: a plugin process ended. Restarting says whether the host will
// bring it back (policy restart) or the node must stop (policy stop).
type Exited struct {
	Kind       sdk.Kind
	Name       string
	Restarting bool
}

// Restarted: a plugin process is back and configured; its state is fresh,
// so the core must reset it (a deriver to the current safe head).
type Restarted struct {
	Kind     sdk.Kind
	Name     string
	Restarts int
}

// RestartFailed: a restart attempt failed; the host keeps trying.
type RestartFailed struct {
	Kind sdk.Kind
	Name string
	Err  error
}

func (Exited) pluginEvent()        {}
func (Restarted) pluginEvent()     {}
func (RestartFailed) pluginEvent() {}

// The host's events are also loop events (they name themselves), so the
// core delivers them to its components as they are.

func (Exited) String() string        { return "plugin-exited" }
func (Restarted) String() string     { return "plugin-restarted" }
func (RestartFailed) String() string { return "plugin-restart-failed" }
