package p2p

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/eth"
)

// The opp2p_* JSON-RPC API, with op-node's method names and JSON shapes.

// PeerInfo is one peer as opp2p_self and opp2p_peers show it.
type PeerInfo struct {
	PeerID          string        `json:"peerID"`
	NodeID          string        `json:"nodeID"`
	UserAgent       string        `json:"userAgent"`
	ProtocolVersion string        `json:"protocolVersion"`
	ENR             string        `json:"ENR"`
	Addresses       []string      `json:"addresses"`
	Protocols       []string      `json:"protocols"`
	Connectedness   int           `json:"connectedness"`
	Direction       int           `json:"direction"`
	Protected       bool          `json:"protected"`
	ChainID         uint64        `json:"chainID"`
	Latency         time.Duration `json:"latency"`
	GossipBlocks    bool          `json:"gossipBlocks"`
	PeerScores      PeerScores    `json:"peerScores"`
}

// PeerScores holds a peer's gossip score.
type PeerScores struct {
	Gossip struct {
		Total float64 `json:"total"`
	} `json:"gossip"`
}

// PeerDump is opp2p_peers' answer.
type PeerDump struct {
	TotalConnected uint                 `json:"totalConnected"`
	Peers          map[string]*PeerInfo `json:"peers"`
	BannedPeers    []string             `json:"bannedPeers"`
	BannedIPS      []net.IP             `json:"bannedIPS"`
	BannedSubnets  []string             `json:"bannedSubnets"`
}

// PeerStats is opp2p_peerStats' answer.
type PeerStats struct {
	Connected     uint `json:"connected"`
	Table         uint `json:"table"`
	BlocksTopic   uint `json:"blocksTopic"`
	BlocksTopicV2 uint `json:"blocksTopicV2"`
	BlocksTopicV3 uint `json:"blocksTopicV3"`
	BlocksTopicV4 uint `json:"blocksTopicV4"`
	Banned        uint `json:"banned"`
	Known         uint `json:"known"`
}

// Admin serves one opp2p method: name without the namespace, params as a
// JSON array, result as JSON.
func (p *Plugin) Admin(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	n, err := p.running()
	if err != nil {
		return nil, err
	}
	var args []json.RawMessage
	if len(params) > 0 && string(params) != "null" {
		if err := json.Unmarshal(params, &args); err != nil {
			return nil, fmt.Errorf("%w: params must be a JSON array: %v", eth.ErrInvalidArgument, err)
		}
	}
	str := func(i int) (string, error) {
		var s string
		if i >= len(args) {
			return "", fmt.Errorf("%w: %s needs argument %d", eth.ErrInvalidArgument, method, i+1)
		}
		if err := json.Unmarshal(args[i], &s); err != nil {
			return "", fmt.Errorf("%w: %s argument %d: %v", eth.ErrInvalidArgument, method, i+1, err)
		}
		return s, nil
	}
	id := func() (peer.ID, error) {
		s, err := str(0)
		if err != nil {
			return "", err
		}
		pid, err := peer.Decode(s)
		if err != nil {
			return "", fmt.Errorf("%w: %q is not a peer id", eth.ErrInvalidArgument, s)
		}
		return pid, nil
	}
	ip := func() (net.IP, error) {
		s, err := str(0)
		if err != nil {
			return nil, err
		}
		v := net.ParseIP(s)
		if v == nil {
			return nil, fmt.Errorf("%w: %q is not an IP address", eth.ErrInvalidArgument, s)
		}
		return v, nil
	}
	subnet := func() (*net.IPNet, error) {
		s, err := str(0)
		if err != nil {
			return nil, err
		}
		v, err := parseSubnet(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", eth.ErrInvalidArgument, err)
		}
		return v, nil
	}
	var out any
	switch method {
	case "self":
		out = n.peerInfo(n.host.ID())
	case "peers":
		connected := false
		if len(args) > 0 {
			if err := json.Unmarshal(args[0], &connected); err != nil {
				return nil, fmt.Errorf("%w: peers wants a boolean", eth.ErrInvalidArgument)
			}
		}
		out = n.peerDump(connected)
	case "peerStats":
		out = n.peerStats()
	case "discoveryTable":
		var recs []string
		if n.disc != nil {
			for _, r := range n.disc.Table() {
				recs = append(recs, r.String())
			}
		}
		out = recs
	case "blockPeer", "unblockPeer", "protectPeer", "unprotectPeer", "disconnectPeer":
		pid, err := id()
		if err != nil {
			return nil, err
		}
		switch method {
		case "blockPeer":
			err = n.gater.BlockPeer(pid)
			_ = n.host.Network().ClosePeer(pid)
		case "unblockPeer":
			n.gater.unban(pid)
			err = n.gater.UnblockPeer(pid)
		case "protectPeer":
			n.host.ConnManager().Protect(pid, "api")
		case "unprotectPeer":
			n.host.ConnManager().Unprotect(pid, "api")
		case "disconnectPeer":
			err = n.host.Network().ClosePeer(pid)
		}
		if err != nil {
			return nil, err
		}
	case "listBlockedPeers":
		var ids []string
		for _, pid := range n.gater.ListBlockedPeers() {
			ids = append(ids, pid.String())
		}
		out = ids
	case "blockAddr", "unblockAddr":
		v, err := ip()
		if err != nil {
			return nil, err
		}
		if method == "blockAddr" {
			err = n.gater.BlockAddr(v)
		} else {
			err = n.gater.UnblockAddr(v)
		}
		if err != nil {
			return nil, err
		}
	case "listBlockedAddrs":
		out = n.gater.ListBlockedAddrs()
	case "blockSubnet", "unblockSubnet":
		v, err := subnet()
		if err != nil {
			return nil, err
		}
		if method == "blockSubnet" {
			err = n.gater.BlockSubnet(v)
		} else {
			err = n.gater.UnblockSubnet(v)
		}
		if err != nil {
			return nil, err
		}
	case "listBlockedSubnets":
		var nets []string
		for _, s := range n.gater.ListBlockedSubnets() {
			nets = append(nets, s.String())
		}
		out = nets
	case "connectPeer":
		s, err := str(0)
		if err != nil {
			return nil, err
		}
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", eth.ErrInvalidArgument, s, err)
		}
		cctx, cancel := context.WithTimeout(ctx, n.set.dialTimeout)
		defer cancel()
		if err := n.host.Connect(cctx, *ai); err != nil {
			return nil, fmt.Errorf("connecting to %s: %w", ai.ID, err)
		}
	default:
		return nil, fmt.Errorf("%w: opp2p_%s", eth.ErrNotFound, method)
	}
	return json.Marshal(out)
}

