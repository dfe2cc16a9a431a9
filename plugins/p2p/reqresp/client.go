package reqresp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/golang/snappy"
	"github.com/hashicorp/go-hclog"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// requestTimeout bounds one request to one peer.
const requestTimeout = 10 * time.Second

// ErrNoPeers is returned when no connected peer serves the protocol.
var ErrNoPeers = errors.New("no connected peer serves payload_by_number")

// Client fetches blocks from peers.
type Client struct {
	h     host.Host
	cfg   *rollup.Config
	proto protocol.ID
	log   hclog.Logger
	stats *Stats
	// Only, when set, limits the peers asked (op-node's
	// --p2p.sync.onlyreqtostatic).
	Only func(peer.ID) bool
}

// NewClient returns a client over h.
func NewClient(h host.Host, cfg *rollup.Config, log hclog.Logger, stats *Stats) *Client {
	if stats == nil {
		stats = &Stats{}
	}
	return &Client{h: h, cfg: cfg, proto: ProtocolID(cfg.L2ChainID), log: log, stats: stats}
}

// FetchBack fetches blocks to-1 down to from, linking each to its child:
// block to-1 must hash to childParent (the parent hash of a block already
// trusted), and every next one to the parent hash of the one above it. An
// answer that does not link is refused and the next peer is asked. got is
// called for each linked block, highest first. It stops at the first block
// no peer can give.
func (c *Client) FetchBack(ctx context.Context, from, to uint64, childParent common.Hash, got func(*eth.ExecutionPayloadEnvelope)) error {
	want := childParent
	for n := to; n > from; n-- {
		env, err := c.fetchLinked(ctx, n-1, want)
		if err != nil {
			return err
		}
		got(env)
		c.stats.Fetched.Add(1)
		want = env.ExecutionPayload.ParentHash
	}
	return nil
}

// fetchLinked asks the serving peers in random order for one block until
// one answers with the block that hashes to want.
func (c *Client) fetchLinked(ctx context.Context, number uint64, want common.Hash) (*eth.ExecutionPayloadEnvelope, error) {
	peers := c.servingPeers()
	if len(peers) == 0 {
		return nil, ErrNoPeers
	}
	var last error
	for _, p := range peers {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		env, err := c.Request(ctx, p, number)
		if err == nil && env.ExecutionPayload.BlockHash != want {
			err = fmt.Errorf("block %d from %s is %s, the chain needs %s", number, p, env.ExecutionPayload.BlockHash, want)
		}
		if err != nil {
			c.stats.FetchFails.Add(1)
			c.log.Debug("payload_by_number answer refused", "peer", p, "number", number, "err", err)
			last = err
			continue
		}
		return env, nil
	}
	return nil, fmt.Errorf("block %d: no peer gave it (last: %w)", number, last)
}

// servingPeers lists the connected peers that announce the protocol, in
// random order so that requests spread.
func (c *Client) servingPeers() []peer.ID {
	var out []peer.ID
	for _, p := range c.h.Network().Peers() {
		if c.Only != nil && !c.Only(p) {
			continue
		}
		if ok, err := c.h.Peerstore().SupportsProtocols(p, c.proto); err == nil && len(ok) > 0 {
			out = append(out, p)
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Request asks one peer for one block and checks the answer: the number,
// the layout of its version, and that the header hashes to the claimed
// block hash. Linking it to the chain is the caller's part.
func (c *Client) Request(ctx context.Context, p peer.ID, number uint64) (*eth.ExecutionPayloadEnvelope, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	st, err := c.h.NewStream(ctx, p, c.proto)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	deadline, _ := ctx.Deadline()
	_ = st.SetDeadline(deadline)
	if _, err := st.Write(putU64(number)); err != nil {
		_ = st.Reset()
		return nil, err
	}
	if err := st.CloseWrite(); err != nil {
		_ = st.Reset()
		return nil, err
	}
	return c.readResponse(st, number)
}

func (c *Client) readResponse(st network.Stream, number uint64) (*eth.ExecutionPayloadEnvelope, error) {
	var code [1]byte
	if _, err := io.ReadFull(st, code[:]); err != nil {
		return nil, fmt.Errorf("reading result: %w", err)
	}
	switch code[0] {
	case ResultOK:
	case ResultNotFound:
		return nil, fmt.Errorf("%w: peer does not have block %d", eth.ErrNotFound, number)
	default:
		return nil, fmt.Errorf("peer answered result %d for block %d", code[0], number)
	}
	return DecodeResponse(c.cfg, st, number)
}

// DecodeResponse reads the version word and the framed SSZ body after an
// OK result byte, and checks the block: its number, its fields for its
// fork, and its block hash.
func DecodeResponse(cfg *rollup.Config, r io.Reader, number uint64) (*eth.ExecutionPayloadEnvelope, error) {
	var vb [4]byte
	if _, err := io.ReadFull(r, vb[:]); err != nil {
		return nil, fmt.Errorf("reading version: %w", err)
	}
	ts, ok := expectedTime(cfg, number)
	if !ok {
		return nil, fmt.Errorf("block %d is below genesis", number)
	}
	version, layout := responseVersion(cfg, ts)
	if got := binary.LittleEndian.Uint32(vb[:]); got != version {
		return nil, fmt.Errorf("block %d: response version %d, the block's fork needs %d", number, got, version)
	}
	body, err := io.ReadAll(io.LimitReader(snappy.NewReader(r), maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", number, err)
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("block %d: response larger than %d bytes", number, maxResponse)
	}
	env, err := blockmsg.UnmarshalBody(body, layout)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", number, err)
	}
	p := env.ExecutionPayload
	if p.BlockNumber != number {
		return nil, fmt.Errorf("asked for block %d, got %d", number, p.BlockNumber)
	}
	if p.Timestamp != ts {
		return nil, fmt.Errorf("block %d has timestamp %d, the chain gives it %d", number, p.Timestamp, ts)
	}
	if err := blockmsg.CheckFields(env, layout, cfg); err != nil {
		return nil, fmt.Errorf("block %d: %w", number, err)
	}
	hash, err := blockmsg.BlockHash(env, cfg)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", number, err)
	}
	if hash != p.BlockHash {
		return nil, fmt.Errorf("block %d claims hash %s, its header hashes to %s", number, p.BlockHash, hash)
	}
	return env, nil
}
