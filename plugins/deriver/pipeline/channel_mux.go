package pipeline

import (
	"context"
	"log/slog"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// channelStage turns frames into complete channels.
type channelStage interface {
	Origin() eth.L1BlockRef
	NextData(ctx context.Context) ([]byte, error)
	reset()
	flush()
}

// channelMux picks the channel stage of the fork: the channel bank before
// Holocene, the channel assembler from it (by L1 origin time). A reset
// chooses by the reset origin; the Holocene transition replaces the bank
// with a fresh assembler, dropping the bank's channels.
type channelMux struct {
	cfg  *rollup.Config
	log  *slog.Logger
	prev frameSource

	channelStage
}

func (m *channelMux) resetTo(base eth.L1BlockRef) {
	if m.cfg.IsHolocene(base.Time) {
		m.channelStage = &channelAssembler{cfg: m.cfg, log: m.log, prev: m.prev}
	} else {
		m.channelStage = &channelBank{cfg: m.cfg, log: m.log, prev: m.prev}
	}
	m.channelStage.reset()
}

// activateHolocene is called when the pipeline's origin first reaches the
// Holocene time.
func (m *channelMux) activateHolocene() {
	if _, ok := m.channelStage.(*channelAssembler); ok {
		return
	}
	m.channelStage = &channelAssembler{cfg: m.cfg, log: m.log, prev: m.prev}
}
