package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/opalnode/opal/core/ab"
	"github.com/opalnode/opal/core/ab/report"
)

// abCmd runs "opal ab": tools for A/B derivation reports.
func abCmd(args []string) error {
	return abMain(args, os.Stdin, os.Stdout)
}

// abMain is abCmd with its input and output given, so tests can run it.
func abMain(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "report" {
		return usageError{"ab: want 'ab report FILE [--html OUT]'"}
	}
	return abReportCmd(args[1:], stdin, stdout)
}

// summaryLines is how many divergences the text summary lists: enough to
// see a pattern, few enough to read in a terminal.
const summaryLines = 20

// abReportCmd reads a report (the JSON lines of "opal replay" with two
// derivers) and writes it as HTML, or prints a short summary.
func abReportCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := pflag.NewFlagSet("ab report", pflag.ContinueOnError)
	htmlOut := fs.String("html", "", "write the report as one self-contained HTML file to this path")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"ab report: want exactly one FILE (or - for stdin)"}
	}
	name := fs.Arg(0)
	var in io.Reader = stdin
	if name == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("ab report: %w", err)
		}
		defer f.Close()
		in = f
	}
	r, err := ab.ReadReport(in)
	if err != nil {
		return fmt.Errorf("ab report: %s: %w", name, err)
	}
	if *htmlOut == "" {
		return writeSummary(stdout, r)
	}
	if err := writeFileAtomic(*htmlOut, func(w io.Writer) error { return report.WriteHTML(w, r) }); err != nil {
		return fmt.Errorf("ab report: %w", err)
	}
	return nil
}

// writeFileAtomic writes path through path.tmp and a rename, so a reader
// (a browser reloading it, a CI job collecting it) never sees half a file
// and a failed write leaves the previous one in place.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeSummary prints the run, the counts and the first divergences, one
// per line.
func writeSummary(w io.Writer, r *ab.Report) error {
	s := report.Summarize(r)
	bw := bufio.NewWriter(w)
	switch {
	case s.Primary != "" || s.Shadow != "":
		fmt.Fprintf(bw, "run: primary %s, shadow %s", printable(orDash(s.Primary), 80), printable(orDash(s.Shadow), 80))
	default:
		fmt.Fprint(bw, "run: no run record")
	}
	if s.HasRange {
		fmt.Fprintf(bw, ", L2 blocks %d..%d", s.FirstL2, s.LastL2)
	}
	fmt.Fprintln(bw)
	if s.CountsKnown {
		fmt.Fprintf(bw, "compared %d, diverged %d (%s)\n", s.Compared, s.Diverged, s.Share())
	} else {
		fmt.Fprintf(bw, "compared unknown, diverged %d\n", s.Diverged)
	}
	if s.Note != "" {
		fmt.Fprintln(bw, "note:", s.Note)
	}
	if len(r.Divergences) == 0 {
		fmt.Fprintln(bw, "no divergences")
	}
	for i, d := range r.Divergences {
		if i == summaryLines {
			fmt.Fprintf(bw, "... and %d more (--html OUT for all of them)\n", len(r.Divergences)-summaryLines)
			break
		}
		f := report.First(d)
		fmt.Fprintf(bw, "L2 block %d: %s", d.L2Block, printable(orDash(f.Field), 60))
		if f.A != "" || f.B != "" {
			fmt.Fprintf(bw, " (%s → %s)", printable(f.A, 60), printable(f.B, 60))
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

// printable makes a report value safe to print on a terminal: a report
// can come from a deriver under test, and its control characters (escape
// sequences) must not reach the terminal. Long values are cut.
func printable(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n := 0
	for _, c := range s {
		if n == limit {
			b.WriteRune('…')
			break
		}
		if !unicode.IsPrint(c) {
			c = '\uFFFD'
		}
		b.WriteRune(c)
		n++
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
