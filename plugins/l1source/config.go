package l1source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/opalnode/opal/sdk/eth"
)

// Defaults of the keys a config table may leave out.
const (
	// DefaultPollInterval is how often HTTP endpoints are asked for the head,
	// and every endpoint for safe and finalized. Several polls per 12 s slot
	// keep the head fresh without loading the endpoint.
	DefaultPollInterval = 2 * time.Second
	// DefaultTimeout bounds one request. A full block with its receipts is a
	// few MB at most; ten seconds is ample on a working link and short
	// enough that a hung endpoint is left for the next one quickly.
	DefaultTimeout = 10 * time.Second
	// DefaultRetries is how many more rounds over the endpoints a failed
	// fetch gets before it is reported as temporary.
	DefaultRetries = 3
	// DefaultCacheBytes bounds the cache of verified blocks, receipts and
	// blobs: about a thousand mainnet blocks with their receipts.
	DefaultCacheBytes = 256 << 20
	// DefaultPrefetch is how many blocks are fetched ahead of a caller that
	// walks L1 by increasing number, as derivation does while catching up.
	DefaultPrefetch = 8
)

// Config is the plugin's [plugins.l1source.config] table. Every key:
//
//   - rpc: the L1 execution endpoint, http(s):// or ws(s)://, as one URL or
//     a list. The node fills it from [l1] rpc (op-node's --l1).
//   - rpcs: the endpoints in order of preference; when set it replaces rpc
//     (so that the node's default rpc does not slip into the list). With
//     several endpoints a failing one is left for the next (failover).
//   - beacon: the beacon API (http(s)://) serving blob sidecars, op-node's
//     --l1.beacon. Needed once the chain posts blobs.
//   - beacon_fallbacks: more beacon APIs, e.g. blob archivers, asked when
//     beacon fails or no longer has a blob (op-node's --l1.beacon-fallbacks).
//   - trust_rpc: skip the checks of header hashes, transaction, withdrawal
//     and receipt roots, and read storage with eth_getStorageAt instead of
//     proofs (op-node's --l1.trustrpc). Default false: nothing an endpoint
//     returns is passed on before it matches the block hash.
//   - rpc_kind: which receipt methods the endpoint is asked with, as
//     op-node's --l1.rpckind: "standard" (default) eth_getBlockReceipts;
//     "basic" and "infura" one eth_getTransactionReceipt per transaction;
//     "alchemy" alchemy_getTransactionReceipts or eth_getBlockReceipts for
//     blocks with enough transactions; "quicknode" and "debug_geth"
//     debug_getRawReceipts; "parity" and "nethermind"
//     parity_getBlockReceipts; "erigon" eth_getBlockReceipts, then
//     erigon_getBlockReceiptsByBlockHash; "any" all of them. A method the
//     endpoint answers "method not found" to is not asked again; the next
//     one is, and per transaction is always last.
//   - poll_interval: how often the head is polled over HTTP (websocket
//     endpoints subscribe to newHeads instead) and safe/finalized are polled
//     on any endpoint; a Go duration ("2s") or seconds; default 2s.
//   - timeout: the limit of one request; duration or seconds; default 10s.
//   - retries: how many more rounds over all endpoints a failed request
//     gets, with exponential backoff, after timeouts, connection errors,
//     HTTP 429 and 5xx (a Retry-After header is honoured); default 3.
//   - rate_limit: requests per second per endpoint, 0 (default) unlimited.
//   - cache_bytes: the byte budget of the cache of verified blocks,
//     receipts and blobs, a number of bytes or a string with a unit
//     ("256MiB", "1GB"); 0 turns caching (and prefetching) off; default
//     256 MiB.
//   - prefetch: how many blocks to fetch ahead when blocks are asked for by
//     increasing number; 0 turns it off; default 8.
//
// Unknown keys are refused, so that a misspelt key is not silently ignored.
type Config struct {
	RPC             stringList `json:"rpc"`
	RPCs            stringList `json:"rpcs"`
	Beacon          string     `json:"beacon"`
	BeaconFallbacks stringList `json:"beacon_fallbacks"`
	TrustRPC        bool       `json:"trust_rpc"`
	RPCKind         string     `json:"rpc_kind"`
	PollInterval    Duration   `json:"poll_interval"`
	Timeout         Duration   `json:"timeout"`
	Retries         *int       `json:"retries"`
	RateLimit       float64    `json:"rate_limit"`
	CacheBytes      *ByteSize  `json:"cache_bytes"`
	Prefetch        *int       `json:"prefetch"`
}

// settings is a validated Config.
type settings struct {
	rpcKey       string // "rpc" or "rpcs": where the endpoints came from
	rpcs         []string
	beacons      []string // beacon first, then the fallbacks
	trust        bool
	rpcKind      string        // rpc_kind, normalized ("" is standard)
	methods      receiptMethod // the receipt methods rpc_kind offers
	pollInterval time.Duration
	timeout      time.Duration
	retries      int
	rateLimit    float64
	cacheBytes   int64
	prefetch     int
}

