package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opalnode/opal/core/metrics"
)

func testCounter(c prometheus.Counter) float64 { return metrics.CounterValue(c) }

func testCounterVec(v *prometheus.CounterVec, label string) float64 {
	return testCounter(v.WithLabelValues(label))
}
