package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/core/ab"
	"github.com/opalnode/opal/sdk/eth"
)

func div(l2 uint64, diffs ...ab.FieldDiff) ab.Divergence {
	return ab.Divergence{
		Kind: ab.KindDivergence, L2Block: l2,
		Parent:      eth.BlockID{Number: l2 - 1, Hash: common.BigToHash(common.Big1)},
		Timestamp:   1_700_000_000 + 2*l2,
		DerivedFrom: eth.BlockID{Number: 19_000_000 + l2/6, Hash: crypto.Keccak256Hash([]byte(fmt.Sprint(l2 / 6)))},
		Field:       diffs[0].Field, Fields: diffs,
	}
}

func run(first, last, compared, diverged uint64) ab.Run {
	return ab.Run{Kind: ab.KindRun, Primary: "default v1.4.0", Shadow: "experimental 0.2.0-dev", FirstL2: first, LastL2: last, Compared: compared, Diverged: diverged}
}

// sample is a report like a replay writes: an opening and a final run
// record around divergences of several kinds, clustered in two places.
func sample() *ab.Report {
	r := &ab.Report{Runs: []ab.Run{{Kind: ab.KindRun, Primary: "default v1.4.0", Shadow: "experimental 0.2.0-dev"}}}
	tx := func(i uint64, typ int) string {
		return fmt.Sprintf("%s (type %d, %d bytes)", crypto.Keccak256Hash([]byte(fmt.Sprint(i))).Hex(), typ, 100+i%50)
	}
	for b := uint64(1_200_400); b < 1_200_460; b += 3 {
		r.Divergences = append(r.Divergences, div(b,
			ab.FieldDiff{Field: "transactions[1]", A: tx(b, 2), B: tx(b+1, 2)},
			ab.FieldDiff{Field: "transactions[2]", A: tx(b+2, 2), B: "absent"},
			ab.FieldDiff{Field: "transactions.count", A: "3", B: "2"}))
	}
	for b := uint64(1_203_100); b < 1_203_130; b++ {
		r.Divergences = append(r.Divergences, div(b, ab.FieldDiff{Field: "gas_limit", A: "30000000", B: "60000000"}))
	}
	for b := uint64(1_204_000); b < 1_204_400; b += 40 {
		r.Divergences = append(r.Divergences, div(b,
			ab.FieldDiff{Field: "eip1559_params", A: "0x000000fa00000006", B: "absent"},
			ab.FieldDiff{Field: "min_base_fee", A: "absent", B: "0"}))
	}
	r.Divergences = append(r.Divergences, div(1_200_010, ab.FieldDiff{Field: "timestamp", A: "1702400020", B: "1702400022"}))
	r.Runs = append(r.Runs, run(1_200_000, 1_205_000, 5_001, uint64(len(r.Divergences))))
	return r
}

func render(t testing.TB, r *ab.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return b.String()
}

// element is one start tag of a page as an HTML-tolerant XML reader sees
// it.
type element struct {
	name  string
	attrs []xml.Attr
}

// elements parses a page into its start tags and text. The page is HTML,
// not XML, so the reader runs in its lenient mode with HTML's void
// elements and entities.
func elements(t *testing.T, page string) ([]element, string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	var els []element
	var text strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parse the page: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			els = append(els, element{strings.ToLower(tok.Name.Local), tok.Attr})
		case xml.CharData:
			text.Write(tok)
		}
	}
	return els, text.String()
}

func TestABHTMLEscapes(t *testing.T) {
	const hostile = `<script>alert(1)</script>`
	for _, tc := range []struct {
		name string
		edit func(r *ab.Report)
	}{
		{"primary value", func(r *ab.Report) { r.Divergences[0].Fields[0].A = hostile }},
		{"shadow value, long", func(r *ab.Report) { r.Divergences[0].Fields[0].B = strings.Repeat("x", 60) + hostile }},
		{"field name", func(r *ab.Report) {
			r.Divergences[0].Field = `"><img src=x onerror=alert(1)>` + hostile
			r.Divergences[0].Fields[0].Field = r.Divergences[0].Field
		}},
		{"other field name", func(r *ab.Report) { r.Divergences[0].Fields[1].Field = `" onmouseover="alert(1)` }},
		{"deriver name", func(r *ab.Report) { r.Runs[len(r.Runs)-1].Shadow = `</title>` + hostile }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sample()
			// The first row in block order is the timestamp one; put the
			// multi-field divergence first so every case is in the table.
			r.Divergences[0].L2Block = 1
			tc.edit(r)
			page := render(t, r)
			if strings.Contains(page, "<script") || strings.Contains(page, "<img") {
				t.Fatalf("the hostile value is in the page unescaped")
			}
			els, text := elements(t, page)
			for _, e := range els {
				if e.name == "script" || e.name == "img" {
					t.Fatalf("page has a <%s> element", e.name)
				}
				for _, a := range e.attrs {
					if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
						t.Fatalf("<%s> has an event handler attribute %s=%q", e.name, a.Name.Local, a.Value)
					}
				}
			}
			// Escaped, the value is still there for the reader: as text,
			// or in a title when the cell shows it cut.
			found := strings.Contains(text, "alert(1)")
			for _, e := range els {
				for _, a := range e.attrs {
					found = found || a.Name.Local == "title" && strings.Contains(a.Value, "alert(1)")
				}
			}
			if !found {
				t.Fatalf("the escaped value is not in the page")
			}
		})
	}
}

