package p2p

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opalnode/opal/sdk/eth"
)

// Defaults are op-node v1.19.6's, so that a node configured by op-node's
// flags behaves as op-node does.
const (
	DefaultListenTCP          = 9222
	DefaultPrivPath           = "opnode_p2p_priv.txt"
	DefaultPeerstorePath      = "opnode_peerstore_db"
	DefaultDiscoveryPath      = "opnode_discovery_db"
	DefaultPeersLo            = 20
	DefaultPeersHi            = 30
	DefaultPeersGrace         = 30 * time.Second
	DefaultBanThreshold       = -100
	DefaultBanDuration        = time.Hour
	DefaultMeshD              = 8
	DefaultMeshDlo            = 6
	DefaultMeshDhi            = 12
	DefaultMeshDlazy          = 6
	DefaultTimestampThreshold = 60 * time.Second
	DefaultUserAgent          = "optimism"
	// StaticRedial is how often a static peer that is not connected is
	// dialed again (op-node: once a minute).
	StaticRedial = time.Minute
)

// Config is the plugin's [plugins.p2p.config] table. The keys are op-node's
// --p2p.* flags with dots and dashes turned into underscores, with the same
// defaults and meanings:
//
//   - listen_ip (0.0.0.0), listen_tcp (9222; 0 any port, 1-1023 refused),
//     listen_udp (0: a random port, as op-node does, not the TCP port).
//   - advertise_ip, advertise_tcp, advertise_udp: what the ENR announces.
//   - no_discovery: no discv5 (static peers and bootnodes' peers only).
//   - bootnodes: enr: or enode:// records; empty takes the built-in list.
//   - static: full multiaddrs with /p2p/<peer id>, dialed at start and
//     re-dialed once a minute, protected from pruning, never banned.
//   - priv_path: the node key file (created 0600 when missing);
//     priv_raw: the key as hex (op-node's hidden --p2p.priv.raw).
//   - sequencer_key: hex key that signs published blocks; without it the
//     node does not publish.
//   - peerstore_path, discovery_path: directories, or "memory".
//   - scoring: "light" (default) or "none".
//   - ban_peers (true), ban_threshold (-100), ban_duration (1h).
//   - peers_lo (20), peers_hi (30), peers_grace (30s): connection manager.
//   - mux ("yamux,mplex"), security ("noise"), useragent ("optimism").
//   - gossip_mesh_d/lo/dhi/dlazy (8/6/12/6), gossip_timestamp_threshold (60s).
//   - sync_req_resp (true): serve payload_by_number and fill gaps by it.
//   - gossip_flood_publish (false): op-node's --p2p.gossip.flood-publish.
//   - score_invalid_gossip (false): add a per-topic penalty for rejected
//     gossip to the peer score (a peer sending a few invalid blocks is
//     graylisted and banned: the second rejected block within about 50
//     epochs bans a non-static peer). op-node does not score invalid gossip; the
//     default follows it, because during a signer rotation (until the next
//     reload of the signer from L1) honest peers relay blocks this node
//     rejects, and must not be banned for that.
//   - netrestrict: CIDR masks; peers elsewhere are neither dialed nor
//     accepted, and discovery keeps to them.
//   - nat: map the listen port with UPnP/NAT-PMP.
//   - timeout_dial (10s); timeout_negotiation, timeout_accept: libp2p's
//     10s (op-node's defaults), other values are refused.
//   - sync_only_static: ask only static peers for missing blocks.
//   - ping (true): libp2p ping.
//   - data_dir: where the default key and store files go (the node's
//     data directory); log_level: the plugin's log level.
//
// Unknown keys are refused so that a misspelt key is not silently ignored.
type Config struct {
	ListenIP           string     `json:"listen_ip"`
	ListenTCP          *int       `json:"listen_tcp"`
	ListenUDP          int        `json:"listen_udp"`
	AdvertiseIP        string     `json:"advertise_ip"`
	AdvertiseTCP       int        `json:"advertise_tcp"`
	AdvertiseUDP       int        `json:"advertise_udp"`
	NoDiscovery        bool       `json:"no_discovery"`
	Bootnodes          stringList `json:"bootnodes"`
	Static             stringList `json:"static"`
	PrivPath           string     `json:"priv_path"`
	PrivRaw            string     `json:"priv_raw"`
	SequencerKey       string     `json:"sequencer_key"`
	PeerstorePath      string     `json:"peerstore_path"`
	DiscoveryPath      string     `json:"discovery_path"`
	Scoring            string     `json:"scoring"`
	BanPeers           *bool      `json:"ban_peers"`
	BanThreshold       *float64   `json:"ban_threshold"`
	BanDuration        duration   `json:"ban_duration"`
	PeersLo            *int       `json:"peers_lo"`
	PeersHi            *int       `json:"peers_hi"`
	PeersGrace         duration   `json:"peers_grace"`
	Mux                stringList `json:"mux"`
	Security           stringList `json:"security"`
	UserAgent          string     `json:"useragent"`
	MeshD              *int       `json:"gossip_mesh_d"`
	MeshDlo            *int       `json:"gossip_mesh_lo"`
	MeshDhi            *int       `json:"gossip_mesh_dhi"`
	MeshDlazy          *int       `json:"gossip_mesh_dlazy"`
	TimestampThreshold duration   `json:"gossip_timestamp_threshold"`
	SyncReqResp        *bool      `json:"sync_req_resp"`
	DataDir            string     `json:"data_dir"`
	SignerEndpoint     string     `json:"signer_endpoint"`
	GossipFloodPublish bool       `json:"gossip_flood_publish"`
	ScoreInvalidGossip *bool      `json:"score_invalid_gossip"`
	LogLevel           string     `json:"log_level"`
	NetRestrict        stringList `json:"netrestrict"`
	NAT                bool       `json:"nat"`
	TimeoutNegotiation duration   `json:"timeout_negotiation"`
	TimeoutAccept      duration   `json:"timeout_accept"`
	TimeoutDial        duration   `json:"timeout_dial"`
	SyncOnlyStatic     bool       `json:"sync_only_static"`
	Ping               *bool      `json:"ping"`
}

