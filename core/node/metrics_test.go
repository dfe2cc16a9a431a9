package node

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func testCounter(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

func testCounterVec(v *prometheus.CounterVec, label string) float64 {
	return testCounter(v.WithLabelValues(label))
}
