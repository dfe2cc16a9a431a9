package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// op-node's help categories, in its order; opal's own flags come last.
const (
	catRollup     = "1. ROLLUP"
	catL1RPC      = "2. L1 RPC"
	catSequencer  = "3. SEQUENCER"
	catOperations = "4. LOGGING, METRICS, DEBUGGING, AND API"
	catP2P        = "5. PEER-TO-PEER"
	catAltDA      = "6. ALT-DA (EXPERIMENTAL)"
	catMisc       = "7. MISC"
	catInterop    = "8. INTEROP (SUPER EXPERIMENTAL)"
	catOpal       = "OPAL (opal's own flags; variables OPAL_<KEY>)"
)

var categories = []string{catRollup, catL1RPC, catSequencer, catOperations, catP2P, catAltDA, catMisc, catInterop, catOpal}

// opNodeEnvPrefix is op-node's variable prefix: --l1.trustrpc is also
// OP_NODE_L1_TRUST_RPC.
const opNodeEnvPrefix = "OP_NODE_"

// policy is what opal does with one op-node flag.
type policy int

const (
	// mapped: the flag sets a config key, with op-node's meaning.
	mapped policy = iota
	// noEffect: accepted and logged once at start, with why.
	noEffect
	// refused: accepted with the values in accept (they ask for nothing
	// opal lacks, and are logged like noEffect); any other value is an
	// error naming the flag.
	refused
	// fallback: sets key unless the file, the environment or a flag
	// already does; then it has no effect.
	fallback
)

// flagKind is the type of a flag's value.
type flagKind int

const (
	kString flagKind = iota
	kBool
	kInt
	kUint
	kFloat
	kDuration
	kList // comma-separated, or the flag repeated
)

// opNodeFlag is one of op-node's flags (op-node/flags, and the op-service
// log and pprof flags op-node registers), with what opal does with it. The
// --p2p.* flags are in p2pflags.go.
type opNodeFlag struct {
	name     string
	aliases  []string // further names op-node accepts
	env      []string // op-node's variables, without OP_NODE_
	kind     flagKind
	def      string // op-node's default, "" when none
	category string
	hidden   bool // hidden in op-node's help
	usage    string

	policy policy
	// key is the config key (mapped, fallback).
	key string
	// convert turns op-node's value into opal's (mapped; nil: as is).
	convert func(string) (string, error)
	// accept: for refused, the values that ask for nothing opal lacks;
	// for noEffect, when set, the only valid values.
	accept []string
	// why the flag changes nothing in opal (noEffect, fallback, refused
	// with an accepted value); refuse is why other values are refused.
	why, refuse string
	// requires, when set, checks the loaded config once the flag was
	// given (a combination opal needs for the flag's meaning).
	requires func(*Config) error
}

const noAltDA = "only used with --altda.enabled, which opal refuses"
const noConductor = "only used with --conductor.enabled, which opal refuses"
const legacy = "a legacy op-node flag that op-node ignores too"
const pprofOnMetrics = "opal serves profiles on the metrics listener (--metrics.addr, --metrics.port) under /debug/pprof/"

