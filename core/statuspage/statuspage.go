// Package statuspage serves the node's status page: one HTML page, with a
// little JavaScript embedded in the binary, that polls /status.json and
// shows the heads, the L1 view, derivation, the plugins, the sequencer,
// the peers and A/B. It loads nothing from outside, so it works on an
// air-gapped host and needs no build step.
package statuspage

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/opalnode/opal/core/ab"
	"github.com/opalnode/opal/sdk/eth"
)

// Page is what /status.json answers.
type Page struct {
	Version    string     `json:"version"`
	ChainID    uint64     `json:"chain_id"`
	Time       time.Time  `json:"time"`
	Heads      []Head     `json:"heads"`
	L1         L1         `json:"l1"`
	Derivation Derivation `json:"derivation"`
	Plugins    []Plugin   `json:"plugins"`
	Sequencer  *Sequencer `json:"sequencer,omitempty"`
	P2P        *P2P       `json:"p2p,omitempty"`
	AB         *ab.Status `json:"ab,omitempty"`
}

// Head is one L2 head and how far it is behind the unsafe head.
type Head struct {
	Name   string         `json:"name"`
	Ref    eth.L2BlockRef `json:"ref"`
	Behind uint64         `json:"behind"`
}

// L1 is the node's view of L1.
type L1 struct {
	Head      eth.L1BlockRef `json:"head"`
	Safe      eth.L1BlockRef `json:"safe"`
	Finalized eth.L1BlockRef `json:"finalized"`
	// Derived is how far derivation has read (current_l1); Lag is the L1
	// head minus it.
	Derived eth.L1BlockRef `json:"derived"`
	Lag     uint64         `json:"lag"`
}

// Derivation is how fast the node derives.
type Derivation struct {
	// Derived counts the L2 blocks derived since start; Rate is per second
	// over the last minute.
	Derived uint64  `json:"derived"`
	Rate    float64 `json:"rate"`
	Resets  uint64  `json:"resets"`
	// Halted says why derivation stopped for good, empty while it goes on.
	Halted string `json:"halted,omitempty"`
}

// Plugin is one loaded plugin.
type Plugin struct {
	Kind            string `json:"kind"`
	Name            string `json:"name"`
	Version         string `json:"version"`
	Mode            string `json:"mode"`
	ProtocolVersion string `json:"protocol_version"`
	Up              bool   `json:"up"`
	Restarts        int64  `json:"restarts"`
	LastError       string `json:"last_error,omitempty"`
	// Calls and MeanLatencyMs are over every call since start.
	Calls         uint64  `json:"calls"`
	MeanLatencyMs float64 `json:"mean_latency_ms"`
}

// Sequencer is the sequencer's state and its last builds.
type Sequencer struct {
	Active bool    `json:"active"`
	Builds []Build `json:"builds"`
}

// Build is one sequenced block's build time, split into opal's and the
// engine's.
type Build struct {
	Number   uint64  `json:"number"`
	OwnMs    float64 `json:"own_ms"`
	EngineMs float64 `json:"engine_ms"`
	LateMs   float64 `json:"late_ms"`
}

// P2P is the gossip plugin's identity and peers.
type P2P struct {
	PeerID string   `json:"peer_id"`
	Peers  uint32   `json:"peers"`
	Addrs  []string `json:"addrs"`
	Error  string   `json:"error,omitempty"`
}

// Source builds the page from the node's state; it is called per request
// and must be safe off the loop.
type Source func(ctx context.Context) *Page

//go:embed index.html
var index []byte

// Handler serves the page at "/" and its data at "/status.json".
func Handler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(index)
	})
	mux.HandleFunc("/status.json", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(src(ctx))
	})
	return mux
}

// Rate turns a growing count into a per-second rate over a window.
type Rate struct {
	Window time.Duration
	mu     sync.Mutex
	points []point
}

type point struct {
	at time.Time
	n  uint64
}

// Observe records the count at now and returns the rate over the window
// (0 until two observations a second apart).
func (r *Rate) Observe(now time.Time, n uint64) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := len(r.points); k == 0 || now.Sub(r.points[k-1].at) >= time.Second/2 {
		r.points = append(r.points, point{now, n})
	}
	for len(r.points) > 2 && now.Sub(r.points[0].at) > r.Window {
		r.points = r.points[1:]
	}
	first := r.points[0]
	if d := now.Sub(first.at).Seconds(); d >= 1 && n >= first.n {
		return float64(n-first.n) / d
	}
	return 0
}
