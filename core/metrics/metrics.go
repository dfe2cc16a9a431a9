// Package metrics holds the node's Prometheus metrics, in their own
// registry. Each component is handed the one struct and updates its own
// collectors; the names are opal's stable metric names. Where op-node has
// the same quantity it is exported under op-node's name too (opnode.go).
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Metrics are the node's collectors.
type Metrics struct {
	Reg *prometheus.Registry

	Up               prometheus.Gauge
	Info             *prometheus.GaugeVec
	Heads            *prometheus.GaugeVec
	HeadChanges      *prometheus.CounterVec
	L1Head           prometheus.Gauge
	L1Safe           prometheus.Gauge
	L1Finalized      prometheus.Gauge
	DerivationOrigin prometheus.Gauge
	L1BlocksFed      prometheus.Counter
	DerivedBlocks    prometheus.Counter
	ProcessTime      *prometheus.HistogramVec
	Resets           prometheus.Counter
	Reorgs           prometheus.Counter
	PluginCalls      *prometheus.HistogramVec
	PluginRestarts   *prometheus.CounterVec
	LoopDispatch     *prometheus.HistogramVec
	UnsafePayloads   *prometheus.CounterVec
	SeqBuildTime     *prometheus.HistogramVec
	SeqBlocks        *prometheus.CounterVec
	SeqDrift         prometheus.Gauge
	SeqOriginLag     prometheus.Gauge
	ABCompared       prometheus.Counter
	ABDiverged       *prometheus.CounterVec
	ABResyncs        prometheus.Counter
	ABLag            prometheus.Gauge
}

// New registers every collector in a fresh registry.
func New() *Metrics {
	m := &Metrics{Reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.Reg.MustRegister(c) }
	m.Up = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "up", Help: "1 once the node has started, 0 once it stops"})
	m.Info = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "opal", Name: "info", Help: "always 1, labelled with the node's version"}, []string{"version"})
	m.Heads = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "opal", Name: "head_number", Help: "L2 head block number by kind"}, []string{"kind"})
	m.HeadChanges = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "head_changes_total", Help: "head changes by head and reason"}, []string{"head", "reason"})
	m.L1Head = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "l1_head_number", Help: "L1 head number"})
	m.L1Safe = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "l1_safe_number", Help: "L1 safe number"})
	m.L1Finalized = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "l1_finalized_number", Help: "L1 finalized number"})
	m.DerivationOrigin = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "derivation_l1_origin_number", Help: "L1 block derivation has read up to"})
	m.L1BlocksFed = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "derivation_l1_blocks_total", Help: "L1 blocks fed to the deriver"})
	m.DerivedBlocks = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "derived_blocks_total", Help: "L2 blocks derived"})
	m.ProcessTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "opal", Name: "derived_block_seconds", Help: "time to apply a derived block", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"path"})
	m.Resets = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "derivation_resets_total", Help: "derivation resets"})
	m.Reorgs = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "unsafe_reorgs_total", Help: "unsafe chain reorged by derivation"})
	m.PluginCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "opal", Name: "plugin_call_seconds", Help: "plugin call latency", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16)}, []string{"kind", "method"})
	m.PluginRestarts = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "plugin_restarts_total", Help: "plugin process restarts"}, []string{"kind"})
	m.LoopDispatch = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "opal", Name: "loop_dispatch_seconds", Help: "event handling time", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16)}, []string{"event"})
	m.UnsafePayloads = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "unsafe_payloads_total", Help: "unsafe payloads by outcome"}, []string{"outcome"})
	m.SeqBuildTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "opal", Name: "sequencer_build_seconds", Help: "sequencer build phases", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"phase"})
	m.SeqBlocks = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "sequencer_blocks_total", Help: "blocks built by kind"}, []string{"kind"})
	m.SeqDrift = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "sequencer_drift_seconds", Help: "L2 block time minus its L1 origin time"})
	m.SeqOriginLag = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "sequencer_origin_lag_blocks", Help: "L1 head minus the origin of the last built block"})
	m.ABCompared = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "ab_compared_total", Help: "L2 blocks whose primary and shadow attributes were compared"})
	m.ABDiverged = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "ab_diverged_total", Help: "L2 blocks where the shadow's attributes differ, by first differing field"}, []string{"field"})
	m.ABResyncs = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "ab_shadow_resyncs_total", Help: "times the shadow deriver was dropped to be resynced"})
	m.ABLag = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "ab_shadow_lag_blocks", Help: "primary blocks waiting for the shadow deriver"})
	for _, c := range []prometheus.Collector{m.Up, m.Info, m.Heads, m.HeadChanges, m.L1Head, m.L1Safe, m.L1Finalized, m.DerivationOrigin,
		m.L1BlocksFed, m.DerivedBlocks, m.ProcessTime, m.Resets, m.Reorgs, m.PluginCalls, m.PluginRestarts, m.LoopDispatch,
		m.UnsafePayloads, m.SeqBuildTime, m.SeqBlocks, m.SeqDrift, m.SeqOriginLag,
		m.ABCompared, m.ABDiverged, m.ABResyncs, m.ABLag, newOpNodeAliases(m)} {
		f(c)
	}
	return m
}

// SetInfo records the node's version in opal_info.
func (m *Metrics) SetInfo(version string) {
	m.Info.Reset()
	m.Info.WithLabelValues(version).Set(1)
}

// SetUp sets opal_up: true once the node has started.
func (m *Metrics) SetUp(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	m.Up.Set(v)
}

// ObserveProcess times how a derived block was applied.
func (m *Metrics) ObserveProcess(consolidated bool, d time.Duration) {
	path := "built"
	if consolidated {
		path = "consolidated"
	}
	m.ProcessTime.WithLabelValues(path).Observe(d.Seconds())
}

// CounterValue reads a counter's current value (for tests and status).
func CounterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

func gaugeValue(g prometheus.Gauge) float64 {
	var m dto.Metric
	_ = g.Write(&m)
	return m.GetGauge().GetValue()
}
