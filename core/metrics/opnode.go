package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// opNodePrefix is how op-node names its metrics: namespace "op_node", then
// the process name, "default" unless op-node is told otherwise.
const opNodePrefix = "op_node_default_"

// opNodeL2Refs maps the kind label of opal_head_number to the type label
// op-node gives the same head in refs_number (layer "l2").
var opNodeL2Refs = map[string]string{
	"unsafe":       "l2_unsafe",
	"safe":         "l2_safe",
	"finalized":    "l2_finalized",
	"pending_safe": "l2_pending_safe",
}

// opNodeAliases exports op-node's names for the quantities opal also
// measures, so that op-node dashboards and alerts work on opal. It keeps
// no state: every alias is read from the opal collector it mirrors at
// scrape time, so the two cannot disagree and no component updates an
// alias. (op-node's p2p peer count is exported by the p2p collector, next
// to opal_p2p_peers.)
type opNodeAliases struct {
	m *Metrics
	// refs mirrors op-node's refs_number{layer,type} gauge for the L2
	// heads (opal_head_number), the L1 heads (opal_l1_*_number) and the
	// derivation origin (opal_derivation_l1_origin_number, op-node's
	// l1_derived).
	refs *prometheus.Desc
	// up mirrors op-node's up gauge (opal_up).
	up *prometheus.Desc
	// info mirrors op-node's info{version} gauge (opal_info).
	info *prometheus.Desc
	// sealing mirrors op-node's sequencer_sealing_seconds histogram, the
	// time to get the built payload from the engine
	// (opal_sequencer_build_seconds{phase="seal"}); sealingTotal mirrors
	// op-node's sequencer_sealing_total counter, its count.
	sealing, sealingTotal *prometheus.Desc
}

func newOpNodeAliases(m *Metrics) *opNodeAliases {
	desc := func(name, mirrored string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(opNodePrefix+name, "op-node's name for "+mirrored, labels, nil)
	}
	return &opNodeAliases{
		m:            m,
		refs:         desc("refs_number", "opal_head_number, opal_l1_*_number and opal_derivation_l1_origin_number", "layer", "type"),
		up:           desc("up", "opal_up"),
		info:         desc("info", "opal_info", "version"),
		sealing:      desc("sequencer_sealing_seconds", `opal_sequencer_build_seconds{phase="seal"}`),
		sealingTotal: desc("sequencer_sealing_total", `the count of opal_sequencer_build_seconds{phase="seal"}`),
	}
}

func (a *opNodeAliases) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{a.refs, a.up, a.info, a.sealing, a.sealingTotal} {
		ch <- d
	}
}

func (a *opNodeAliases) Collect(ch chan<- prometheus.Metric) {
	m := a.m
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range samples(m.Heads) {
		if typ, ok := opNodeL2Refs[labelValue(s, "kind")]; ok {
			gauge(a.refs, s.GetGauge().GetValue(), "l2", typ)
		}
	}
	for _, r := range []struct {
		g   prometheus.Gauge
		typ string
	}{{m.L1Head, "l1_head"}, {m.L1Safe, "l1_safe"}, {m.L1Finalized, "l1_finalized"}, {m.DerivationOrigin, "l1_derived"}} {
		gauge(a.refs, gaugeValue(r.g), "l1", r.typ)
	}
	gauge(a.up, gaugeValue(m.Up))
	for _, s := range samples(m.Info) {
		gauge(a.info, s.GetGauge().GetValue(), labelValue(s, "version"))
	}
	for _, s := range samples(m.SeqBuildTime) {
		if labelValue(s, "phase") != "seal" {
			continue
		}
		h := s.GetHistogram()
		buckets := make(map[float64]uint64, len(h.GetBucket()))
		for _, b := range h.GetBucket() {
			buckets[b.GetUpperBound()] = b.GetCumulativeCount()
		}
		ch <- prometheus.MustNewConstHistogram(a.sealing, h.GetSampleCount(), h.GetSampleSum(), buckets)
		ch <- prometheus.MustNewConstMetric(a.sealingTotal, prometheus.CounterValue, float64(h.GetSampleCount()))
	}
}

// samples reads every sample a collector has now.
func samples(c prometheus.Collector) []*dto.Metric {
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	var out []*dto.Metric
	for pm := range ch {
		var s dto.Metric
		if pm.Write(&s) == nil {
			out = append(out, &s)
		}
	}
	return out
}

func labelValue(s *dto.Metric, name string) string {
	for _, l := range s.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