// settings is a validated Config.
type settings struct {
	listenIP     net.IP
	listenTCP    int
	listenUDP    int
	advertiseIP  net.IP
	advertiseTCP int
	advertiseUDP int
	noDiscovery  bool
	bootnodes    []string
	static       []string
	privPath     string
	privRaw      string
	sequencerKey string
	peerstore    string // "" or "memory": in memory
	discoveryDB  string
	scoring      bool
	banPeers     bool
	banThreshold float64
	banDuration  time.Duration
	peersLo      int
	peersHi      int
	peersGrace   time.Duration
	mplex        bool
	userAgent    string
	meshD        int
	meshDlo      int
	meshDhi      int
	meshDlazy    int
	tsThreshold  time.Duration
	reqResp      bool
	floodPublish bool
	// scoreInvalid adds per-topic invalid-message penalties (P4) to the
	// peer score, so that a peer sending rejected gossip is graylisted and
	// banned; op-node leaves topic scoring off.
	scoreInvalid bool
	logLevel     string
	netRestrict  []*net.IPNet
	nat          bool
	dialTimeout  time.Duration
	// negotiation and accept timeouts: libp2p's own (10 s, op-node's
	// defaults too) are used; other values are refused.
	onlyStatic bool
	ping       bool
}

var knownKeys = func() string {
	var keys []string
	for k := range configFields(&Config{}) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}()

func configFields(c *Config) map[string]any {
	return map[string]any{
		"listen_ip": &c.ListenIP, "listen_tcp": &c.ListenTCP, "listen_udp": &c.ListenUDP,
		"advertise_ip": &c.AdvertiseIP, "advertise_tcp": &c.AdvertiseTCP, "advertise_udp": &c.AdvertiseUDP,
		"no_discovery": &c.NoDiscovery, "bootnodes": &c.Bootnodes, "static": &c.Static,
		"priv_path": &c.PrivPath, "priv_raw": &c.PrivRaw, "sequencer_key": &c.SequencerKey,
		"peerstore_path": &c.PeerstorePath, "discovery_path": &c.DiscoveryPath, "scoring": &c.Scoring,
		"ban_peers": &c.BanPeers, "ban_threshold": &c.BanThreshold, "ban_duration": &c.BanDuration,
		"peers_lo": &c.PeersLo, "peers_hi": &c.PeersHi, "peers_grace": &c.PeersGrace,
		"mux": &c.Mux, "security": &c.Security, "useragent": &c.UserAgent,
		"gossip_mesh_d": &c.MeshD, "gossip_mesh_lo": &c.MeshDlo, "gossip_mesh_dhi": &c.MeshDhi,
		"gossip_mesh_dlazy": &c.MeshDlazy, "gossip_timestamp_threshold": &c.TimestampThreshold,
		"sync_req_resp": &c.SyncReqResp, "data_dir": &c.DataDir, "signer_endpoint": &c.SignerEndpoint,
		"gossip_flood_publish": &c.GossipFloodPublish, "score_invalid_gossip": &c.ScoreInvalidGossip, "log_level": &c.LogLevel,
		"netrestrict": &c.NetRestrict, "nat": &c.NAT, "timeout_negotiation": &c.TimeoutNegotiation,
		"timeout_accept": &c.TimeoutAccept, "timeout_dial": &c.TimeoutDial, "sync_only_static": &c.SyncOnlyStatic,
		"ping": &c.Ping,
	}
}