// opNodeFlags are op-node v1.19's flags, each with its policy. Names,
// variables, defaults and categories are op-node's.
var opNodeFlags = []opNodeFlag{
	// 1. ROLLUP
	{name: "l1", env: []string{"L1_ETH_RPC"}, def: "http://127.0.0.1:8545", category: catRollup,
		usage: "L1 execution JSON-RPC endpoint, http(s) or ws(s)", key: "l1.rpc"},
	{name: "l2", env: []string{"L2_ENGINE_RPC"}, category: catRollup,
		usage: "L2 Engine API endpoint (opal's default http://127.0.0.1:8551)", key: "l2.engine"},
	{name: "l2.jwt-secret", env: []string{"L2_ENGINE_AUTH"}, category: catRollup,
		usage: "file with the engine's 32-byte hex JWT secret", key: "l2.jwt_secret"},
	{name: "l1.beacon", env: []string{"L1_BEACON"}, category: catRollup,
		usage: "L1 beacon API endpoint, asked for blobs", key: "l1.beacon"},
	{name: "network", env: []string{"NETWORK"}, category: catRollup,
		usage: "known network: " + strings.Join(Networks(), ", "), key: "network"},
	{name: "rollup.config", env: []string{"ROLLUP_CONFIG"}, category: catRollup,
		usage: "rollup.json of the chain (instead of --network)", key: "rollup.config"},
	{name: "rollup.l1-chain-config", env: []string{"ROLLUP_L1_CHAIN_CONFIG"}, category: catRollup,
		usage: "the L1's geth genesis JSON; needed unless L1 is Ethereum mainnet or Sepolia", key: "rollup.l1_chain_config"},
	{name: "l2.engine-rpc-timeout", env: []string{"L2_ENGINE_RPC_TIMEOUT"}, kind: kDuration, def: "10s", category: catRollup,
		usage: "limit of one Engine API call", key: "l2.engine_rpc_timeout"},
	{name: "l2.follow.source", env: []string{"L2_FOLLOW_SOURCE"}, category: catRollup,
		usage: "follow mode: take the safe and finalized heads from this rollup node's RPC instead of deriving them", key: "l2.follow.source"},
	{name: "l2.follow.source.rpc-timeout", env: []string{"L2_FOLLOW_SOURCE_RPC_TIMEOUT"}, kind: kDuration, def: "10s", category: catRollup,
		usage: "limit of one call to the follow source", key: "l2.follow.rpc_timeout"},
	overrideFlag("canyon", "canyon_time"),
	overrideFlag("delta", "delta_time"),
	overrideFlag("ecotone", "ecotone_time"),
	overrideFlag("fjord", "fjord_time"),
	overrideFlag("granite", "granite_time"),
	overrideFlag("holocene", "holocene_time"),
	overrideFlag("pectrablobschedule", "pectra_blob_schedule_time"),
	overrideFlag("isthmus", "isthmus_time"),
	overrideFlag("jovian", "jovian_time"),
	overrideFlag("karst", "karst_time"),
	overrideFlag("lagoon", "lagoon_time"),
	{name: "syncmode", env: []string{"SYNCMODE"}, def: "consensus-layer", category: catRollup,
		usage:  "how the chain is synced: consensus-layer or execution-layer",
		policy: refused, accept: []string{"consensus-layer"},
		why:    "opal always syncs as consensus-layer does: it derives the chain from L1 and takes unsafe blocks from gossip",
		refuse: "opal has no execution-layer sync (the engine syncing itself from its peers and the node trusting its head); start opal on an engine that is synced, or use consensus-layer"},
	{name: "l2.enginekind", env: []string{"L2_ENGINE_KIND"}, def: "geth", category: catRollup,
		usage: "kind of the engine: geth, reth or erigon", policy: noEffect, accept: []string{"geth", "reth", "erigon"},
		why: "opal speaks the Engine API the same way to every engine (op-node uses the kind only to tune execution-layer sync)"},
	{name: "rollup.halt", env: []string{"ROLLUP_HALT"}, category: catRollup,
		usage:  "halt on protocol versions signalled on L1 as incompatible: major, minor, patch or none",
		policy: refused, accept: []string{"", "none"},
		why:    "none asks for no halt",
		refuse: "opal does not read the protocol versions signalled on L1, so it cannot halt on them"},
	{name: "rollup.load-protocol-versions", env: []string{"ROLLUP_LOAD_PROTOCOL_VERSIONS"}, kind: kBool, def: "false", category: catRollup,
		usage: "read the ProtocolVersions contract and report the versions", policy: noEffect,
		why: "opal does not read the ProtocolVersions contract; it logs no versions and sends none to the engine"},
	{name: "ignore-missing-pectra-blob-schedule", env: []string{"IGNORE_MISSING_PECTRA_BLOB_SCHEDULE"}, kind: kBool, def: "false",
		category: catRollup, hidden: true, usage: "start a Sepolia chain whose rollup config lacks pectra_blob_schedule_time", policy: noEffect,
		why: "opal does not refuse such a chain: it uses the rollup config as given"},
	{name: "l2.engine-sync", env: []string{"L2_ENGINE_SYNC_ENABLED"}, kind: kBool, def: "false", category: catRollup, hidden: true,
		usage: "legacy name of --syncmode execution-layer", policy: refused, accept: []string{"false"},
		why:    "false asks for consensus-layer sync, which is what opal does",
		refuse: "it asks for execution-layer sync, which opal does not have"},
	{name: "l2.skip-sync-start-check", env: []string{"L2_SKIP_SYNC_START_CHECK"}, kind: kBool, def: "false", category: catRollup, hidden: true,
		usage: "skip checking the unsafe blocks' L1 origins at start", policy: noEffect,
		why: "op-node meant it for execution-layer sync, which opal does not have"},
	{name: "beta.extra-networks", env: []string{"BETA_EXTRA_NETWORKS"}, kind: kBool, category: catRollup, hidden: true,
		usage: legacy, policy: noEffect, why: legacy},
	{name: "l2.backup-unsafe-sync-rpc", env: []string{"L2_BACKUP_UNSAFE_SYNC_RPC"}, category: catRollup, hidden: true,
		usage: legacy, policy: noEffect, why: legacy + "; opal fills unsafe gaps from its p2p peers"},
	{name: "l2.backup-unsafe-sync-rpc.trustrpc", env: []string{"L2_BACKUP_UNSAFE_SYNC_RPC_TRUST_RPC"}, category: catRollup, hidden: true,
		usage: legacy, policy: noEffect, why: legacy},

	// 2. L1 RPC
	{name: "l1.beacon-header", env: []string{"L1_BEACON_HEADER"}, category: catL1RPC,
		usage: "HTTP header ('X-Key: Value') sent with every beacon request", policy: refused, accept: []string{""},
		refuse: "opal's beacon client sends no extra header; put the credential in the --l1.beacon URL or a proxy in front"},
	{name: "l1.beacon-fallbacks", aliases: []string{"l1.beacon-archiver"}, env: []string{"L1_BEACON_FALLBACKS", "L1_BEACON_ARCHIVER"},
		kind: kList, category: catL1RPC, usage: "more beacon APIs (e.g. blob archivers), asked when --l1.beacon fails or no longer has a blob",
		key: "l1.beacon_fallbacks"},
	{name: "l1.beacon.ignore", env: []string{"L1_BEACON_IGNORE"}, kind: kBool, def: "false", category: catL1RPC,
		usage: "start even when the beacon's health check fails", policy: noEffect,
		why: "opal does not check the beacon at start: it asks it only for blobs, and runs without --l1.beacon until one is needed"},
	{name: "l1.beacon.fetch-all-sidecars", env: []string{"L1_BEACON_FETCH_ALL_SIDECARS"}, kind: kBool, def: "false", category: catL1RPC,
		usage: "fetch all of a slot's blob sidecars and filter them locally", policy: noEffect,
		why: "opal asks for all of a slot's sidecars by itself when a beacon mishandles the request by index"},
	{name: "l1.trustrpc", env: []string{"L1_TRUST_RPC"}, kind: kBool, def: "false", category: catL1RPC,
		usage: "trust the L1 endpoint: skip verifying block, transaction and receipt roots", key: "l1.trust_rpc"},
	{name: "l1.rpckind", env: []string{"L1_RPC_KIND"}, def: "standard", category: catL1RPC,
		usage: "kind of the L1 endpoint, for receipt fetching: standard, basic, any, alchemy, quicknode, infura, parity, nethermind, debug_geth, erigon",
		key:   "l1.rpc_kind"},
	{name: "l1.max-concurrency", env: []string{"L1_MAX_CONCURRENCY"}, kind: kInt, def: "10", category: catL1RPC,
		usage: "most L1 requests at once", policy: noEffect,
		why: "opal's L1 source bounds its requests itself (4 receipt batches at once, 8 blocks prefetched); --l1.rpc-rate-limit limits the load"},
	{name: "l1.rpc-rate-limit", env: []string{"L1_RPC_RATE_LIMIT"}, kind: kFloat, def: "0", category: catL1RPC,
		usage: "L1 requests per second, 0 unlimited (opal: per endpoint)", key: "l1.rpc_rate_limit"},
	{name: "l1.rpc-max-batch-size", env: []string{"L1_RPC_MAX_BATCH_SIZE"}, kind: kInt, def: "20", category: catL1RPC,
		usage: "most calls in one JSON-RPC batch to L1", policy: noEffect,
		why: "opal's L1 source batches receipt calls by 20, op-node's default"},
	{name: "l1.cache-size", env: []string{"L1_CACHE_SIZE"}, kind: kUint, def: "900", category: catL1RPC,
		usage: "L1 blocks kept in the cache", policy: noEffect,
		why: "opal bounds its L1 cache in bytes: plugins.l1source.config.cache_bytes (default 256 MiB)"},
	{name: "l1.http-poll-interval", env: []string{"L1_HTTP_POLL_INTERVAL"}, kind: kDuration, def: "12s", category: catL1RPC,
		usage: "how often an http L1 endpoint is asked for its head (opal also reads safe and finalized then; opal's default 2s)",
		key:   "l1.poll_interval"},
	{name: "verifier.l1-confs", env: []string{"VERIFIER_L1_CONFS"}, kind: kUint, def: "0", category: catL1RPC,
		usage: "L1 confirmations before derivation reads a block", key: "verifier.l1_confs"},
	{name: "l1.epoch-poll-interval", env: []string{"L1_EPOCH_POLL_INTERVAL"}, kind: kDuration, def: "6m24s", category: catL1RPC,
		usage: "how often the L1 safe and finalized blocks are read", policy: noEffect,
		why: "opal reads the L1 safe and finalized blocks at every L1 poll (--l1.http-poll-interval), not on a timer of their own"},
	{name: "l1.runtime-config-reload-interval", env: []string{"L1_RUNTIME_CONFIG_RELOAD_INTERVAL"}, kind: kDuration, def: "10m0s", category: catL1RPC,
		usage: "how often the runtime config (the unsafe block signer) is read again from L1; 0 reads it once", key: "l1.runtime_config_reload_interval"},

	// 3. SEQUENCER
	{name: "sequencer.enabled", env: []string{"SEQUENCER_ENABLED"}, kind: kBool, def: "false", category: catSequencer,
		usage: "build blocks as the sequencer", key: "sequencer.enabled"},
	{name: "sequencer.stopped", env: []string{"SEQUENCER_STOPPED"}, kind: kBool, def: "false", category: catSequencer,
		usage: "start with the sequencer stopped (admin_startSequencer starts it)", key: "sequencer.stopped"},
	{name: "sequencer.max-safe-lag", env: []string{"SEQUENCER_MAX_SAFE_LAG"}, kind: kUint, def: "0", category: catSequencer,
		usage: "pause sequencing while unsafe - safe >= this many blocks; 0 never", key: "sequencer.max_safe_lag"},
	{name: "sequencer.l1-confs", env: []string{"SEQUENCER_L1_CONFS"}, kind: kUint, def: "4", category: catSequencer,
		usage: "L1 confirmations before a block can be the L1 origin of a new block", key: "sequencer.l1_confs"},
	{name: "sequencer.recover", env: []string{"SEQUENCER_RECOVER"}, kind: kBool, def: "false", category: catSequencer,
		usage: "recover mode: build the blocks derivation would (deposits only, next L1 origin)", key: "sequencer.recover"},
	{name: "sequencer.use-finalized", env: []string{"SEQUENCER_USE_FINALIZED"}, kind: kBool, def: "false", category: catSequencer,
		usage: "take only finalized L1 blocks as L1 origins", policy: refused, accept: []string{"false"},
		refuse: "opal's origin selector has no finalized-only mode; --sequencer.l1-confs keeps a distance from the L1 head"},
	{name: "conductor.enabled", env: []string{"CONDUCTOR_ENABLED"}, kind: kBool, def: "false", category: catSequencer,
		usage: "let op-conductor lead the sequencer", policy: refused, accept: []string{"false"},
		refuse: "opal has no op-conductor client: it would sequence and publish without asking the conductor"},
	{name: "conductor.rpc", env: []string{"CONDUCTOR_RPC"}, def: "http://127.0.0.1:8547", category: catSequencer,
		usage: "op-conductor's RPC", policy: noEffect, why: noConductor},
	{name: "conductor.rpc-timeout", env: []string{"CONDUCTOR_RPC_TIMEOUT"}, kind: kDuration, def: "1s", category: catSequencer,
		usage: "limit of one op-conductor call", policy: noEffect, why: noConductor},

	// 4. LOGGING, METRICS, DEBUGGING, AND API
	{name: "rpc.addr", env: []string{"RPC_ADDR"}, def: "127.0.0.1", category: catOperations,
		usage: "RPC listen address", key: "rpc.addr"},
	{name: "rpc.port", env: []string{"RPC_PORT"}, kind: kInt, def: "9545", category: catOperations,
		usage: "RPC listen port", key: "rpc.port"},
	{name: "rpc.enable-admin", env: []string{"RPC_ENABLE_ADMIN"}, kind: kBool, def: "false", category: catOperations,
		usage: "serve the admin_* API", key: "rpc.enable_admin"},
	{name: "rpc.admin-state", env: []string{"RPC_ADMIN_STATE"}, category: catOperations,
		usage: "file keeping what the admin API changed across restarts", policy: noEffect,
		why: "opal always keeps the sequencer's admin start/stop in its data dir and restores it at start (give --data-dir for it to last)"},
	{name: "metrics.enabled", env: []string{"METRICS_ENABLED"}, kind: kBool, def: "false", category: catOperations,
		usage: "serve Prometheus metrics, /healthz and the status page", key: "metrics.enabled"},
	{name: "metrics.addr", env: []string{"METRICS_ADDR"}, def: "0.0.0.0", category: catOperations,
		usage: "metrics listen address (opal's default 127.0.0.1)", key: "metrics.addr"},
	{name: "metrics.port", env: []string{"METRICS_PORT"}, kind: kInt, def: "7300", category: catOperations,
		usage: "metrics listen port", key: "metrics.port"},
	{name: "safedb.path", env: []string{"SAFEDB_PATH"}, category: catOperations,
		usage:  "where the safe-head index is kept: without --data-dir opal uses this directory as its data dir (heads and safe-head index)",
		policy: fallback, key: "data_dir",
		why: "opal keeps its safe-head index in its data dir, which is set (data_dir / --data-dir)"},
	{name: "fetch-withdrawal-root-from-state", env: []string{"FETCH_WITHDRAWAL_ROOT_FROM_STATE"}, kind: kBool, def: "false", category: catOperations,
		usage: "read the message passer's storage root from the state after Isthmus", policy: refused, accept: []string{"false"},
		refuse: "opal reads the message passer's storage root from the block header after Isthmus and has no state-proof path for it"},
	{name: "log.level", env: []string{"LOG_LEVEL"}, def: "info", category: catOperations,
		usage: "lowest level logged: trace, debug, info, warn, error, crit (opal logs crit as error)", key: "log.level", convert: logLevel},
	{name: "log.format", env: []string{"LOG_FORMAT"}, def: "text", category: catOperations,
		usage: "text, terminal, logfmt, json or json-pretty (opal writes the first three as text, the last two as json)", key: "log.format", convert: logFormat},
	{name: "log.color", env: []string{"LOG_COLOR"}, kind: kBool, def: "false", category: catOperations,
		usage: "color the terminal log", policy: noEffect, why: "opal's text log is not colored"},
	{name: "log.pid", env: []string{"LOG_PID"}, kind: kBool, def: "false", category: catOperations,
		usage: "put the pid in log lines", policy: noEffect, why: "opal does not put its pid in log lines"},
	{name: "pprof.enabled", env: []string{"PPROF_ENABLED"}, kind: kBool, def: "false", category: catOperations,
		usage: "serve the Go profiler (opal: on the metrics listener under /debug/pprof/, with --metrics.enabled)", key: "metrics.pprof",
		requires: func(c *Config) error {
			if c.Metrics.Pprof && !c.Metrics.Enabled {
				return fmt.Errorf("opal serves profiles on the metrics listener: add --metrics.enabled")
			}
			return nil
		}},
	{name: "pprof.addr", env: []string{"PPROF_ADDR"}, def: "0.0.0.0", category: catOperations,
		usage: "profiler listen address", policy: noEffect, why: pprofOnMetrics},
	{name: "pprof.port", env: []string{"PPROF_PORT"}, kind: kInt, def: "6060", category: catOperations,
		usage: "profiler listen port", policy: noEffect, why: pprofOnMetrics},
	{name: "pprof.path", env: []string{"PPROF_PATH"}, category: catOperations,
		usage: "file (or directory) a profile is written to", policy: refused, accept: []string{""},
		refuse: "opal writes no profile files; fetch profiles from /debug/pprof/ on the metrics listener"},
	{name: "pprof.type", env: []string{"PPROF_TYPE"}, category: catOperations,
		usage: "kind of the profile written to --pprof.path", policy: refused, accept: []string{""},
		refuse: "opal writes no profile files; fetch profiles from /debug/pprof/ on the metrics listener"},
	{name: "snapshotlog.file", env: []string{"SNAPSHOT_LOG"}, category: catOperations, hidden: true,
		usage: legacy, policy: noEffect, why: legacy},
	{name: "heartbeat.enabled", env: []string{"HEARTBEAT_ENABLED"}, kind: kBool, category: catOperations, hidden: true,
		usage: legacy, policy: noEffect, why: legacy},
	{name: "heartbeat.moniker", env: []string{"HEARTBEAT_MONIKER"}, category: catOperations, hidden: true,
		usage: legacy, policy: noEffect, why: legacy},
	{name: "heartbeat.url", env: []string{"HEARTBEAT_URL"}, category: catOperations, hidden: true,
		usage: legacy, policy: noEffect, why: legacy},

	// 5. PEER-TO-PEER (the --p2p.* flags are in p2pflags.go)
	{name: "syncmode.req-resp", env: []string{"SYNCMODE_REQ_RESP"}, kind: kBool, category: catP2P, hidden: true,
		usage: "legacy req/resp sync switch", policy: noEffect,
		why: "op-node v1.19 ignores it too; opal serves req/resp and fills unsafe gaps by it unless --p2p.sync.req-resp=false"},

	// 6. ALT-DA (EXPERIMENTAL)
	{name: "altda.enabled", env: []string{"ALTDA_ENABLED"}, kind: kBool, def: "false", category: catAltDA,
		usage: "Alt-DA mode: batches are commitments to data kept by a DA server", policy: refused, accept: []string{"false"},
		refuse: "opal has no Alt-DA client: it derives only from L1 calldata and blobs, so an Alt-DA chain's batches would be unreadable"},
	{name: "altda.da-server", env: []string{"ALTDA_DA_SERVER"}, category: catAltDA, usage: "DA server's HTTP address", policy: noEffect, why: noAltDA},
	{name: "altda.verify-on-read", env: []string{"ALTDA_VERIFY_ON_READ"}, kind: kBool, def: "true", category: catAltDA,
		usage: "check data read from the DA server against its commitment", policy: noEffect, why: noAltDA},
	{name: "altda.da-service", env: []string{"ALTDA_DA_SERVICE"}, kind: kBool, def: "false", category: catAltDA,
		usage: "the DA server makes the commitments", policy: noEffect, why: noAltDA},
	{name: "altda.put-timeout", env: []string{"ALTDA_PUT_TIMEOUT"}, kind: kDuration, def: "0s", category: catAltDA,
		usage: "limit of a put to the DA server", policy: noEffect, why: noAltDA},
	{name: "altda.get-timeout", env: []string{"ALTDA_GET_TIMEOUT"}, kind: kDuration, def: "0s", category: catAltDA,
		usage: "limit of a get from the DA server", policy: noEffect, why: noAltDA},
	{name: "altda.max-concurrent-da-requests", env: []string{"ALTDA_MAX_CONCURRENT_DA_REQUESTS"}, kind: kUint, def: "1", category: catAltDA,
		usage: "most DA server requests at once", policy: noEffect, why: noAltDA},

	// 7. MISC
	{name: "experimental.sequencer-api", env: []string{"EXPERIMENTAL_SEQUENCER_API"}, kind: kBool, def: "false", category: catMisc,
		usage: "serve the experimental test-sequencer RPC", policy: refused, accept: []string{"false"},
		refuse: "opal has no experimental sequencer API"},

	// 8. INTEROP (SUPER EXPERIMENTAL)
	{name: "interop.dependency-set", env: []string{"INTEROP_DEPENDENCY_SET"}, category: catInterop,
		usage: "interop dependency set file ({\"dependencies\":{\"<chain id>\":{}}})", key: "rollup.dependency_set_file"},
	{name: "interop.rpc.addr", env: []string{"INTEROP_RPC_ADDR"}, def: "127.0.0.1", category: catInterop,
		usage: "listen address of the RPC an interop supervisor syncs from", policy: refused, accept: []string{"127.0.0.1"},
		why: "it is op-node's default", refuse: noSupervisorRPC},
	{name: "interop.rpc.port", env: []string{"INTEROP_RPC_PORT"}, kind: kInt, def: "9645", category: catInterop,
		usage: "listen port of the RPC an interop supervisor syncs from", policy: refused, accept: []string{"9645"},
		why: "it is op-node's default", refuse: noSupervisorRPC},
	{name: "interop.jwt-secret", env: []string{"INTEROP_JWT_SECRET"}, category: catInterop,
		usage: "JWT secret of the RPC an interop supervisor syncs from", policy: refused, accept: []string{""}, refuse: noSupervisorRPC},
}

