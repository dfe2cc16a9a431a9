package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opalnode/opal/sdk/p2p"
)

// The op-node names carry the values of the opal metrics they mirror, with
// op-node's labels.
func TestOpNodeAliases(t *testing.T) {
	t.Parallel()
	m := New()
	m.WatchP2P(&fakeStatus{st: p2p.Status{ConnectedPeers: 7}})
	m.SetInfo("v1.2.3")
	m.SetUp(true)
	for kind, n := range map[string]float64{"unsafe": 120, "safe": 100, "finalized": 90, "pending_safe": 110} {
		m.Heads.WithLabelValues(kind).Set(n)
	}
	m.L1Head.Set(50)
	m.L1Safe.Set(45)
	m.L1Finalized.Set(40)
	m.DerivationOrigin.Set(48)
	m.SeqBuildTime.WithLabelValues("start").Observe(1)
	m.SeqBuildTime.WithLabelValues("seal").Observe((3 * time.Millisecond).Seconds())
	m.SeqBuildTime.WithLabelValues("seal").Observe((5 * time.Millisecond).Seconds())

	want := `
# HELP op_node_default_info op-node's name for opal_info
# TYPE op_node_default_info gauge
op_node_default_info{version="v1.2.3"} 1
# HELP op_node_default_p2p_peer_count op-node's name for opal_p2p_peers
# TYPE op_node_default_p2p_peer_count gauge
op_node_default_p2p_peer_count 7
# HELP op_node_default_refs_number op-node's name for opal_head_number, opal_l1_*_number and opal_derivation_l1_origin_number
# TYPE op_node_default_refs_number gauge
op_node_default_refs_number{layer="l1",type="l1_derived"} 48
op_node_default_refs_number{layer="l1",type="l1_finalized"} 40
op_node_default_refs_number{layer="l1",type="l1_head"} 50
op_node_default_refs_number{layer="l1",type="l1_safe"} 45
op_node_default_refs_number{layer="l2",type="l2_finalized"} 90
op_node_default_refs_number{layer="l2",type="l2_pending_safe"} 110
op_node_default_refs_number{layer="l2",type="l2_safe"} 100
op_node_default_refs_number{layer="l2",type="l2_unsafe"} 120
# HELP op_node_default_sequencer_sealing_total op-node's name for the count of opal_sequencer_build_seconds{phase="seal"}
# TYPE op_node_default_sequencer_sealing_total counter
op_node_default_sequencer_sealing_total 2
# HELP op_node_default_up op-node's name for opal_up
# TYPE op_node_default_up gauge
op_node_default_up 1
`
	if err := testutil.GatherAndCompare(m.Reg, strings.NewReader(want), "op_node_default_info", "op_node_default_p2p_peer_count",
		"op_node_default_refs_number", "op_node_default_sequencer_sealing_total", "op_node_default_up"); err != nil {
		t.Fatal(err)
	}

	// The sealing histogram is the seal phase's, bucket for bucket (opal's
	// sets a created timestamp as well).
	mfs, err := m.Reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	hists := map[string]string{}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			if mf.GetName() == "op_node_default_sequencer_sealing_seconds" ||
				(mf.GetName() == "opal_sequencer_build_seconds" && labelValue(s, "phase") == "seal") {
				h := s.GetHistogram()
				h.CreatedTimestamp = nil
				hists[mf.GetName()] = h.String()
			}
		}
	}
	if len(hists) != 2 || hists["op_node_default_sequencer_sealing_seconds"] != hists["opal_sequencer_build_seconds"] {
		t.Fatalf("sealing histograms differ: %v", hists)
	}

	// A new version replaces the old one; a stopped node is down.
	m.SetInfo("v2")
	m.SetUp(false)
	want = `
# HELP op_node_default_info op-node's name for opal_info
# TYPE op_node_default_info gauge
op_node_default_info{version="v2"} 1
# HELP op_node_default_up op-node's name for opal_up
# TYPE op_node_default_up gauge
op_node_default_up 0
`
	if err := testutil.GatherAndCompare(m.Reg, strings.NewReader(want), "op_node_default_info", "op_node_default_up"); err != nil {
		t.Fatal(err)
	}
}
