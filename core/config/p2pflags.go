package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// p2pFlag is one of op-node's --p2p.* flags. Its value goes into the p2p
// plugin's table ([plugins.p2p.config] key), typed, so that a flag, an
// OP_NODE_P2P_* variable and the TOML table all mean the same thing.
type p2pFlag struct {
	name  string // op-node's flag name
	key   string // key in the plugin's table
	env   string // op-node's variable suffix after OP_NODE_P2P_
	kind  string // string, bool, uint, float, duration
	usage string
}

// p2pFlags are op-node v1.19's p2p flags, with its names, variables and
// meanings; the defaults are the plugin's (op-node's own).
var p2pFlags = []p2pFlag{
	{"p2p.no-discovery", "no_discovery", "NO_DISCOVERY", "bool", "disable discv5 (node discovery)"},
	{"p2p.scoring", "scoring", "PEER_SCORING", "string", "peer scoring: light or none (default light)"},
	{"p2p.scoring.peers", "scoring", "", "string", "deprecated name of --p2p.scoring"},
	{"p2p.ban.peers", "ban_peers", "PEER_BANNING", "bool", "ban peers whose score falls below the threshold (default true)"},
	{"p2p.ban.threshold", "ban_threshold", "PEER_BANNING_THRESHOLD", "float", "score below which a peer is banned (default -100)"},
	{"p2p.ban.duration", "ban_duration", "PEER_BANNING_DURATION", "duration", "how long a ban lasts (default 1h)"},
	{"p2p.priv.path", "priv_path", "PRIV_PATH", "string", "file with the hex node key, created 0600 when missing (default opnode_p2p_priv.txt, in --data-dir when set)"},
	{"p2p.priv.raw", "priv_raw", "PRIV_RAW", "string", "the node key as hex (instead of a file)"},
	{"p2p.listen.ip", "listen_ip", "LISTEN_IP", "string", "IP to bind libp2p and discv5 to (default 0.0.0.0)"},
	{"p2p.listen.tcp", "listen_tcp", "LISTEN_TCP_PORT", "uint", "libp2p TCP port, 0 any free port (default 9222)"},
	{"p2p.listen.udp", "listen_udp", "LISTEN_UDP_PORT", "uint", "discv5 UDP port, 0 a random port"},
	{"p2p.advertise.ip", "advertise_ip", "ADVERTISE_IP", "string", "IP to put in the ENR"},
	{"p2p.advertise.tcp", "advertise_tcp", "ADVERTISE_TCP", "uint", "TCP port to put in the ENR (default the listen port)"},
	{"p2p.advertise.udp", "advertise_udp", "ADVERTISE_UDP", "uint", "UDP port to put in the ENR (default the listen port)"},
	{"p2p.bootnodes", "bootnodes", "BOOTNODES", "string", "comma-separated ENRs (or enode URLs) to discover from (default op-node's list)"},
	{"p2p.static", "static", "STATIC", "string", "comma-separated multiaddrs with /p2p/<id>: peers kept connected, protected, never banned"},
	{"p2p.netrestrict", "netrestrict", "NETRESTRICT", "string", "comma-separated CIDR masks: only connect to these networks"},
	{"p2p.mux", "mux", "MUX", "string", "stream multiplexers in order of preference (yamux; mplex is accepted and not offered)"},
	{"p2p.security", "security", "SECURITY", "string", "transport security (noise)"},
	{"p2p.peers.lo", "peers_lo", "PEERS_LO", "uint", "low-tide peer count (default 20)"},
	{"p2p.peers.hi", "peers_hi", "PEERS_HI", "uint", "high-tide peer count (default 30)"},
	{"p2p.peers.grace", "peers_grace", "PEERS_GRACE", "duration", "grace period of a new connection (default 30s)"},
	{"p2p.nat", "nat", "NAT", "bool", "map the listen port with UPnP/PMP to learn the external IP"},
	{"p2p.useragent", "useragent", "AGENT", "string", "user agent shared by identify (default optimism)"},
	{"p2p.timeout.negotiation", "timeout_negotiation", "TIMEOUT_NEGOTIATION", "duration", "time for a new connection to negotiate its protocols (default 10s)"},
	{"p2p.timeout.accept", "timeout_accept", "TIMEOUT_ACCEPT", "duration", "time for a connection to be accepted (default 10s)"},
	{"p2p.timeout.dial", "timeout_dial", "TIMEOUT_DIAL", "duration", "dial timeout (default 10s)"},
	{"p2p.peerstore.path", "peerstore_path", "PEERSTORE_PATH", "string", "peerstore database directory, or memory (default opnode_peerstore_db)"},
	{"p2p.discovery.path", "discovery_path", "DISCOVERY_PATH", "string", "discovery database directory, or memory (default opnode_discovery_db)"},
	{"p2p.sequencer.key", "sequencer_key", "SEQUENCER_KEY", "string", "hex private key that signs the blocks this sequencer gossips"},
	{"p2p.gossip.mesh.d", "gossip_mesh_d", "GOSSIP_MESH_D", "uint", "gossipsub mesh target degree (default 8)"},
	{"p2p.gossip.mesh.lo", "gossip_mesh_lo", "GOSSIP_MESH_DLO", "uint", "gossipsub mesh low watermark (default 6)"},
	{"p2p.gossip.mesh.dhi", "gossip_mesh_dhi", "GOSSIP_MESH_DHI", "uint", "gossipsub mesh high watermark (default 12)"},
	{"p2p.gossip.mesh.dlazy", "gossip_mesh_dlazy", "GOSSIP_MESH_DLAZY", "uint", "gossipsub gossip target (default 6)"},
	{"p2p.gossip.mesh.floodpublish", "gossip_flood_publish", "GOSSIP_FLOOD_PUBLISH", "bool", "publish to every peer of the topic, not only the mesh"},
	{"p2p.gossip.timestamp.threshold", "gossip_timestamp_threshold", "GOSSIP_TIMESTAMP_THRESHOLD", "duration", "how old a gossiped block may be (default 60s)"},
	{"p2p.sync.req-resp", "sync_req_resp", "SYNC_REQ_RESP", "bool", "serve payload_by_number and fill unsafe gaps by it (default true)"},
	{"p2p.sync.onlyreqtostatic", "sync_only_static", "SYNC_ONLYREQTOSTATIC", "bool", "ask only static peers for missing blocks"},
	{"p2p.ping", "ping", "PING", "bool", "answer and send libp2p pings (default true)"},
	{"p2p.scoring.invalid-gossip", "score_invalid_gossip", "", "bool", "opal: lower the score of peers sending rejected gossip (op-node does not)"},
	{"signer.endpoint", "signer_endpoint", "", "string", "remote block signer (opsigner_signBlockPayload); not supported yet, refused"},
}

