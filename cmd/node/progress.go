package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
)

// progress draws a one-line progress bar on a terminal and nothing
// elsewhere, so that piped output and logs stay clean. It redraws at most
// ten times a second.
type progress struct {
	out   io.Writer
	what  string
	total uint64
	start time.Time
	last  time.Time
	on    bool
}

func newProgress(what string, total uint64) *progress {
	return &progress{out: os.Stderr, what: what, total: total, start: time.Now(), on: isatty.IsTerminal(os.Stderr.Fd())}
}

// set shows done of total; extra is appended (counts of what was found).
func (p *progress) set(done uint64, extra string) {
	if !p.on {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done < p.total {
		return
	}
	p.last = now
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(done)/float64(p.total), 1)
	}
	bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 1e-9)
	fmt.Fprintf(p.out, "\r[%s] %3.0f%% %d/%d %s, %.0f/s %s\x1b[K", bar, frac*100, done, p.total, p.what, rate, extra)
}

// done ends the bar's line.
func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.out)
	}
}