func (n *node) peerInfo(id peer.ID) *PeerInfo {
	ps := n.host.Peerstore()
	info := &PeerInfo{PeerID: id.String(), ChainID: n.rollup.L2ChainID.Uint64()}
	if v, err := ps.Get(id, "AgentVersion"); err == nil {
		info.UserAgent, _ = v.(string)
	}
	if v, err := ps.Get(id, "ProtocolVersion"); err == nil {
		info.ProtocolVersion, _ = v.(string)
	}
	addrs := ps.Addrs(id)
	if id == n.host.ID() {
		addrs = n.host.Addrs()
		info.UserAgent = n.set.userAgent
		if n.disc != nil {
			info.ENR = n.disc.Self().String()
			info.NodeID = n.disc.Self().ID().String()
		}
	}
	for _, a := range addrs {
		info.Addresses = append(info.Addresses, a.String())
	}
	if protos, err := ps.GetProtocols(id); err == nil {
		for _, pr := range protos {
			info.Protocols = append(info.Protocols, string(pr))
		}
		sort.Strings(info.Protocols)
	}
	info.Connectedness = int(n.host.Network().Connectedness(id))
	for _, c := range n.host.Network().ConnsToPeer(id) {
		info.Direction = int(c.Stat().Direction)
		break
	}
	info.Protected = n.host.ConnManager().IsProtected(id, "")
	info.Latency = ps.LatencyEWMA(id)
	for _, t := range n.topics {
		if t == nil {
			continue
		}
		for _, tp := range t.ListPeers() {
			if tp == id {
				info.GossipBlocks = true
			}
		}
	}
	if s, ok := n.gater.score(id); ok {
		info.PeerScores.Gossip.Total = s
	}
	return info
}

func (n *node) peerDump(connected bool) *PeerDump {
	d := &PeerDump{Peers: map[string]*PeerInfo{}}
	ids := n.host.Network().Peers()
	if !connected {
		ids = n.host.Peerstore().PeersWithAddrs()
	}
	for _, id := range ids {
		if id == n.host.ID() {
			continue
		}
		d.Peers[id.String()] = n.peerInfo(id)
	}
	d.TotalConnected = uint(len(n.host.Network().Peers()))
	for _, id := range n.gater.ListBlockedPeers() {
		d.BannedPeers = append(d.BannedPeers, id.String())
	}
	for id := range n.gater.banned() {
		d.BannedPeers = append(d.BannedPeers, id.String())
	}
	d.BannedIPS = n.gater.ListBlockedAddrs()
	for _, s := range n.gater.ListBlockedSubnets() {
		d.BannedSubnets = append(d.BannedSubnets, s.String())
	}
	return d
}

func (n *node) peerStats() *PeerStats {
	s := &PeerStats{Connected: uint(len(n.host.Network().Peers()))}
	if n.disc != nil {
		s.Table = uint(len(n.disc.Table()))
	}
	counts := [4]*uint{&s.BlocksTopic, &s.BlocksTopicV2, &s.BlocksTopicV3, &s.BlocksTopicV4}
	for v := blockmsg.V1; v <= blockmsg.V4; v++ {
		if t := n.topics[v.TopicIndex()]; t != nil {
			*counts[v.TopicIndex()] = uint(len(t.ListPeers()))
		}
	}
	s.Banned = uint(len(n.gater.banned()) + len(n.gater.ListBlockedPeers()))
	s.Known = uint(len(n.host.Peerstore().Peers()))
	return s
}
