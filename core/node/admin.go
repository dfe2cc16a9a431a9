package node

import (
	"context"
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/unsafesync"
	"github.com/opalnode/opal/sdk/eth"
)

// adminCommand runs fn on the loop goroutine and replies with its error.
type adminCommand struct {
	name  string
	fn    func(ctx context.Context) error
	reply chan error
}

func (adminCommand) String() string { return "admin-command" }

func (n *Node) onAdmin(ctx context.Context, ev loop.Event) {
	cmd, ok := ev.(adminCommand)
	if !ok {
		return
	}
	err := cmd.fn(ctx)
	n.log.Info("admin command", "name", cmd.name, "err", err)
	cmd.reply <- err
	n.lp.RequestStep()
}

// runOnLoop runs fn on the loop goroutine and waits for its result.
func (n *Node) runOnLoop(ctx context.Context, name string, fn func(context.Context) error) error {
	reply := make(chan error, 1)
	if err := n.lp.Emit(ctx, adminCommand{name: name, fn: fn, reply: reply}); err != nil {
		return err
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// admin implements rpc.Admin on the loop.
type admin struct{ n *Node }

var errNoSequencer = errors.New("sequencer not enabled")

func (a admin) ResetDerivation(ctx context.Context) error {
	if a.n.derive == nil {
		return errors.New("derivation is off: the node follows another node's safe head (l2.follow.source)")
	}
	return a.n.runOnLoop(ctx, "resetDerivationPipeline", func(context.Context) error {
		a.n.derive.RequestReset()
		return nil
	})
}

func (a admin) StartSequencer(ctx context.Context, unsafeHead common.Hash) error {
	if a.n.seq == nil {
		return errNoSequencer
	}
	return a.n.runOnLoop(ctx, "startSequencer", func(ctx context.Context) error { return a.n.seq.Start(ctx, unsafeHead) })
}

func (a admin) StopSequencer(ctx context.Context) (common.Hash, error) {
	if a.n.seq == nil {
		return common.Hash{}, errNoSequencer
	}
	var last common.Hash
	err := a.n.runOnLoop(ctx, "stopSequencer", func(context.Context) error {
		var err error
		last, err = a.n.seq.Stop()
		return err
	})
	return last, err
}

func (a admin) SequencerActive(ctx context.Context) (bool, error) {
	if a.n.seq == nil {
		return false, nil
	}
	var active bool
	err := a.n.runOnLoop(ctx, "sequencerActive", func(context.Context) error { active = a.n.seq.Active(); return nil })
	return active, err
}

func (a admin) PostUnsafePayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
	return a.n.lp.Emit(ctx, unsafesync.Payload{Envelope: env, Source: "admin"})
}
