package metrics

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opalnode/opal/sdk/p2p"
)

// family is one exported metric family as the tests compare it.
type family struct {
	typ    string   // gauge, counter or histogram
	labels []string // sorted
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exported returns every metric family the node exports, by name: what New
// registers (the op-node aliases included) and what the p2p collector
// reports for the default p2p plugin (plugins/p2p/stats.go). Each vector is
// given a sample first, with the label values the aliases mirror, so that
// it shows up in Gather; the descriptors the registry lists must all show
// up, so a new vector cannot hide from the tests.
func exported(t *testing.T) map[string]family {
	t.Helper()
	m := New()
	m.WatchP2P(&fakeStatus{st: p2p.Status{ConnectedPeers: 1, Counters: []p2p.Counter{
		{Name: "gossip_messages", Labels: map[string]string{"topic": "0", "outcome": "accept"}},
		{Name: "gossip_published"},
		{Name: "reqresp_served", Labels: map[string]string{"result": "ok"}},
		{Name: "reqresp_fetched"},
		{Name: "reqresp_refused"},
	}}})
	m.SetInfo("test")
	m.Heads.WithLabelValues("unsafe").Set(1)
	m.HeadChanges.WithLabelValues("unsafe", "test").Inc()
	m.ObserveProcess(false, 0)
	m.PluginCalls.WithLabelValues("engine", "NewPayload").Observe(0)
	m.PluginRestarts.WithLabelValues("engine").Inc()
	m.LoopDispatch.WithLabelValues("step").Observe(0)
	m.UnsafePayloads.WithLabelValues("inserted").Inc()
	m.SeqBuildTime.WithLabelValues("seal").Observe(0)
	m.SeqBlocks.WithLabelValues("normal").Inc()
	m.ABDiverged.WithLabelValues("transactions").Inc()

	mfs, err := m.Reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]family{}
	for _, mf := range mfs {
		var labels []string
		if ms := mf.GetMetric(); len(ms) > 0 {
			for _, l := range ms[0].GetLabel() {
				labels = append(labels, l.GetName())
			}
		}
		slices.Sort(labels)
		out[mf.GetName()] = family{typ: strings.ToLower(mf.GetType().String()), labels: labels}
	}

	descs := make(chan *prometheus.Desc)
	go func() {
		m.Reg.Describe(descs)
		close(descs)
	}()
	n := 0
	for d := range descs {
		match := fqName.FindStringSubmatch(d.String())
		if match == nil {
			t.Fatalf("no name in %s", d)
		}
		if _, ok := out[match[1]]; !ok {
			t.Errorf("%s is registered but has no sample here: give it one in exported", match[1])
		}
		n++
	}
	if n == 0 {
		t.Fatal("the registry describes no metric")
	}
	return out
}
