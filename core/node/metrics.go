package node

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the node's Prometheus metrics, in their own registry.
type metrics struct {
	reg *prometheus.Registry

	heads            *prometheus.GaugeVec
	headChanges      *prometheus.CounterVec
	l1Head           prometheus.Gauge
	l1Safe           prometheus.Gauge
	l1Finalized      prometheus.Gauge
	derivationOrigin prometheus.Gauge
	l1BlocksFed      prometheus.Counter
	derivedBlocks    prometheus.Counter
	processTime      *prometheus.HistogramVec
	resets           prometheus.Counter
	reorgs           prometheus.Counter
	pluginCalls      *prometheus.HistogramVec
	pluginRestarts   *prometheus.CounterVec
	loopDispatch     *prometheus.HistogramVec
	unsafePayloads   *prometheus.CounterVec
	seqBuildTime     *prometheus.HistogramVec
	seqBlocks        *prometheus.CounterVec
	seqDrift         prometheus.Gauge
	seqOriginLag     prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.heads = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "opal", Name: "head_number", Help: "L2 head block number by kind"}, []string{"kind"})
	m.headChanges = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "head_changes_total", Help: "head changes by head and reason"}, []string{"head", "reason"})
	m.l1Head = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "l1_head_number", Help: "L1 head number"})
	m.l1Safe = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "l1_safe_number", Help: "L1 safe number"})
	m.l1Finalized = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "l1_finalized_number", Help: "L1 finalized number"})
	m.derivationOrigin = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "derivation_l1_origin_number", Help: "L1 block derivation has read up to"})
	m.l1BlocksFed = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "derivation_l1_blocks_total", Help: "L1 blocks fed to the deriver"})
	m.derivedBlocks = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "derived_blocks_total", Help: "L2 blocks derived"})
	m.processTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "opal", Name: "derived_block_seconds", Help: "time to apply a derived block", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"path"})
	m.resets = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "derivation_resets_total", Help: "derivation resets"})
	m.reorgs = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opal", Name: "unsafe_reorgs_total", Help: "unsafe chain reorged by derivation"})
	m.pluginCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "opal", Name: "plugin_call_seconds", Help: "plugin call latency", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16)}, []string{"kind", "method"})
	m.pluginRestarts = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "plugin_restarts_total", Help: "plugin process restarts"}, []string{"kind"})
	m.loopDispatch = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "opal", Name: "loop_dispatch_seconds", Help: "event handling time", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16)}, []string{"event"})
	m.unsafePayloads = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "unsafe_payloads_total", Help: "unsafe payloads by outcome"}, []string{"outcome"})
	m.seqBuildTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "opal", Name: "sequencer_build_seconds", Help: "sequencer build phases", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"phase"})
	m.seqBlocks = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opal", Name: "sequencer_blocks_total", Help: "blocks built by kind"}, []string{"kind"})
	m.seqDrift = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "sequencer_drift_seconds", Help: "L2 block time minus its L1 origin time"})
	m.seqOriginLag = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opal", Name: "sequencer_origin_lag_blocks", Help: "L1 head minus the origin of the last built block"})
	for _, c := range []prometheus.Collector{m.heads, m.headChanges, m.l1Head, m.l1Safe, m.l1Finalized, m.derivationOrigin,
		m.l1BlocksFed, m.derivedBlocks, m.processTime, m.resets, m.reorgs, m.pluginCalls, m.pluginRestarts, m.loopDispatch,
		m.unsafePayloads, m.seqBuildTime, m.seqBlocks, m.seqDrift, m.seqOriginLag} {
		f(c)
	}
	return m
}

func (m *metrics) observeProcess(consolidated bool, d time.Duration) {
	path := "built"
	if consolidated {
		path = "consolidated"
	}
	m.processTime.WithLabelValues(path).Observe(d.Seconds())
}