// p2pIgnoredFlags are accepted for op-node command lines and have no effect.
var p2pIgnoredFlags = map[string]string{
	"p2p.score.bands":    "deprecated in op-node, ignored there too",
	"p2p.scoring.topics": "deprecated in op-node, ignored there too",
	"signer.address":     "only used with --signer.endpoint",
	"signer.tls.ca":      "only used with --signer.endpoint",
	"signer.tls.cert":    "only used with --signer.endpoint",
	"signer.tls.key":     "only used with --signer.endpoint",
	"signer.tls.enabled": "only used with --signer.endpoint",
	"signer.header":      "only used with --signer.endpoint",
}

const p2pTable = "plugins.p2p.config."

func addP2PFlags(fs *pflag.FlagSet) {
	fs.Bool("p2p.disable", false, "run without p2p: no gossip, no req/resp, no discovery")
	for _, f := range p2pFlags {
		switch f.kind {
		case "bool":
			fs.Bool(f.name, false, f.usage)
		case "uint":
			fs.Uint(f.name, 0, f.usage)
		case "float":
			fs.Float64(f.name, 0, f.usage)
		case "duration":
			fs.Duration(f.name, 0, f.usage)
		default:
			fs.String(f.name, "", f.usage)
		}
	}
	for name, why := range p2pIgnoredFlags {
		fs.String(name, "", "accepted for op-node command lines; no effect: "+why)
		_ = fs.MarkHidden(name)
	}
	_ = fs.MarkHidden("p2p.scoring.peers")
}

// p2pValue converts a flag or variable value to the table's type.
func p2pValue(f p2pFlag, v string) (any, error) {
	v = strings.TrimSpace(v)
	switch f.kind {
	case "bool":
		return strconv.ParseBool(v)
	case "uint":
		return strconv.ParseUint(v, 10, 64)
	case "float":
		return strconv.ParseFloat(v, 64)
	case "duration":
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, err
		}
		return d.String(), nil
	default:
		return v, nil
	}
}

// loadP2PEnv applies op-node's OP_NODE_P2P_* variables (opal's own OPAL_*
// variables and the flags are applied after, and win).
func loadP2PEnv(k *koanf.Koanf, environ []string) error {
	byEnv := map[string]p2pFlag{}
	for _, f := range p2pFlags {
		if f.env != "" {
			byEnv["OP_NODE_P2P_"+f.env] = f
		}
	}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if name == "OP_NODE_P2P_DISABLE" {
			b, err := strconv.ParseBool(strings.TrimSpace(val))
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			_ = k.Set("p2p.disable", b)
			continue
		}
		f, known := byEnv[name]
		if !known {
			continue
		}
		v, err := p2pValue(f, val)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := k.Set(p2pTable+f.key, v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// loadP2PFlags applies the --p2p.* flags that were set.
func loadP2PFlags(k *koanf.Koanf, fs *pflag.FlagSet) error {
	byName := map[string]p2pFlag{}
	for _, f := range p2pFlags {
		byName[f.name] = f
	}
	var err error
	fs.Visit(func(fl *pflag.Flag) {
		if err != nil {
			return
		}
		if fl.Name == "p2p.disable" {
			err = k.Set("p2p.disable", fl.Value.String() == "true")
			return
		}
		f, ok := byName[fl.Name]
		if !ok {
			return
		}
		var v any
		if v, err = p2pValue(f, fl.Value.String()); err != nil {
			err = fmt.Errorf("--%s: %w", fl.Name, err)
			return
		}
		err = k.Set(p2pTable+f.key, v)
	})
	return err
}

// IgnoredFlags lists the accepted no-op flags given on fs, with why, so
// that the node says once at start that they have no effect.
func IgnoredFlags(fs *pflag.FlagSet) map[string]string {
	out := map[string]string{}
	if fs == nil {
		return out
	}
	fs.Visit(func(fl *pflag.Flag) {
		if why, ok := p2pIgnoredFlags[fl.Name]; ok {
			out[fl.Name] = why
		}
	})
	return out
}
