package eth

import "errors"

// Errors every plugin kind may return. They keep their identity across the
// plugin boundary: errors.Is works the same in-process and out-of-process.
var (
	// ErrNotFound: the requested block, payload or item does not exist
	// (yet). Callers may retry later.
	ErrNotFound = errors.New("not found")
	// ErrTemporary: a transient failure (a timeout, a rate limit, an
	// unreachable endpoint). The same call may succeed later.
	ErrTemporary = errors.New("temporary failure")
	// ErrReset: the plugin's view no longer matches the chain (an L1 reorg,
	// a forkchoice the engine refused); the caller must reset it.
	ErrReset = errors.New("reset required")
	// ErrCritical: an error the node must not continue past.
	ErrCritical = errors.New("critical failure")
	// ErrInvalidArgument: the request itself is malformed.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnsupported: the plugin does not implement the call.
	ErrUnsupported = errors.New("unsupported")
	// ErrUnavailable: the plugin cannot be reached, typically because its
	// process exited. The host restarts it according to its failure policy.
	ErrUnavailable = errors.New("plugin unavailable")
)