func badKey(key, format string, args ...any) error {
	return fmt.Errorf("%w: p2p config %s: %s", eth.ErrInvalidArgument, key, fmt.Sprintf(format, args...))
}

// parseConfig decodes and validates the table key by key, so that every
// error names its key.
func parseConfig(raw json.RawMessage) (settings, error) {
	var c Config
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && string(trimmed) != "null" {
		var table map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &table); err != nil {
			return settings{}, badKey("config", "not a table: %v", err)
		}
		fields := configFields(&c)
		for key, val := range table {
			dst, ok := fields[key]
			if !ok {
				return settings{}, badKey(key, "unknown key (known: %s)", knownKeys)
			}
			if err := json.Unmarshal(val, dst); err != nil {
				return settings{}, badKey(key, "%v", err)
			}
		}
	}
	return c.validate()
}

func (c *Config) validate() (settings, error) {
	s := settings{
		listenTCP: DefaultListenTCP, listenUDP: c.ListenUDP,
		advertiseTCP: c.AdvertiseTCP, advertiseUDP: c.AdvertiseUDP,
		noDiscovery: c.NoDiscovery, privRaw: strings.TrimSpace(c.PrivRaw),
		sequencerKey: strings.TrimSpace(c.SequencerKey), scoring: true, banPeers: true,
		banThreshold: DefaultBanThreshold, banDuration: DefaultBanDuration,
		peersLo: DefaultPeersLo, peersHi: DefaultPeersHi, peersGrace: DefaultPeersGrace,
		mplex: true, userAgent: DefaultUserAgent, meshD: DefaultMeshD, meshDlo: DefaultMeshDlo,
		meshDhi: DefaultMeshDhi, meshDlazy: DefaultMeshDlazy, tsThreshold: DefaultTimestampThreshold,
		reqResp: true, floodPublish: c.GossipFloodPublish,
	}
	ip := func(key, v, def string) (net.IP, error) {
		if v == "" {
			v = def
		}
		if v == "" {
			return nil, nil
		}
		p := net.ParseIP(v)
		if p == nil {
			return nil, badKey(key, "%q is not an IP address", v)
		}
		return p, nil
	}
	var err error
	if s.listenIP, err = ip("listen_ip", c.ListenIP, "0.0.0.0"); err != nil {
		return settings{}, err
	}
	if s.advertiseIP, err = ip("advertise_ip", c.AdvertiseIP, ""); err != nil {
		return settings{}, err
	}
	if c.ListenTCP != nil {
		s.listenTCP = *c.ListenTCP
	}
	// op-node refuses privileged ports for the TCP listener.
	if s.listenTCP < 0 || s.listenTCP > 65535 || (s.listenTCP > 0 && s.listenTCP < 1024) {
		return settings{}, badKey("listen_tcp", "%d: want 0 (any port) or 1024-65535", s.listenTCP)
	}
	for key, v := range map[string]int{"listen_udp": s.listenUDP, "advertise_tcp": s.advertiseTCP, "advertise_udp": s.advertiseUDP} {
		if v < 0 || v > 65535 {
			return settings{}, badKey(key, "%d is not a port", v)
		}
	}
	for _, b := range c.Bootnodes {
		if b = strings.TrimSpace(b); b != "" {
			s.bootnodes = append(s.bootnodes, b)
		}
	}
	for _, a := range c.Static {
		if a = strings.TrimSpace(a); a != "" {
			s.static = append(s.static, a)
		}
	}
	if s.privRaw != "" && strings.TrimSpace(c.PrivPath) != "" {
		return settings{}, badKey("priv_raw", "set either priv_raw or priv_path, not both")
	}
	s.privPath = strings.TrimSpace(c.PrivPath)
	if s.privPath == "" {
		s.privPath = inDir(c.DataDir, DefaultPrivPath)
	}
	if c.SignerEndpoint != "" {
		// op-node's remote signer (opsigner_signBlockPayload) is not built
		// in yet: refuse it rather than run a sequencer that cannot publish.
		return settings{}, badKey("signer_endpoint", "a remote block signer is not supported yet; use sequencer_key")
	}
	s.peerstore = storePath(c.PeerstorePath, c.DataDir, DefaultPeerstorePath)
	s.discoveryDB = storePath(c.DiscoveryPath, c.DataDir, DefaultDiscoveryPath)
	switch strings.ToLower(strings.TrimSpace(c.Scoring)) {
	case "", "light":
	case "none":
		s.scoring = false
	default:
		return settings{}, badKey("scoring", "unknown %q (light, none)", c.Scoring)
	}
	if c.BanPeers != nil {
		s.banPeers = *c.BanPeers
	}
	if c.BanThreshold != nil {
		s.banThreshold = *c.BanThreshold
	}
	if c.BanDuration > 0 {
		s.banDuration = time.Duration(c.BanDuration)
	}
	for _, f := range []struct {
		key string
		src *int
		dst *int
	}{
		{"peers_lo", c.PeersLo, &s.peersLo}, {"peers_hi", c.PeersHi, &s.peersHi},
		{"gossip_mesh_d", c.MeshD, &s.meshD}, {"gossip_mesh_lo", c.MeshDlo, &s.meshDlo},
		{"gossip_mesh_dhi", c.MeshDhi, &s.meshDhi}, {"gossip_mesh_dlazy", c.MeshDlazy, &s.meshDlazy},
	} {
		if f.src != nil {
			if *f.src < 0 {
				return settings{}, badKey(f.key, "must not be negative")
			}
			*f.dst = *f.src
		}
	}
	if s.peersLo > s.peersHi {
		return settings{}, badKey("peers_lo", "%d is above peers_hi %d", s.peersLo, s.peersHi)
	}
	if !(s.meshDlo <= s.meshD && s.meshD <= s.meshDhi) {
		return settings{}, badKey("gossip_mesh_d", "want gossip_mesh_lo <= gossip_mesh_d <= gossip_mesh_dhi, have %d, %d, %d", s.meshDlo, s.meshD, s.meshDhi)
	}
	if c.PeersGrace > 0 {
		s.peersGrace = time.Duration(c.PeersGrace)
	}
	if c.TimestampThreshold > 0 {
		s.tsThreshold = time.Duration(c.TimestampThreshold)
	}
	if len(c.Mux) > 0 {
		s.mplex = false
		yamux := false
		for _, m := range c.Mux {
			switch strings.ToLower(strings.TrimSpace(m)) {
			case "yamux":
				yamux = true
			case "mplex":
				s.mplex = true
			default:
				return settings{}, badKey("mux", "unknown muxer %q (yamux, mplex)", m)
			}
		}
		if !yamux {
			return settings{}, badKey("mux", "yamux is required (mplex alone is not offered)")
		}
	}
	for _, sec := range c.Security {
		switch strings.ToLower(strings.TrimSpace(sec)) {
		case "noise":
		case "tls", "none":
			return settings{}, badKey("security", "%q is not supported: op-node peers use noise", sec)
		default:
			return settings{}, badKey("security", "unknown %q (noise)", sec)
		}
	}
	if c.UserAgent != "" {
		s.userAgent = c.UserAgent
	}
	s.logLevel = c.LogLevel
	for _, m := range c.NetRestrict {
		_, n, err := net.ParseCIDR(strings.TrimSpace(m))
		if err != nil {
			return settings{}, badKey("netrestrict", "%q is not a CIDR mask", m)
		}
		s.netRestrict = append(s.netRestrict, n)
	}
	s.nat = c.NAT
	s.dialTimeout = 10 * time.Second
	if c.TimeoutDial > 0 {
		s.dialTimeout = time.Duration(c.TimeoutDial)
	}
	for key, d := range map[string]duration{"timeout_negotiation": c.TimeoutNegotiation, "timeout_accept": c.TimeoutAccept} {
		if d != 0 && time.Duration(d) != 10*time.Second {
			return settings{}, badKey(key, "only libp2p's 10s (op-node's default) is supported, have %s", time.Duration(d))
		}
	}
	s.onlyStatic = c.SyncOnlyStatic
	s.ping = true
	if c.Ping != nil {
		s.ping = *c.Ping
	}
	if c.SyncReqResp != nil {
		s.reqResp = *c.SyncReqResp
	}
	if c.ScoreInvalidGossip != nil {
		s.scoreInvalid = *c.ScoreInvalidGossip
	}
	return s, nil
}

// storePath resolves a store setting: "memory" keeps it in memory, an empty
// value takes op-node's default name (inside data_dir when set).
func storePath(v, dataDir, def string) string {
	v = strings.TrimSpace(v)
	switch {
	case strings.EqualFold(v, "memory"):
		return ""
	case v == "":
		return inDir(dataDir, def)
	default:
		return v
	}
}

func inDir(dir, name string) string {
	if dir == "" {
		return name
	}
	return strings.TrimRight(dir, "/") + "/" + name
}

// stringList accepts a list of strings or one comma-separated string (the
// form of op-node's flags).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = nil
		for _, s := range strings.Split(one, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*l = append(*l, s)
			}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*l = many
	return nil
}

// duration is a Go duration string ("30s") or a number of seconds.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if secs, err := strconv.ParseFloat(s, 64); err == nil {
			*d = duration(secs * float64(time.Second))
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration", s)
		}
		*d = duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("want a duration like \"30s\" or seconds")
	}
	*d = duration(secs * float64(time.Second))
	return nil
}
