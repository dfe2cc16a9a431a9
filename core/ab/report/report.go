// Package report renders an A/B divergence report (the JSON lines of
// ab.ReadReport) for a reader: one self-contained HTML file with a
// summary of the run, a plot of the divergences over the L2 blocks, the
// count per first-differing field and a table of the divergences.
//
// The file loads nothing from outside (no scripts, fonts, images or style
// sheets: it is opened from disk, attached to issues and archived next to
// the report), every string from the report is escaped by html/template
// (a report may come from a deriver under test, so its values are not
// trusted), and the same report always gives the same bytes, so a
// rendered report can be diffed and checked in.
package report

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opalnode/opal/core/ab"
)

// Limits that keep the file small enough to open in a browser whatever
// the size of the report.
const (
	// MaxRows caps the divergence table; a run that diverges on every
	// block has millions, and the first ones are what a reader looks at.
	MaxRows = 10000
	// maxBins caps the bars of the plot: about one per 5 pixels.
	maxBins = 200
	// maxFields caps the per-field table; the rest are summed in one row.
	maxFields = 30
	// maxValueRunes is how much of a value a table cell shows, so that
	// both values fit on one line at 1200 pixels; the full value is in the
	// cell's title.
	maxValueRunes = 32
	// maxMoreFields caps the other differing fields listed in a title.
	maxMoreFields = 20
)

// Summary is what a report says about its run as a whole.
type Summary struct {
	// Primary and Shadow name the derivers; empty without a run record.
	Primary, Shadow string
	// HasRange says whether FirstL2..LastL2 is known: from the run
	// record, else from the divergences.
	HasRange        bool
	FirstL2, LastL2 uint64
	// Compared counts the blocks compared; only known from a final run
	// record (CountsKnown).
	Compared    uint64
	CountsKnown bool
	// Diverged counts the blocks that differ: the run's count, else the
	// divergences listed.
	Diverged uint64
	// Listed is the number of divergence records in the report; it can
	// be below Diverged when the writer kept only some.
	Listed int
	// Note says, when not empty, why the figures are incomplete.
	Note string
}

// Share is the fraction of the compared blocks that diverged, as text
// ("2.50%"); "unknown" without the counts.
func (s Summary) Share() string {
	if !s.CountsKnown || s.Compared == 0 {
		return "unknown"
	}
	p := 100 * float64(s.Diverged) / float64(s.Compared)
	if p > 0 && p < 0.01 {
		// "0.00%" would read as "none diverged".
		return "<0.01%"
	}
	return strconv.FormatFloat(p, 'f', 2, 64) + "%"
}

// Summarize takes the run's names, range and counts from the report's last
// run record, which a writer appends with the final counts. Without one,
// or when the last is only the opening record of a run that was cut short,
// the range and counts come from the divergences and Note says so.
func Summarize(r *ab.Report) Summary {
	s := Summary{Listed: len(r.Divergences), Diverged: uint64(len(r.Divergences))}
	final := false
	if n := len(r.Runs); n > 0 {
		run := r.Runs[n-1]
		s.Primary, s.Shadow = run.Primary, run.Shadow
		// The opening record has no counts yet; a final one has compared
		// at least one block or diverged on one.
		final = run.Compared > 0 || run.Diverged > 0 || run.LastL2 > 0
		if final {
			s.HasRange, s.FirstL2, s.LastL2 = true, run.FirstL2, run.LastL2
			s.Compared, s.Diverged, s.CountsKnown = run.Compared, run.Diverged, true
		}
	}
	if !final {
		for i, d := range r.Divergences {
			if i == 0 || d.L2Block < s.FirstL2 {
				s.FirstL2 = d.L2Block
			}
			if i == 0 || d.L2Block > s.LastL2 {
				s.LastL2 = d.L2Block
			}
		}
		s.HasRange = len(r.Divergences) > 0
		switch {
		case len(r.Runs) == 0:
			s.Note = "The report has no run record: the deriver names and the number of blocks compared are unknown, and the L2 range is that of the divergences."
		default:
			s.Note = "The report has no final run record (the run may have been cut short): the number of blocks compared is unknown, and the L2 range is that of the divergences."
		}
	} else if uint64(s.Listed) != s.Diverged {
		s.Note = fmt.Sprintf("The run counted %s diverged blocks; the report lists %s of them.", group(s.Diverged), group(uint64(s.Listed)))
	}
	return s
}

