package reqresp

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"time"

	"github.com/golang/snappy"
	"github.com/hashicorp/go-hclog"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/eth"
	sdkhost "github.com/opalnode/opal/sdk/host"
	"github.com/opalnode/opal/sdk/rollup"
)

// Blocks is where the server reads blocks: the node's view of its chain.
type Blocks interface {
	PayloadByNumber(ctx context.Context, number uint64) (*eth.ExecutionPayloadEnvelope, error)
}

// server answers payload_by_number requests from its Blocks.
type server struct {
	cfg    *rollup.Config
	blocks Blocks
	log    hclog.Logger
	stats  *Stats
	now    func() time.Time
	global *rate.Limiter
	peers  *lru.Cache[peer.ID, *rate.Limiter]
}

// Serve registers the protocol handler on h. blocks may be nil (a node with
// no host service): every request is then answered "other".
func Serve(h host.Host, cfg *rollup.Config, blocks sdkhost.Host, log hclog.Logger, stats *Stats) {
	var b Blocks
	if blocks != nil {
		b = blocks
	}
	s := newServer(cfg, b, log, stats, time.Now)
	h.SetStreamHandler(ProtocolID(cfg.L2ChainID), s.handle)
}

func newServer(cfg *rollup.Config, blocks Blocks, log hclog.Logger, stats *Stats, now func() time.Time) *server {
	peers, _ := lru.New[peer.ID, *rate.Limiter](1000)
	if stats == nil {
		stats = &Stats{}
	}
	return &server{cfg: cfg, blocks: blocks, log: log, stats: stats, now: now,
		global: rate.NewLimiter(globalRate, globalBurst), peers: peers}
}

func (s *server) handle(st network.Stream) {
	defer st.Close()
	code := s.serve(st.Conn().RemotePeer(), st)
	s.stats.Served[code].Add(1)
}

// serve reads one request and writes its answer; it returns the result code.
func (s *server) serve(from peer.ID, st interface {
	io.ReadWriter
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}) byte {
	_ = st.SetReadDeadline(s.now().Add(readDeadline))
	var req [8]byte
	if _, err := io.ReadFull(st, req[:]); err != nil {
		s.log.Debug("bad payload_by_number request", "peer", from, "err", err)
		return s.fail(st, ResultInvalid)
	}
	number := binary.LittleEndian.Uint64(req[:])
	ctx, cancel := context.WithTimeout(context.Background(), tokenWait)
	defer cancel()
	lim, ok := s.peers.Get(from)
	if !ok {
		lim = rate.NewLimiter(peerRate, peerBurst)
		s.peers.Add(from, lim)
	}
	if err := lim.Wait(ctx); err != nil {
		return s.fail(st, ResultOther)
	}
	if err := s.global.Wait(ctx); err != nil {
		return s.fail(st, ResultOther)
	}
	// Invalid: below genesis, or above the number the wall clock allows.
	if number < s.cfg.Genesis.L2.Number {
		return s.fail(st, ResultInvalid)
	}
	if now := uint64(s.now().Unix()); now >= s.cfg.Genesis.L2Time && s.cfg.BlockTime > 0 {
		if max := s.cfg.Genesis.L2.Number + (now-s.cfg.Genesis.L2Time)/s.cfg.BlockTime; number > max {
			return s.fail(st, ResultInvalid)
		}
	} else {
		return s.fail(st, ResultInvalid)
	}
	if s.blocks == nil {
		return s.fail(st, ResultOther)
	}
	env, err := s.blocks.PayloadByNumber(ctx, number)
	switch {
	case errors.Is(err, eth.ErrNotFound):
		return s.fail(st, ResultNotFound)
	case err != nil:
		s.log.Debug("payload_by_number: reading block failed", "number", number, "err", err)
		return s.fail(st, ResultOther)
	case env == nil || env.ExecutionPayload == nil || env.ExecutionPayload.BlockNumber != number:
		return s.fail(st, ResultNotFound)
	}
	version, layout := responseVersion(s.cfg, env.ExecutionPayload.Timestamp)
	body, err := blockmsg.MarshalBody(env, layout)
	if err != nil {
		s.log.Warn("payload_by_number: block cannot be encoded", "number", number, "err", err)
		return s.fail(st, ResultOther)
	}
	_ = st.SetWriteDeadline(s.now().Add(writeDeadline))
	var head [5]byte
	head[0] = ResultOK
	binary.LittleEndian.PutUint32(head[1:], version)
	if _, err := st.Write(head[:]); err != nil {
		return ResultOther
	}
	w := snappy.NewBufferedWriter(st)
	if _, err := w.Write(body); err != nil {
		return ResultOther
	}
	if err := w.Close(); err != nil {
		return ResultOther
	}
	return ResultOK
}

func (s *server) fail(w io.Writer, code byte) byte {
	_, _ = w.Write([]byte{code})
	return code
}
