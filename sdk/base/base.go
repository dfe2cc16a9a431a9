// Package base holds what every plugin kind shares: its self-description
// and its configuration call. Each kind's interface embeds Plugin.
package base

import (
	"context"
	"encoding/json"

	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/sdk/host"
	"github.com/opalnode/opal/sdk/rollup"
)

// Info describes a plugin implementation.
type Info struct {
	// Name of the implementation, e.g. "default" or "my-l1-cache".
	Name string `json:"name"`
	// Version of the implementation (free-form, e.g. a semver or commit).
	Version string `json:"version"`
	// ProtocolVersion is the contract version implemented, "major.minor".
	// Filled in by the sdk; implementations may leave it empty.
	ProtocolVersion string `json:"protocolVersion"`
}

// ConfigureRequest is handed to a plugin once after it is loaded (and again
// after every restart), before any other call.
type ConfigureRequest struct {
	// Config is the plugin's own table from the node config, as JSON.
	Config json.RawMessage
	// Rollup is the chain's rollup configuration.
	Rollup *rollup.Config
	// L1ChainConfig is the L1's chain config (for the blob base fee schedule);
	// nil when the node does not know it.
	L1ChainConfig *params.ChainConfig
	// Host gives read access to the core's view; nil when not offered.
	Host host.Host
}

// Plugin is the part of every kind's interface that is not kind-specific.
type Plugin interface {
	// Info describes the implementation. It must not depend on Configure.
	Info(ctx context.Context) (Info, error)
	// Configure hands the plugin its configuration. A bad configuration is
	// an error wrapping eth.ErrInvalidArgument that names the bad key.
	Configure(ctx context.Context, req ConfigureRequest) error
}
