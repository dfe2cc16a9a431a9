package node

import (
	"context"

	"github.com/opalnode/opal/core/pluginhost"
)

// SequencerTick: time to start building the next block.
type SequencerTick struct{}

func (SequencerTick) String() string { return "sequencer-tick" }

// SealBlock: time to seal the block being built.
type SealBlock struct{ Seq uint64 }

func (SealBlock) String() string { return "seal-block" }

// PluginChanged: the plugin host reports an exit or a restart.
type PluginChanged struct{ Event pluginhost.Event }

func (PluginChanged) String() string { return "plugin-changed" }

// AdminCommand runs fn on the loop goroutine and replies with its error.
type AdminCommand struct {
	Name  string
	Fn    func(ctx context.Context) error
	Reply chan error
}

func (AdminCommand) String() string { return "admin-command" }
