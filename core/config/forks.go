package config

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opalnode/opal/sdk/rollup"
)

// Halt is an L2 timestamp opal must not derive or build a block at, or
// past, and why.
type Halt struct {
	Time   uint64
	Reason string
}

// Error is what derivation and the sequencer report on reaching the halt.
func (h *Halt) Error() string {
	return fmt.Sprintf("opal stops before the L2 block at %d (%s UTC): %s", h.Time, utc(h.Time), h.Reason)
}

// chainEnd is a chain that left the OP Stack at one of its own upgrades.
type chainEnd struct {
	chain, fork string
	time        uint64
}

// chainEnds, by L2 chain id. Base left the OP Stack at its Azul upgrade
// (mainnet 2026-05-28, Sepolia 2026-04-20); from then on only Base's own
// clients follow it, and its blocks follow rules opal does not implement.
var chainEnds = map[uint64]chainEnd{
	8453:  {"Base", "Azul", 1779991200},
	84532: {"Base Sepolia", "Azul", 1776708000},
}

// ForkHalt checks the forks rc schedules against what opal implements. A
// fork opal does not know (a "*_time" field of the rollup.json it has no
// rules for) that activates within horizon of now, or has already, is an
// error naming it: opal would derive through it with the wrong rules. One
// further away is a halt at its time, as is the point where a chain left
// the OP Stack. The earliest halt wins; nil means none.
func ForkHalt(rc *rollup.Config, now time.Time, horizon time.Duration) (*Halt, error) {
	if rc == nil {
		return nil, nil
	}
	var halts []Halt
	if rc.L2ChainID != nil && rc.L2ChainID.IsUint64() {
		if end, ok := chainEnds[rc.L2ChainID.Uint64()]; ok {
			halts = append(halts, Halt{Time: end.time, Reason: fmt.Sprintf(
				"%s left the OP Stack at its %s upgrade; only %s's own clients follow it past that point", end.chain, end.fork, end.chain)})
		}
	}
	names := make([]string, 0, len(rc.UnknownForks))
	for name := range rc.UnknownForks {
		names = append(names, name)
	}
	sort.Strings(names)
	var refused []string
	limit := now.Add(horizon).Unix()
	for _, name := range names {
		t := rc.UnknownForks[name]
		if t == nil {
			continue // not scheduled
		}
		if int64(*t) <= limit {
			when := "activates"
			if int64(*t) <= now.Unix() {
				when = "activated"
			}
			refused = append(refused, fmt.Sprintf("%s_time = %d (%s UTC, %s within rollup.fork_horizon %v)", name, *t, utc(*t), when, horizon))
			continue
		}
		halts = append(halts, Halt{Time: *t, Reason: fmt.Sprintf(
			"the rollup config schedules fork %q (%s_time), which this opal does not implement: upgrade opal before then", name, name)})
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("the rollup config schedules forks this opal does not implement: %s; upgrade opal (deriving through them with the rules of the forks before would follow a different chain)",
			strings.Join(refused, "; "))
	}
	if len(halts) == 0 {
		return nil, nil
	}
	sort.Slice(halts, func(i, j int) bool { return halts[i].Time < halts[j].Time })
	return &halts[0], nil
}

func utc(t uint64) string { return time.Unix(int64(t), 0).UTC().Format("2006-01-02 15:04:05") }
