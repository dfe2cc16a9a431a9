package ab

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/opalnode/opal/sdk/eth"
)

// Divergence is one L2 block where the two derivers' attributes differ.
// It is what the store keeps, what opal_abDivergences returns, and one
// line of a report (Kind "divergence").
type Divergence struct {
	Kind string `json:"kind"`
	// L2Block is the number of the block the attributes are for.
	L2Block uint64 `json:"l2_block"`
	// Parent is the block both derivers built on.
	Parent eth.BlockID `json:"parent"`
	// Timestamp is the primary's timestamp for the block.
	Timestamp uint64 `json:"timestamp"`
	// DerivedFrom is the L1 block whose data completed the primary's
	// attributes.
	DerivedFrom eth.BlockID `json:"derived_from"`
	// Field is the first differing field; Fields all of them.
	Field  string      `json:"field"`
	Fields []FieldDiff `json:"fields"`
	// Time is when the divergence was seen (zero in replay, whose output
	// must not depend on the clock).
	Time *time.Time `json:"time,omitempty"`
}

// Run describes one A/B run: a report starts with it (Kind "run") and may
// end with a second one carrying the final counts.
type Run struct {
	Kind string `json:"kind"`
	// Primary and Shadow name the derivers ("name version").
	Primary string `json:"primary"`
	Shadow  string `json:"shadow"`
	// FirstL2 and LastL2 bound the L2 blocks compared so far.
	FirstL2 uint64 `json:"first_l2"`
	LastL2  uint64 `json:"last_l2"`
	// Compared counts the blocks compared, Diverged those that differ.
	Compared uint64 `json:"compared"`
	Diverged uint64 `json:"diverged"`
}

// Record kinds of a report line.
const (
	KindRun        = "run"
	KindDivergence = "divergence"
)

// NewDivergence describes the block the primary derived as da where the
// shadow derived other attributes; diffs come from Compare and are not
// empty.
func NewDivergence(parent eth.L2BlockRef, timestamp uint64, derivedFrom eth.L1BlockRef, diffs []FieldDiff) Divergence {
	return Divergence{
		Kind: KindDivergence, L2Block: parent.Number + 1, Parent: parent.ID(), Timestamp: timestamp,
		DerivedFrom: derivedFrom.ID(), Field: diffs[0].Field, Fields: diffs,
	}
}

// Report is a report read back: its runs and divergences in file order.
type Report struct {
	Runs        []Run
	Divergences []Divergence
}

// ReadReport reads a JSON-lines report. Lines of unknown kind are skipped
// (a newer writer may add some); a malformed line is an error naming it.
func ReadReport(r io.Reader) (*Report, error) {
	out := &Report{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var head struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return nil, fmt.Errorf("report line %d: %w", line, err)
		}
		switch head.Kind {
		case KindRun:
			var run Run
			if err := json.Unmarshal(b, &run); err != nil {
				return nil, fmt.Errorf("report line %d: %w", line, err)
			}
			out.Runs = append(out.Runs, run)
		case KindDivergence:
			var d Divergence
			if err := json.Unmarshal(b, &d); err != nil {
				return nil, fmt.Errorf("report line %d: %w", line, err)
			}
			if len(d.Fields) == 0 && d.Field == "" {
				return nil, fmt.Errorf("report line %d: divergence of L2 block %d names no field", line, d.L2Block)
			}
			out.Divergences = append(out.Divergences, d)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return out, nil
}