func TestABHTMLNoDivergences(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     *ab.Report
		wants []string
	}{
		{"empty report", &ab.Report{}, []string{"no L2 blocks compared", "has no run record"}},
		{"opening run record only", &ab.Report{Runs: []ab.Run{{Kind: ab.KindRun, Primary: "a 1", Shadow: "b 2"}}}, []string{"no final run record", "a 1", "b 2"}},
		{"final run record", &ab.Report{Runs: []ab.Run{run(100, 199, 100, 0)}}, []string{">0.00%<", "100 … 199 (100 blocks)", ">no divergences<"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := render(t, tc.r)
			for _, want := range append(tc.wants, "No divergences:", "<svg", `class="axis"`) {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			for _, not := range []string{`class="bar"`, `class="divs"`} {
				if strings.Contains(page, not) {
					t.Errorf("page has %q", not)
				}
			}
		})
	}
}

func TestABHTMLBinning(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         int
		first     uint64
		spacing   uint64
		maxBars   int
		perBin    string
		leftOut   string
		rows      int
		maxLength int
	}{
		{"one bin per block", 50, 1000, 1, 50, "divergences per block", "", 50, 100 << 10},
		{"50,000 divergences", 50_000, 7_000_000, 3, maxBins, "divergences per 1,000 blocks", "40,000 more are left out", MaxRows, 8 << 20},
		{"range near the top of uint64", 300, ^uint64(0) - 1000, 3, maxBins, "divergences per 5 blocks", "", 300, 200 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &ab.Report{}
			for i := range tc.n {
				b := tc.first + uint64(i)*tc.spacing
				r.Divergences = append(r.Divergences, div(b, ab.FieldDiff{Field: fmt.Sprintf("transactions[%d]", i%40), A: fmt.Sprintf("0x%064x", b), B: "absent"}))
			}
			last := tc.first + uint64(tc.n-1)*tc.spacing
			r.Runs = []ab.Run{run(tc.first, last, last-tc.first+1, uint64(tc.n))}
			page := render(t, r)
			if bars := strings.Count(page, `<rect class="bar"`); bars == 0 || bars > tc.maxBars {
				t.Errorf("%d bars, want 1..%d", bars, tc.maxBars)
			}
			if !strings.Contains(page, tc.perBin) {
				t.Errorf("no y label %q", tc.perBin)
			}
			if tc.leftOut != "" && !strings.Contains(page, tc.leftOut) {
				t.Errorf("no note %q", tc.leftOut)
			}
			body := page[strings.Index(page, `<table class="divs">`):]
			if rows := strings.Count(body, "<tr>") - 1; rows != tc.rows {
				t.Errorf("%d table rows, want %d", rows, tc.rows)
			}
			if len(page) > tc.maxLength {
				t.Errorf("page is %d bytes, want at most %d", len(page), tc.maxLength)
			}
			// 40 fields fill the field table; the rest are one row.
			if !strings.Contains(page, "11 other fields") {
				t.Errorf("field table not capped")
			}
		})
	}
}

func TestABHTMLDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    func() *ab.Report
	}{
		{"sample", sample},
		{"many fields", func() *ab.Report {
			r := &ab.Report{}
			for i := range 500 {
				r.Divergences = append(r.Divergences, div(uint64(1000+i%97), ab.FieldDiff{Field: fmt.Sprintf("f%d", i%53), A: "1", B: "2"}))
			}
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := render(t, tc.r()), render(t, tc.r())
			if a != b {
				t.Fatalf("two renders of the same report differ")
			}
		})
	}
}

