package metrics

import (
	"context"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opalnode/opal/sdk/p2p"
)

// P2PStatus is where the p2p plugin's counts come from.
type P2PStatus interface {
	Status(ctx context.Context) (p2p.Status, error)
}

// p2pScrapeTimeout bounds the Status call of one scrape.
const p2pScrapeTimeout = 2 * time.Second

// WatchP2P exports the p2p plugin's status at every scrape: the connected
// peers as opal_p2p_peers (and as op-node's op_node_default_p2p_peer_count),
// whether the plugin answered as opal_p2p_up, and each counter it reports as
// opal_p2p_<name>_total with its labels (gossip_messages{topic,outcome},
// gossip_published, reqresp_served{result}, reqresp_fetched,
// reqresp_refused). The counts live in the plugin, so a restarted plugin
// process starts them again from zero, as a restarted exporter would.
func (m *Metrics) WatchP2P(src P2PStatus) {
	m.Reg.MustRegister(p2pCollector{src: src})
}

type p2pCollector struct{ src P2PStatus }

// Describe sends nothing: the counters are whatever the plugin reports, so
// the collector is unchecked.
func (p2pCollector) Describe(chan<- *prometheus.Desc) {}

func (c p2pCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), p2pScrapeTimeout)
	defer cancel()
	st, err := c.src.Status(ctx)
	up := 1.0
	if err != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("opal_p2p_up", "1 when the p2p plugin answered the scrape", nil, nil), prometheus.GaugeValue, up)
	if err != nil {
		return
	}
	peers := float64(st.ConnectedPeers)
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("opal_p2p_peers", "connected p2p peers", nil, nil), prometheus.GaugeValue, peers)
	// The same value under op-node's name: its p2p_peer_count gauge.
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(opNodePrefix+"p2p_peer_count", "op-node's name for opal_p2p_peers", nil, nil), prometheus.GaugeValue, peers)
	for _, ctr := range st.Counters {
		names := make([]string, 0, len(ctr.Labels))
		for k := range ctr.Labels {
			names = append(names, k)
		}
		sort.Strings(names)
		values := make([]string, len(names))
		for i, k := range names {
			values[i] = ctr.Labels[k]
		}
		desc := prometheus.NewDesc("opal_p2p_"+ctr.Name+"_total", "p2p plugin counter "+ctr.Name, names, nil)
		m, err := prometheus.NewConstMetric(desc, prometheus.CounterValue, float64(ctr.Value), values...)
		if err == nil {
			ch <- m
		}
	}
}
