package sequencer

import (
	"time"

	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
)

// buildJob is the block being built.
type buildJob struct {
	seq     uint64
	id      engine.PayloadID
	parent  eth.L2BlockRef
	attrs   *eth.PayloadAttributes
	origin  eth.L1BlockRef
	sysCfg  eth.SystemConfig
	own     time.Duration // opal's own time so far (everything but engine calls)
	started time.Time
}

// BuildTiming is how long one sequenced block took, split into opal's own
// work and the engine's.
type BuildTiming struct {
	Number uint64
	Own    time.Duration
	Engine time.Duration
	// Late is how long after its slot time the block was inserted (0 when
	// on time).
	Late time.Duration
}

const maxTimings = 4096

func (s *Sequencer) recordTiming(t BuildTiming) {
	s.timingsMu.Lock()
	defer s.timingsMu.Unlock()
	s.timings = append(s.timings, t)
	if len(s.timings) > maxTimings {
		s.timings = s.timings[len(s.timings)-maxTimings:]
	}
}

// Timings returns the recorded build timings.
func (s *Sequencer) Timings() []BuildTiming {
	s.timingsMu.Lock()
	defer s.timingsMu.Unlock()
	return append([]BuildTiming(nil), s.timings...)
}