// outside matches a src or href attribute (in HTML, SVG or XLink form)
// whose value names a network location.
var outside = regexp.MustCompile(`(?i)\b(?:xlink:)?(?:src|href|srcset|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//`)

func TestABHTMLNoOutsideAssets(t *testing.T) {
	hostile := sample()
	hostile.Divergences[0].Fields[0].A = `<img src="https://example.com/x.png"><link href="//example.com/a.css">`
	for _, tc := range []struct {
		name string
		r    *ab.Report
		// urlInData says the report's own values name an address, which
		// the page shows as text.
		urlInData bool
	}{
		{"sample", sample(), false},
		{"empty", &ab.Report{}, false},
		{"value naming an asset", hostile, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := render(t, tc.r)
			if !tc.urlInData && (strings.Contains(page, "http://") || strings.Contains(page, "https://")) {
				t.Errorf("page names an http(s) address")
			}
			if m := outside.FindString(page); m != "" {
				t.Fatalf("page refers to an outside asset: %s", m)
			}
			for _, not := range []string{"@import", "url(", "<link", "<script", "<iframe", "<object", "<embed"} {
				if strings.Contains(strings.ToLower(page), not) {
					t.Errorf("page has %q", not)
				}
			}
			els, _ := elements(t, page)
			for _, e := range els {
				for _, a := range e.attrs {
					switch strings.ToLower(a.Name.Local) {
					case "src", "href", "srcset", "action", "poster", "data":
						t.Errorf("<%s> has %s=%q: the page must load nothing", e.name, a.Name.Local, a.Value)
					}
				}
			}
		})
	}
}

func TestABSummarize(t *testing.T) {
	divs := []ab.Divergence{div(30, ab.FieldDiff{Field: "timestamp"}), div(12, ab.FieldDiff{Field: "gas_limit"})}
	for _, tc := range []struct {
		name  string
		r     *ab.Report
		want  Summary
		share string
	}{
		{"last run record", &ab.Report{Runs: []ab.Run{run(0, 0, 0, 0), run(10, 40, 31, 2)}, Divergences: divs},
			Summary{Primary: "default v1.4.0", Shadow: "experimental 0.2.0-dev", HasRange: true, FirstL2: 10, LastL2: 40, Compared: 31, CountsKnown: true, Diverged: 2, Listed: 2}, "6.45%"},
		{"no run record", &ab.Report{Divergences: divs},
			Summary{HasRange: true, FirstL2: 12, LastL2: 30, Diverged: 2, Listed: 2, Note: "The report has no run record: the deriver names and the number of blocks compared are unknown, and the L2 range is that of the divergences."}, "unknown"},
		{"fewer listed than counted", &ab.Report{Runs: []ab.Run{run(1, 1_000_000, 1_000_000, 3)}, Divergences: divs[:1]},
			Summary{Primary: "default v1.4.0", Shadow: "experimental 0.2.0-dev", HasRange: true, FirstL2: 1, LastL2: 1_000_000, Compared: 1_000_000, CountsKnown: true, Diverged: 3, Listed: 1, Note: "The run counted 3 diverged blocks; the report lists 1 of them."}, "<0.01%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Summarize(tc.r)
			if got != tc.want {
				t.Errorf("Summarize = %+v\nwant        %+v", got, tc.want)
			}
			if s := got.Share(); s != tc.share {
				t.Errorf("Share = %q, want %q", s, tc.share)
			}
		})
	}
}

// TestABHTMLScreenshot opens a rendered report in a headless browser:
// the page must lay out and paint, which no string check shows.
func TestABHTMLScreenshot(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	shot := filepath.Join(dir, "report.png")
	if err := os.WriteFile(page, []byte(render(t, sample())), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "--window-size=1200,900", "file://"+page)
	// The browser may leave helper processes holding its output open.
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < 20<<10 {
		t.Fatalf("screenshot is %d bytes: the page did not paint", st.Size())
	}
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 900 {
		t.Fatalf("screenshot is %v, want 1200x900", b)
	}
	// A painted page has text, bars and panels: many colours.
	colours := map[[4]uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 3 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 3 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colours) < 16 {
		t.Fatalf("screenshot has %d colours: a blank page", len(colours))
	}
	// AB_REPORT_SCREENSHOT=FILE keeps the screenshot, to look at the
	// layout after changing the page.
	if keep := os.Getenv("AB_REPORT_SCREENSHOT"); keep != "" {
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(keep, b, 0o644)
		}
		if err != nil {
			t.Errorf("keep the screenshot: %v", err)
		}
	}
}