const noSupervisorRPC = "opal serves no RPC for an interop supervisor; a light node follows a verifying node with --l2.follow.source"

// overrideFlag is op-node's --override.<fork>: the fork's time, replacing
// the chain's own.
func overrideFlag(fork, field string) opNodeFlag {
	return opNodeFlag{name: "override." + fork, env: []string{"OVERRIDE_" + strings.ToUpper(fork)}, kind: kUint, category: catRollup,
		usage: "override the chain's " + field + " (a unix timestamp)", key: "rollup." + field}
}

func logLevel(v string) (string, error) {
	switch v = strings.ToLower(v); v {
	case "crit":
		return "error", nil
	case "trace", "debug", "info", "warn", "error":
		return v, nil
	}
	return "", fmt.Errorf("unknown level %q (trace, debug, info, warn, error, crit)", v)
}

func logFormat(v string) (string, error) {
	switch strings.ToLower(v) {
	case "text", "terminal", "logfmt":
		return "text", nil
	case "json", "json-pretty":
		return "json", nil
	}
	return "", fmt.Errorf("unknown format %q (text, terminal, logfmt, json, json-pretty)", v)
}

// opNodeByName finds an entry by its name or an alias.
var opNodeByName = func() map[string]*opNodeFlag {
	m := map[string]*opNodeFlag{}
	for i := range opNodeFlags {
		f := &opNodeFlags[i]
		m[f.name] = f
		for _, a := range f.aliases {
			m[a] = f
		}
	}
	return m
}()