// First is the first differing field of d with its two values. A record
// that names the field but lists no values gives empty values.
func First(d ab.Divergence) ab.FieldDiff {
	for _, f := range d.Fields {
		if f.Field == d.Field {
			return f
		}
	}
	if d.Field == "" && len(d.Fields) > 0 {
		return d.Fields[0]
	}
	return ab.FieldDiff{Field: d.Field}
}

// WriteHTML writes r as one self-contained HTML file.
func WriteHTML(w io.Writer, r *ab.Report) error {
	v := build(r)
	// Render in memory first: a failed render then writes nothing rather
	// than half a page.
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// view is the page's data, every figure already text so the template
// only places it.
type view struct {
	Title    string
	Sum      Summary
	Range    string
	Compared string
	Diverged string
	Share    string
	Plot     plot
	Fields   []fieldRow
	Rows     []row
	LeftOut  string
}

type fieldRow struct {
	Field string
	Count string
	Share string
	// Bar is the width of the row's bar in percent of the widest.
	Bar string
}

type row struct {
	L2Block      uint64
	Time         string
	TimeTitle    string
	L1           string
	L1Title      string
	Field        string
	More         string
	MoreTitle    string
	A, B         string
	ATitle       string
	BTitle       string
	ANone, BNone bool
}

func build(r *ab.Report) view {
	s := Summarize(r)
	v := view{Sum: s, Share: s.Share(), Diverged: group(s.Diverged)}
	v.Title = "A/B divergence report"
	if s.Primary != "" || s.Shadow != "" {
		v.Title += ": " + orUnknown(s.Primary) + " vs " + orUnknown(s.Shadow)
	}
	switch {
	case s.HasRange && s.LastL2 >= s.FirstL2 && s.LastL2-s.FirstL2 < math.MaxUint64:
		v.Range = fmt.Sprintf("%d … %d (%s blocks)", s.FirstL2, s.LastL2, group(s.LastL2-s.FirstL2+1))
	case s.HasRange:
		// A run record with its bounds the wrong way round: show them as
		// they are rather than a count that wrapped.
		v.Range = fmt.Sprintf("%d … %d", s.FirstL2, s.LastL2)
	default:
		v.Range = "unknown"
	}
	v.Compared = "unknown"
	if s.CountsKnown {
		v.Compared = group(s.Compared)
	}

	// Table rows in block order; a stable sort keeps a report's own order
	// among records of the same block.
	ds := slices.Clone(r.Divergences)
	slices.SortStableFunc(ds, func(a, b ab.Divergence) int { return cmp.Compare(a.L2Block, b.L2Block) })
	v.Plot = buildPlot(s, ds)
	v.Fields = fieldCounts(ds)
	shown := min(len(ds), MaxRows)
	v.Rows = make([]row, 0, shown)
	for _, d := range ds[:shown] {
		v.Rows = append(v.Rows, buildRow(d))
	}
	if len(ds) > shown {
		v.LeftOut = fmt.Sprintf("The table shows the first %s divergences by L2 block; %s more are left out (the plot and the field counts include them).",
			group(uint64(shown)), group(uint64(len(ds)-shown)))
	}
	return v
}

func buildRow(d ab.Divergence) row {
	f := First(d)
	rw := row{L2Block: d.L2Block, Field: orUnknown(f.Field)}
	rw.Time = strconv.FormatUint(d.Timestamp, 10)
	if d.Timestamp <= math.MaxInt64 {
		rw.Time = time.Unix(int64(d.Timestamp), 0).UTC().Format("2006-01-02 15:04:05")
		rw.TimeTitle = "unix " + strconv.FormatUint(d.Timestamp, 10)
	}
	hash := d.DerivedFrom.Hash.Hex()
	rw.L1 = strconv.FormatUint(d.DerivedFrom.Number, 10) + " · " + hash[:6] + "…" + hash[len(hash)-4:]
	rw.L1Title = hash
	if n := len(d.Fields); n > 1 {
		rw.More = fmt.Sprintf("+%d", n-1)
		var names []string
		for _, o := range d.Fields {
			if o.Field != f.Field && len(names) < maxMoreFields {
				names = append(names, o.Field)
			}
		}
		if n-1 > len(names) {
			names = append(names, "…")
		}
		rw.MoreTitle = "also: " + strings.Join(names, ", ")
	}
	rw.A, rw.ATitle = short(f.A)
	rw.B, rw.BTitle = short(f.B)
	rw.ANone, rw.BNone = f.A == "", f.B == ""
	return rw
}

// short cuts a value for a cell, keeping its start and its end: values
// are mostly hashes, which differ at the start, and transactions as
// "0x… (type 2, 120 bytes)", whose type and size are at the end. The full
// value goes in the title, which is empty when nothing was cut.
func short(s string) (text, title string) {
	n := utf8.RuneCountInString(s)
	if n <= maxValueRunes {
		return s, ""
	}
	head := maxValueRunes * 3 / 8
	tail := maxValueRunes - 1 - head
	r := []rune(s)
	return string(r[:head]) + "…" + string(r[n-tail:]), s
}

func fieldCounts(ds []ab.Divergence) []fieldRow {
	counts := map[string]int{}
	for _, d := range ds {
		counts[orUnknown(First(d).Field)]++
	}
	type fc struct {
		name string
		n    int
	}
	all := make([]fc, 0, len(counts))
	for k, n := range counts {
		all = append(all, fc{k, n})
	}
	// Most frequent first; the name breaks ties so the order does not
	// depend on the map's.
	slices.SortFunc(all, func(a, b fc) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	if len(all) > maxFields {
		rest := fc{name: fmt.Sprintf("%d other fields", len(all)-maxFields+1)}
		for _, x := range all[maxFields-1:] {
			rest.n += x.n
		}
		all = append(all[:maxFields-1], rest)
	}
	rows := make([]fieldRow, 0, len(all))
	top := 1
	for _, x := range all {
		top = max(top, x.n)
	}
	for _, x := range all {
		rows = append(rows, fieldRow{
			Field: x.name, Count: group(uint64(x.n)),
			Share: strconv.FormatFloat(100*float64(x.n)/float64(len(ds)), 'f', 1, 64) + "%",
			Bar:   num(100 * float64(x.n) / float64(top)),
		})
	}
	return rows
}

// The plot's geometry, in the SVG's own units; the SVG scales to the page.
const (
	plotW   = 1000.0
	plotH   = 300.0
	padL    = 72.0
	padR    = 44.0
	padT    = 16.0
	padB    = 56.0
	innerW  = plotW - padL - padR
	innerH  = plotH - padT - padB
	xTicks  = 6
	yTicks  = 4
	minBarW = 1.5
)

type plot struct {
	W, H, Left, Right, Top, Bottom, TickEnd string
	XLabelX, XLabelY, YLabelX               string
	YLabelY, EmptyX, EmptyY                 string
	XLabel, YLabel                          string
	XTicks, YTicks                          []tick
	Bars                                    []bar
	// Empty, when not "", is the message drawn in an empty plot.
	Empty string
	// Desc describes the plot for readers that cannot see it.
	Desc string
}

type tick struct{ Pos, Label string }

type bar struct{ X, Y, W, H, Title string }

// buildPlot bins the divergences over the L2 range: one bin per block when
// the range is short, else equal bins of whole blocks, at most maxBins.
func buildPlot(s Summary, ds []ab.Divergence) plot {
	p := plot{
		W: num(plotW), H: num(plotH), Left: num(padL), Right: num(plotW - padR), Top: num(padT), Bottom: num(plotH - padB), TickEnd: num(plotH - padB + 5),
		XLabelX: num(padL + innerW/2), XLabelY: num(plotH - 12), YLabelX: num(18), YLabelY: num(padT + innerH/2),
		EmptyX: num(padL + innerW/2), EmptyY: num(padT + innerH/2),
		XLabel: "L2 block", YLabel: "divergences",
	}
	if !s.HasRange {
		p.Empty = "no L2 blocks compared"
		p.Desc = "An empty plot: the report covers no L2 blocks."
		return p
	}
	lo, hi := s.FirstL2, s.LastL2
	// Divergences outside the run's range still get a bar.
	if len(ds) > 0 {
		lo, hi = min(lo, ds[0].L2Block), max(hi, ds[len(ds)-1].L2Block)
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	last := hi - lo // blocks in the range minus one, which cannot overflow
	// Bins are a round number of blocks and start on a multiple of it, so
	// a bar reads as "blocks 1200050 … 1200099"; two bins of slack keep
	// the count within maxBins after that alignment.
	width, base := uint64(1), lo
	if last >= maxBins {
		width = niceStep(last+1, maxBins-2)
		base = lo - lo%width
	}
	nbins := (hi-base)/width + 1
	span := float64(last) + 1
	xOf := func(b uint64) float64 { return padL + float64(b-lo)/span*innerW }

	counts := make([]int, nbins)
	top := 0
	for _, d := range ds {
		i := (d.L2Block - base) / width
		counts[i]++
		top = max(top, counts[i])
	}
	if width == 1 {
		p.YLabel = "divergences per block"
	} else {
		p.YLabel = "divergences per " + group(width) + " blocks"
	}

	// Y axis: round steps up to a top at or above the largest bin.
	ystep := niceStep(uint64(max(top, 1)), yTicks)
	ytop := (uint64(max(top, 1)) + ystep - 1) / ystep * ystep
	yOf := func(n uint64) float64 { return padT + innerH - float64(n)/float64(ytop)*innerH }
	for n := uint64(0); n <= ytop; n += ystep {
		p.YTicks = append(p.YTicks, tick{Pos: num(yOf(n)), Label: group(n)})
	}

	// X axis: ticks on round block numbers, at the middle of their block.
	xstep := niceStep(last+1, xTicks)
	first := (lo + xstep - 1) / xstep * xstep
	if first < lo { // lo + xstep - 1 overflowed
		first = lo
	}
	for b := first; b >= first && b <= hi; b += xstep {
		p.XTicks = append(p.XTicks, tick{Pos: num(xOf(b) + innerW/span/2), Label: strconv.FormatUint(b, 10)})
	}
	if len(p.XTicks) == 0 {
		p.XTicks = append(p.XTicks, tick{Pos: num(xOf(lo) + innerW/span/2), Label: strconv.FormatUint(lo, 10)})
	}

	for i, n := range counts {
		if n == 0 {
			continue
		}
		start := base + uint64(i)*width
		end := hi
		if hi-start >= width {
			end = start + width - 1
		}
		start = max(start, lo)
		x0, x1 := xOf(start), xOf(end)+innerW/span
		// A small gap between neighbouring bars keeps them apart; a bar
		// never gets thinner than a line.
		w := x1 - x0
		if w > 4 {
			x0, w = x0+0.5, w-1
		}
		w = max(w, minBarW)
		y := yOf(uint64(n))
		title := fmt.Sprintf("L2 block %d: %s", start, plural(uint64(n), "divergence"))
		if end > start {
			title = fmt.Sprintf("L2 blocks %d … %d: %s", start, end, plural(uint64(n), "divergence"))
		}
		p.Bars = append(p.Bars, bar{X: num(x0), Y: num(y), W: num(w), H: num(padT + innerH - y), Title: title})
	}
	p.Desc = fmt.Sprintf("Divergences over L2 blocks %d … %d in %d bins of %s; the fullest bin holds %s.",
		lo, hi, nbins, plural(width, "block"), plural(uint64(top), "divergence"))
	if len(ds) == 0 {
		p.Empty = "no divergences"
	}
	return p
}

// niceStep is the smallest 1, 2 or 5 times a power of ten that splits
// span into at most n steps.
func niceStep(span uint64, n uint64) uint64 {
	raw := (span + n - 1) / n
	if raw <= 1 {
		return 1
	}
	for p := uint64(1); ; p *= 10 {
		for _, m := range []uint64{1, 2, 5} {
			if m*p >= raw {
				return m * p
			}
		}
		if p > math.MaxUint64/100 {
			return raw
		}
	}
}

// num formats a coordinate: two decimals at most, so the same input gives
// the same bytes and the file stays small.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// group writes n with thousands separators.
func group(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func plural(n uint64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return group(n) + " " + what + "s"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

var page = template.Must(template.New("report").Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { color-scheme: light; --fg: #1d2330; --muted: #5d6778; --line: #d9dee7; --bg: #ffffff; --panel: #f5f7fa; --bar: #c2410c; --accent: #1f4e99; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; font-weight: 650; }
h2 { font-size: 16px; margin: 28px 0 10px; font-weight: 650; }
.sub { color: var(--muted); margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 10px; margin: 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
.card dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card dd { margin: 2px 0 0; font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }
.card.wide { grid-column: span 2; }
.card.bad dd { color: var(--bar); }
.note { background: #fff7e6; border: 1px solid #f0c36d; border-radius: 6px; padding: 8px 12px; margin: 14px 0 0; }
.none { background: #edf7ee; border: 1px solid #9fd3a5; border-radius: 6px; padding: 10px 12px; margin: 14px 0 0; font-weight: 600; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
svg { display: block; width: 100%; height: auto; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg .axis { stroke: var(--fg); stroke-width: 1; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .bar { fill: var(--bar); }
svg .bar:hover { fill: var(--accent); }
svg .lbl { fill: var(--muted); }
svg .ttl { fill: var(--fg); font-weight: 600; }
svg .empty { fill: var(--muted); font-size: 15px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 7px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; position: sticky; top: 0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.fields { width: auto; min-width: 520px; }
.fields td.barcell { width: 220px; }
.fields .fill { height: 10px; background: var(--bar); border-radius: 2px; opacity: .8; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
.scroll { overflow-x: auto; }
.divs td { white-space: nowrap; vertical-align: baseline; }
.divs tbody tr:nth-child(even) { background: #fafbfc; }
.a { color: #1f4e99; }
.b { color: #a3300b; }
.more { color: var(--muted); font-size: 11px; margin-left: 5px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 0 5px; }
.muted { color: var(--muted); }
[title] { cursor: help; }
</style>
</head>
<body>
<main>
<h1>A/B divergence report</h1>
<p class="sub">Primary <strong>{{if .Sum.Primary}}{{.Sum.Primary}}{{else}}unknown{{end}}</strong> against shadow <strong>{{if .Sum.Shadow}}{{.Sum.Shadow}}{{else}}unknown{{end}}</strong></p>
<dl class="cards">
<div class="card wide"><dt>L2 range compared</dt><dd>{{.Range}}</dd></div>
<div class="card"><dt>Blocks compared</dt><dd>{{.Compared}}</dd></div>
<div class="card{{if .Sum.Diverged}} bad{{end}}"><dt>Blocks diverged</dt><dd>{{.Diverged}}</dd></div>
<div class="card{{if and .Sum.Diverged .Sum.CountsKnown}} bad{{end}}"><dt>Share diverged</dt><dd>{{.Share}}</dd></div>
</dl>
{{with .Sum.Note}}<p class="note">{{.}}</p>{{end}}
{{if not .Rows}}<p class="none">No divergences: the report lists no L2 block where the shadow's attributes differ from the primary's.</p>{{end}}

<h2>Divergences over L2 blocks</h2>
<figure>
<svg viewBox="0 0 {{.Plot.W}} {{.Plot.H}}" role="img" aria-label="{{.Plot.Desc}}">
<desc>{{.Plot.Desc}}</desc>
{{range .Plot.YTicks}}<line class="grid" x1="{{$.Plot.Left}}" x2="{{$.Plot.Right}}" y1="{{.Pos}}" y2="{{.Pos}}"/>
<text class="lbl" x="{{$.Plot.Left}}" y="{{.Pos}}" dx="-8" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}{{range .Plot.Bars}}<rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Title}}</title></rect>
{{end}}<line class="axis" x1="{{.Plot.Left}}" x2="{{.Plot.Right}}" y1="{{.Plot.Bottom}}" y2="{{.Plot.Bottom}}"/>
<line class="axis" x1="{{.Plot.Left}}" x2="{{.Plot.Left}}" y1="{{.Plot.Top}}" y2="{{.Plot.Bottom}}"/>
{{range .Plot.XTicks}}<line class="axis" x1="{{.Pos}}" x2="{{.Pos}}" y1="{{$.Plot.Bottom}}" y2="{{$.Plot.TickEnd}}"/>
<text class="lbl" x="{{.Pos}}" y="{{$.Plot.Bottom}}" dy="20" text-anchor="middle">{{.Label}}</text>
{{end}}<text class="ttl" x="{{.Plot.XLabelX}}" y="{{.Plot.XLabelY}}" text-anchor="middle">{{.Plot.XLabel}}</text>
<text class="ttl" x="{{.Plot.YLabelX}}" y="{{.Plot.YLabelY}}" text-anchor="middle" transform="rotate(-90 {{.Plot.YLabelX}} {{.Plot.YLabelY}})">{{.Plot.YLabel}}</text>
{{with .Plot.Empty}}<text class="empty" x="{{$.Plot.EmptyX}}" y="{{$.Plot.EmptyY}}" text-anchor="middle">{{.}}</text>{{end}}
</svg>
</figure>

{{if .Fields}}<h2>First differing field</h2>
<table class="fields">
<thead><tr><th>Field</th><th class="n">Divergences</th><th class="n">Share</th><th></th></tr></thead>
<tbody>
{{range .Fields}}<tr><td><code>{{.Field}}</code></td><td class="n">{{.Count}}</td><td class="n">{{.Share}}</td><td class="barcell"><div class="fill" style="width: {{.Bar}}%"></div></td></tr>
{{end}}</tbody>
</table>

<h2>Divergences</h2>
{{with .LeftOut}}<p class="note">{{.}}</p>{{end}}
<div class="scroll"><table class="divs">
<thead><tr><th class="n">L2 block</th><th>Timestamp (UTC)</th><th>Derived from L1</th><th>First differing field</th><th>Primary</th><th>Shadow</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td class="n mono">{{.L2Block}}</td><td class="mono"{{with .TimeTitle}} title="{{.}}"{{end}}>{{.Time}}</td><td class="mono" title="{{.L1Title}}">{{.L1}}</td><td><code>{{.Field}}</code>{{if .More}}<span class="more" title="{{.MoreTitle}}">{{.More}}</span>{{end}}</td><td class="mono a"{{with .ATitle}} title="{{.}}"{{end}}>{{if .ANone}}<span class="muted">—</span>{{else}}{{.A}}{{end}}</td><td class="mono b"{{with .BTitle}} title="{{.}}"{{end}}>{{if .BNone}}<span class="muted">—</span>{{else}}{{.B}}{{end}}</td></tr>
{{end}}</tbody>
</table></div>
{{end}}
</main>
</body>
</html>
`
