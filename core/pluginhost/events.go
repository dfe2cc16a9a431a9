package pluginhost

// The host's events are also loop events (they name themselves), so the
// core delivers them to its components as they are.

func (Exited) String() string        { return "plugin-exited" }
func (Restarted) String() string     { return "plugin-restarted" }
func (RestartFailed) String() string { return "plugin-restart-failed" }
