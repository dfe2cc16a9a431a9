package metrics

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var backticked = regexp.MustCompile("`([^`]+)`")

// readmeMetrics parses README.md's metrics table: the name, type and label
// names of each row.
func readmeMetrics(t *testing.T) map[string]family {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	start := slices.Index(lines, "| metric | type | labels | meaning |")
	if start < 0 {
		t.Fatal("README.md has no metrics table (header | metric | type | labels | meaning |)")
	}
	rows := map[string]family{}
	for _, line := range lines[start+2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			t.Fatalf("README.md metrics table: %d cells in %q", len(cells), line)
		}
		name := backticked.FindStringSubmatch(cells[0])
		if name == nil {
			t.Fatalf("README.md metrics table: no `name` in %q", line)
		}
		var labels []string
		for _, l := range backticked.FindAllStringSubmatch(cells[2], -1) {
			labels = append(labels, l[1])
		}
		slices.Sort(labels)
		if _, dup := rows[name[1]]; dup {
			t.Errorf("README.md lists %s twice", name[1])
		}
		rows[name[1]] = family{typ: strings.TrimSpace(cells[1]), labels: labels}
	}
	if len(rows) == 0 {
		t.Fatal("README.md's metrics table has no rows")
	}
	return rows
}

// The README's metrics table lists exactly the exported metrics, with
// their types and labels.
func TestReadmeMetricsTable(t *testing.T) {
	t.Parallel()
	rows := readmeMetrics(t)
	exp := exported(t)
	for name, f := range exp {
		row, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("%s (%s %v) is exported but not in README.md's metrics table", name, f.typ, f.labels)
		case row.typ != f.typ:
			t.Errorf("README.md says %s is a %s; it is a %s", name, row.typ, f.typ)
		case !slices.Equal(row.labels, f.labels):
			t.Errorf("README.md gives %s the labels %v; it has %v", name, row.labels, f.labels)
		}
	}
	for name := range rows {
		if _, ok := exp[name]; !ok {
			t.Errorf("README.md's metrics table lists %s, which is not exported", name)
		}
	}
}