// opNodeByEnv finds an entry by one of its variables (with OP_NODE_).
var opNodeByEnv = func() map[string]*opNodeFlag {
	m := map[string]*opNodeFlag{}
	for i := range opNodeFlags {
		for _, e := range opNodeFlags[i].env {
			m[opNodeEnvPrefix+e] = &opNodeFlags[i]
		}
	}
	return m
}()

// helpUsage is the line `opal run --help` shows for f.
func (f *opNodeFlag) helpUsage() string {
	u := f.usage
	switch f.policy {
	case noEffect:
		u += "; accepted, no effect in opal: " + f.why
	case refused:
		var ok []string
		for _, a := range f.accept {
			if a == "" {
				a = `""`
			}
			ok = append(ok, a)
		}
		u += "; opal accepts only " + strings.Join(ok, " or ") + ": " + f.refuse
	}
	if f.def != "" && !(f.kind == kBool && f.def == "false") {
		u += " (op-node's default " + f.def + ")"
	}
	var envs []string
	for _, e := range f.env {
		envs = append(envs, "$"+opNodeEnvPrefix+e)
	}
	if len(envs) > 0 {
		u += " [" + strings.Join(envs, ", ") + "]"
	}
	return u
}

// addOpNodeFlags defines op-node's flags on fs. Like opal's own, they have
// no defaults on the flag set: only a flag given overrides the file and the
// environment.
func addOpNodeFlags(fs *pflag.FlagSet) {
	for i := range opNodeFlags {
		f := &opNodeFlags[i]
		for j, name := range append([]string{f.name}, f.aliases...) {
			usage := f.helpUsage()
			if j > 0 {
				usage = "op-node's other name of --" + f.name
			}
			switch f.kind {
			case kBool:
				fs.Bool(name, false, usage)
			case kInt:
				fs.Int(name, 0, usage)
			case kUint:
				fs.Uint64(name, 0, usage)
			case kFloat:
				fs.Float64(name, 0, usage)
			case kDuration:
				fs.Duration(name, 0, usage)
			case kList:
				fs.StringSlice(name, nil, usage)
			default:
				fs.String(name, "", usage)
			}
			if j > 0 || f.hidden {
				_ = fs.MarkHidden(name)
			}
		}
	}
}