// badKey is the error for a bad configuration value: it wraps
// eth.ErrInvalidArgument and names the key, as base.Plugin requires.
func badKey(key, format string, args ...any) error {
	return fmt.Errorf("%w: l1source config %s: %s", eth.ErrInvalidArgument, key, fmt.Sprintf(format, args...))
}

const knownKeys = "rpc, rpcs, beacon, beacon_fallbacks, trust_rpc, rpc_kind, poll_interval, timeout, retries, rate_limit, cache_bytes, prefetch"

// parseConfig decodes and validates the plugin's config table. Keys are
// decoded one by one so that every error names its key.
func parseConfig(raw json.RawMessage) (settings, error) {
	var c Config
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && string(trimmed) != "null" {
		var table map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &table); err != nil {
			return settings{}, badKey("config", "not a table: %v", err)
		}
		fields := map[string]any{
			"rpc": &c.RPC, "rpcs": &c.RPCs, "beacon": &c.Beacon, "beacon_fallbacks": &c.BeaconFallbacks,
			"trust_rpc": &c.TrustRPC, "rpc_kind": &c.RPCKind, "poll_interval": &c.PollInterval,
			"timeout": &c.Timeout, "retries": &c.Retries, "rate_limit": &c.RateLimit,
			"cache_bytes": &c.CacheBytes, "prefetch": &c.Prefetch,
		}
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
	s := settings{trust: c.TrustRPC, rateLimit: c.RateLimit}
	key, urls := "rpc", []string(c.RPC)
	if len(c.RPCs) > 0 {
		key, urls = "rpcs", c.RPCs
	}
	seen := map[string]bool{}
	for i, u := range urls {
		u = strings.TrimSpace(u)
		if u == "" && key == "rpc" && len(urls) == 1 {
			break
		}
		if err := checkURL(u, "http", "https", "ws", "wss"); err != nil {
			return settings{}, badKey(key, "entry %d: %v", i, err)
		}
		if seen[u] {
			return settings{}, badKey(key, "entry %d: %s is listed twice", i, redact(u))
		}
		seen[u] = true
		s.rpcs = append(s.rpcs, u)
	}
	s.rpcKey = key
	if len(s.rpcs) == 0 {
		return settings{}, badKey("rpc", "required: the L1 endpoint (e.g. http://127.0.0.1:8545), or rpcs with a list")
	}
	if b := strings.TrimSpace(c.Beacon); b != "" {
		if err := checkURL(b, "http", "https"); err != nil {
			return settings{}, badKey("beacon", "%v", err)
		}
		s.beacons = append(s.beacons, b)
	}
	for i, b := range c.BeaconFallbacks {
		b = strings.TrimSpace(b)
		if err := checkURL(b, "http", "https"); err != nil {
			return settings{}, badKey("beacon_fallbacks", "entry %d: %v", i, err)
		}
		s.beacons = append(s.beacons, b)
	}
	s.rpcKind = normalizeKind(c.RPCKind)
	var ok bool
	if s.methods, ok = receiptMethods(s.rpcKind); !ok {
		return settings{}, badKey("rpc_kind", "unknown kind %q (one of %s)", c.RPCKind, strings.Join(rpcKinds, ", "))
	}
	var err error
	if s.pollInterval, err = positive("poll_interval", c.PollInterval, DefaultPollInterval); err != nil {
		return settings{}, err
	}
	if s.timeout, err = positive("timeout", c.Timeout, DefaultTimeout); err != nil {
		return settings{}, err
	}
	s.retries = DefaultRetries
	if c.Retries != nil {
		if *c.Retries < 0 || *c.Retries > 100 {
			return settings{}, badKey("retries", "want 0 to 100, got %d", *c.Retries)
		}
		s.retries = *c.Retries
	}
	if math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) || c.RateLimit < 0 {
		return settings{}, badKey("rate_limit", "want requests per second, 0 or more, got %v", c.RateLimit)
	}
	s.cacheBytes = DefaultCacheBytes
	if c.CacheBytes != nil {
		s.cacheBytes = int64(*c.CacheBytes)
	}
	s.prefetch = DefaultPrefetch
	if c.Prefetch != nil {
		if *c.Prefetch < 0 || *c.Prefetch > 1024 {
			return settings{}, badKey("prefetch", "want 0 to 1024 blocks, got %d", *c.Prefetch)
		}
		s.prefetch = *c.Prefetch
	}
	return s, nil
}

// positive returns d, or def when d is unset; negative values are refused.
func positive(key string, d Duration, def time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return def, nil
	case d < 0:
		return 0, badKey(key, "must be positive, got %s", time.Duration(d))
	}
	return time.Duration(d), nil
}

func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	if !ok {
		return fmt.Errorf("scheme %q of %s is not one of %s", u.Scheme, redact(raw), strings.Join(schemes, ", "))
	}
	if u.Host == "" {
		return fmt.Errorf("%s has no host", redact(raw))
	}
	return nil
}

// redact keeps only scheme, host and port of a URL for messages: paths and
// queries of hosted endpoints commonly carry API keys.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host
}
