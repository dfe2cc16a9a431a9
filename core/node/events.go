package node

import (
	"context"
)

// SequencerTick: time to start building the next block.
type SequencerTick struct{}

func (SequencerTick) String() string { return "sequencer-tick" }

// SealBlock: time to seal the block being built.
type SealBlock struct{ Seq uint64 }

func (SealBlock) String() string { return "seal-block" }

// AdminCommand runs fn on the loop goroutine and replies with its error.
type AdminCommand struct {
	Name  string
	Fn    func(ctx context.Context) error
	Reply chan error
}

func (AdminCommand) String() string { return "admin-command" }
