package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opalnode/opal/sdk/p2p"
)

type fakeStatus struct {
	st  p2p.Status
	err error
}

func (f *fakeStatus) Status(context.Context) (p2p.Status, error) { return f.st, f.err }

func TestWatchP2P(t *testing.T) {
	t.Parallel()
	src := &fakeStatus{st: p2p.Status{ConnectedPeers: 3, Counters: []p2p.Counter{
		{Name: "gossip_messages", Labels: map[string]string{"topic": "3", "outcome": "reject"}, Value: 5},
		{Name: "reqresp_fetched", Value: 9},
	}}}
	m := New()
	m.WatchP2P(src)
	want := `
# HELP opal_p2p_gossip_messages_total p2p plugin counter gossip_messages
# TYPE opal_p2p_gossip_messages_total counter
opal_p2p_gossip_messages_total{outcome="reject",topic="3"} 5
# HELP opal_p2p_peers connected p2p peers
# TYPE opal_p2p_peers gauge
opal_p2p_peers 3
# HELP opal_p2p_reqresp_fetched_total p2p plugin counter reqresp_fetched
# TYPE opal_p2p_reqresp_fetched_total counter
opal_p2p_reqresp_fetched_total 9
# HELP opal_p2p_up 1 when the p2p plugin answered the scrape
# TYPE opal_p2p_up gauge
opal_p2p_up 1
`
	if err := testutil.GatherAndCompare(m.Reg, strings.NewReader(want), "opal_p2p_gossip_messages_total", "opal_p2p_peers", "opal_p2p_reqresp_fetched_total", "opal_p2p_up"); err != nil {
		t.Fatal(err)
	}
	src.err = errors.New("plugin down")
	if err := testutil.GatherAndCompare(m.Reg, strings.NewReader("# HELP opal_p2p_up 1 when the p2p plugin answered the scrape\n# TYPE opal_p2p_up gauge\nopal_p2p_up 0\n"), "opal_p2p_up", "opal_p2p_peers"); err != nil {
		t.Fatal(err)
	}
}