// parse checks a value of f and returns it typed (for koanf) and as
// canonical text (for comparing with accept).
func (f *opNodeFlag) parse(raw string) (any, string, error) {
	raw = strings.TrimSpace(raw)
	switch f.kind {
	case kBool:
		b, err := strconv.ParseBool(raw)
		return b, strconv.FormatBool(b), err
	case kInt:
		n, err := strconv.ParseInt(raw, 10, 64)
		return n, strconv.FormatInt(n, 10), err
	case kUint:
		n, err := strconv.ParseUint(raw, 10, 64)
		return n, strconv.FormatUint(n, 10), err
	case kFloat:
		x, err := strconv.ParseFloat(raw, 64)
		return x, strconv.FormatFloat(x, 'g', -1, 64), err
	case kDuration:
		d, err := time.ParseDuration(raw)
		return d.String(), d.String(), err
	case kList:
		var out []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, strings.Join(out, ","), nil
	default:
		if f.convert != nil {
			v, err := f.convert(raw)
			return v, v, err
		}
		return raw, raw, nil
	}
}

// opNodeInput collects op-node flags and variables as Load meets them:
// mapped ones go straight into koanf, in precedence order; the others are
// judged once at the end, on the value that won (a flag over a variable).
type opNodeInput struct {
	given map[*opNodeFlag]givenValue
	// order keeps the judged flags in the order they were first given.
	order []*opNodeFlag
}

