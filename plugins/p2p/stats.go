package p2p

import (
	"strconv"
	"sync/atomic"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/plugins/p2p/reqresp"
	sdkp2p "github.com/opalnode/opal/sdk/p2p"
)

// stats counts what the node did, for Status (and so the core's metrics).
type stats struct {
	// outcomes[topic index][outcome]
	outcomes  [4][3]atomic.Uint64
	published atomic.Uint64
	reqresp   *reqresp.Stats
}

func newStats() *stats { return &stats{reqresp: &reqresp.Stats{}} }

func (s *stats) gossip(v blockmsg.Version, o Outcome) {
	if i := v.TopicIndex(); i >= 0 && i < 4 {
		s.outcomes[i][o].Add(1)
	}
}

// counters renders the counts for Status: gossip_messages{topic, outcome},
// gossip_published, reqresp_served{result}, reqresp_fetched and
// reqresp_refused.
func (s *stats) counters() []sdkp2p.Counter {
	var out []sdkp2p.Counter
	for v := blockmsg.V1; v <= blockmsg.V4; v++ {
		for o := Accept; o <= Reject; o++ {
			out = append(out, sdkp2p.Counter{Name: "gossip_messages",
				Labels: map[string]string{"topic": strconv.Itoa(v.TopicIndex()), "outcome": o.String()},
				Value:  s.outcomes[v.TopicIndex()][o].Load()})
		}
	}
	out = append(out, sdkp2p.Counter{Name: "gossip_published", Value: s.published.Load()})
	for code, name := range []string{"ok", "not_found", "invalid", "other"} {
		out = append(out, sdkp2p.Counter{Name: "reqresp_served", Labels: map[string]string{"result": name},
			Value: s.reqresp.Served[code].Load()})
	}
	out = append(out, sdkp2p.Counter{Name: "reqresp_fetched", Value: s.reqresp.Fetched.Load()},
		sdkp2p.Counter{Name: "reqresp_refused", Value: s.reqresp.FetchFails.Load()})
	return out
}
