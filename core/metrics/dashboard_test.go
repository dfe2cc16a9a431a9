package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// dashPanel is what the test reads of a Grafana panel; rows nest panels.
type dashPanel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource map[string]any `json:"datasource"`
	Targets    []struct {
		Expr       string         `json:"expr"`
		Datasource map[string]any `json:"datasource"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

type dashboard struct {
	SchemaVersion int         `json:"schemaVersion"`
	Panels        []dashPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Query      any    `json:"query"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

// dashTopics are what the dashboard must show: for each, one panel whose
// expressions match every pattern (each by some target).
var dashTopics = []struct {
	topic    string
	patterns []string
}{
	{"L2 heads", []string{`^opal_head_number\{`}},
	{"head distance", []string{`opal_head_number\{[^}]*kind="unsafe"[^}]*\}\s*-\s*ignoring\(kind\)\s*opal_head_number`}},
	{"L1 lag", []string{`opal_l1_head_number\{[^}]*\}\s*-\s*opal_derivation_l1_origin_number`}},
	{"derivation rate", []string{`rate\(opal_derived_blocks_total\{`}},
	{"engine call latency by method", []string{`histogram_quantile\(.*by \([^)]*method[^)]*\).*opal_plugin_call_seconds_bucket\{[^}]*kind="engine"`}},
	{"per-plugin latency", []string{`histogram_quantile\(.*by \([^)]*kind[^)]*\).*opal_plugin_call_seconds_bucket`}},
	{"plugin restarts", []string{`opal_plugin_restarts_total`}},
	{"sequencer build time by phase", []string{`histogram_quantile\(.*by \([^)]*phase[^)]*\).*opal_sequencer_build_seconds_bucket`}},
	{"p2p peers", []string{`opal_p2p_peers`}},
	{"gossip outcomes", []string{`by \([^)]*outcome[^)]*\).*opal_p2p_gossip_messages_total`}},
	{"A/B compared and divergences", []string{`opal_ab_compared_total`, `opal_ab_diverged_total`}},
}

var metricName = regexp.MustCompile(`\b(?:opal|op_node)_[A-Za-z0-9_]*`)

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile("../../dashboards/opal.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboards/opal.json: %v", err)
	}
	return d
}

// flat lists every panel that is not a row, rows' panels included.
func flat(ps []dashPanel) []dashPanel {
	var out []dashPanel
	for _, p := range ps {
		if p.Type != "row" {
			out = append(out, p)
		}
		out = append(out, flat(p.Panels)...)
	}
	return out
}

// The dashboard reads only exported metrics, through the DS_PROMETHEUS
// data source variable, and has a panel for every topic.
func TestDashboard(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	exp := exported(t)
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d", d.SchemaVersion)
	}
	const ds = "${DS_PROMETHEUS}"
	hasDS := false
	var exprs []string // every PromQL expression, with where it is
	var where []string
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			hasDS = hasDS || (v.Name == "DS_PROMETHEUS" && v.Query == "prometheus")
		case "query":
			exprs, where = append(exprs, v.Definition), append(where, "variable "+v.Name)
		}
	}
	if !hasDS {
		t.Error("no DS_PROMETHEUS data source variable (type datasource, query prometheus)")
	}
	panels := flat(d.Panels)
	ids := map[int]bool{}
	for _, p := range panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Datasource["uid"] != ds {
			t.Errorf("panel %q: data source %v, want uid %s", p.Title, p.Datasource, ds)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource["uid"] != ds {
				t.Errorf("panel %q: target data source %v, want uid %s", p.Title, tg.Datasource, ds)
			}
			exprs, where = append(exprs, tg.Expr), append(where, "panel "+p.Title)
		}
	}
	for i, e := range exprs {
		names := metricName.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("%s: %q names no opal metric", where[i], e)
		}
		for _, n := range names {
			if !isExported(exp, n) {
				t.Errorf("%s: %q reads %s, which opal does not export", where[i], e, n)
			}
		}
	}
	for _, topic := range dashTopics {
		found := false
		for _, p := range panels {
			if panelMatches(p, topic.patterns) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no panel shows %s (expressions matching %q)", topic.topic, topic.patterns)
		}
	}
}

// isExported reports whether PromQL's name n is an exported metric, or a
// series of an exported histogram.
func isExported(exp map[string]family, n string) bool {
	if _, ok := exp[n]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(n, suffix); ok && exp[base].typ == "histogram" {
			return true
		}
	}
	return false
}

func panelMatches(p dashPanel, patterns []string) bool {
	for _, pat := range patterns {
		re := regexp.MustCompile(pat)
		ok := false
		for _, tg := range p.Targets {
			ok = ok || re.MatchString(tg.Expr)
		}
		if !ok {
			return false
		}
	}
	return true
}