type givenValue struct {
	source string // "--name" or "OP_NODE_X", for messages
	raw    string
}

func newOpNodeInput() *opNodeInput { return &opNodeInput{given: map[*opNodeFlag]givenValue{}} }

// set applies one value of f from source.
func (in *opNodeInput) set(k *koanf.Koanf, f *opNodeFlag, source, raw string) error {
	v, canon, err := f.parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if _, seen := in.given[f]; !seen {
		in.order = append(in.order, f)
	}
	in.given[f] = givenValue{source: source, raw: canon}
	if f.policy == mapped {
		if err := k.Set(f.key, v); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
	}
	return nil
}

// loadEnv applies op-node's OP_NODE_* variables (the --p2p.* ones are
// loadP2PEnv's). opal's OPAL_* variables and the flags come after and win.
func (in *opNodeInput) loadEnv(k *koanf.Koanf, environ []string) error {
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if f, known := opNodeByEnv[name]; known {
			if err := in.set(k, f, name, val); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadFlag applies fl if it is one of op-node's flags; it reports whether
// it was.
func (in *opNodeInput) loadFlag(k *koanf.Koanf, fl *pflag.Flag) (bool, error) {
	f, ok := opNodeByName[fl.Name]
	if !ok {
		return false, nil
	}
	raw := fl.Value.String()
	if sv, isSlice := fl.Value.(pflag.SliceValue); isSlice {
		raw = strings.Join(sv.GetSlice(), ",")
	}
	return true, in.set(k, f, "--"+fl.Name, raw)
}

// judge applies the policies of the flags that were given: it returns
// the ones without effect (by flag name, with why) and refuses the values
// opal cannot honour. A fallback sets its key here, if nothing else did;
// it reports whether safedb.path became the data dir.
func (in *opNodeInput) judge(k *koanf.Koanf) (ignored map[string]string, safeDBDataDir bool, err error) {
	ignored = map[string]string{}
	note := func(f *opNodeFlag, src, why string) {
		if !strings.HasPrefix(src, "--") {
			why += " (set by " + src + ")"
		}
		ignored[f.name] = why
	}
	for _, f := range in.order {
		g := in.given[f]
		switch f.policy {
		case noEffect:
			if len(f.accept) > 0 && !slices.Contains(f.accept, strings.ToLower(g.raw)) {
				return nil, false, fmt.Errorf("%s %q: not a valid value (want %s)", g.source, g.raw, strings.Join(f.accept, ", "))
			}
			note(f, g.source, f.why)
		case refused:
			if !slices.Contains(f.accept, strings.ToLower(g.raw)) {
				return nil, false, fmt.Errorf("%s %q: refused: %s", g.source, g.raw, f.refuse)
			}
			why := f.why
			if why == "" {
				why = "it asks for nothing different from op-node's default"
			}
			note(f, g.source, why)
		case fallback:
			if k.Exists(f.key) {
				note(f, g.source, f.why)
				continue
			}
			if err := k.Set(f.key, g.raw); err != nil {
				return nil, false, fmt.Errorf("%s: %w", g.source, err)
			}
			safeDBDataDir = f.name == "safedb.path"
		}
	}
	return ignored, safeDBDataDir, nil
}

// check runs the requires checks of the flags that were given.
func (in *opNodeInput) check(cfg *Config) error {
	for _, f := range in.order {
		if f.requires == nil {
			continue
		}
		if err := f.requires(cfg); err != nil {
			return fmt.Errorf("%s: %w", in.given[f].source, err)
		}
	}
	return nil
}

// flagCategory is the help group of a flag of fs: op-node's category for
// op-node's flags (the --p2p.* and --signer.* ones are PEER-TO-PEER), else
// opal's own.
func flagCategory(name string) string {
	if f, ok := opNodeByName[name]; ok {
		return f.category
	}
	if name == "p2p.scoring.invalid-gossip" {
		return catOpal
	}
	if strings.HasPrefix(name, "p2p.") || strings.HasPrefix(name, "signer.") {
		return catP2P
	}
	return catOpal
}

// p2pEnv is the OP_NODE_P2P_* variable of each --p2p.* flag, for the help.
var p2pEnv = func() map[string]string {
	m := map[string]string{"p2p.disable": "OP_NODE_P2P_DISABLE"}
	for _, f := range p2pFlags {
		if f.env != "" {
			m[f.name] = "OP_NODE_P2P_" + f.env
		}
	}
	return m
}()

// printUsage writes fs's flags grouped as op-node's help groups them.
func printUsage(fs *pflag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "usage: opal %s [flags]\n\n", fs.Name())
	fmt.Fprint(w, `op-node's flags keep their names, meanings and variables (OP_NODE_*). A flag opal
accepts without effect is logged once at start; a value asking for what opal does
not have is refused, naming the flag. Precedence: the config file, then OP_NODE_*
variables, then opal's OPAL_<KEY> variables, then flags.
`)
	groups := map[string]*pflag.FlagSet{}
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Hidden {
			return
		}
		cat := flagCategory(fl.Name)
		if groups[cat] == nil {
			groups[cat] = pflag.NewFlagSet(cat, pflag.ContinueOnError)
		}
		if env := p2pEnv[fl.Name]; env != "" {
			shown := *fl
			shown.Usage += " [$" + env + "]"
			fl = &shown
		}
		groups[cat].AddFlag(fl)
	})
	for _, cat := range categories {
		g := groups[cat]
		if cat == catMisc {
			if g == nil {
				g = pflag.NewFlagSet(cat, pflag.ContinueOnError)
			}
			g.BoolP("help", "h", false, "show this help")
		}
		if g == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s\n%s", cat, g.FlagUsagesWrapped(120))
	}
}
