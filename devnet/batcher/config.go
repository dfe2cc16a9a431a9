package batcher

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/plugins/deriver/blob"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/rollup"
)

// Defaults for the zero fields of a Config.
const (
	// DefaultCalldataFrameSize is the encoded frame size (overhead
	// included) of a calldata transaction: op-batcher's default, well below
	// the L1's 128 KiB transaction size limit.
	DefaultCalldataFrameSize = 120_000
	// MaxBlobFrameSize is the largest frame a blob carries: the blob payload
	// minus the derivation version byte in front of the frame.
	MaxBlobFrameSize = blob.MaxDataSize - 1
	// DefaultMaxBlobsPerTx is the per-transaction blob limit of L1 Cancun
	// through Osaka (EIP-4844, EIP-7594).
	DefaultMaxBlobsPerTx = params.BlobTxMaxBlobs
	// DefaultMaxBlocksPerChannel bounds a channel so that a round posts
	// promptly even when the batcher has fallen behind.
	DefaultMaxBlocksPerChannel = 100
	DefaultPollInterval        = 500 * time.Millisecond
	DefaultTxTimeout           = time.Minute
	DefaultResubmitTimeout     = 2 * time.Minute
)

// DefaultMinTipCap is the smallest priority fee the batcher offers: a dev L1
// suggests tips near zero, which some pools and miners refuse.
var DefaultMinTipCap = big.NewInt(params.GWei)

// Config configures a Batcher. Start from DefaultConfig: the zero Config
// posts singular batches in calldata, since UseBlobs and Span are plain
// booleans.
type Config struct {
	// UpdatedBatcher says the key belongs to a batcher set on L1 after
	// genesis (a system config update), so it is not checked against the
	// genesis batcher.
	UpdatedBatcher bool
	// Rollup is the chain's rollup config. It names the batch inbox, the
	// batcher address (genesis system config), the fork times that decide
	// compression, batch type and blob use, and the L2 chain id span
	// batches are built for.
	Rollup *rollup.Config
	// L2RPC is the JSON-RPC URL of the L2 execution node, read for the
	// safe head and for unsafe blocks with their transactions.
	L2RPC string
	// L1RPC is the JSON-RPC URL of the L1 the batcher posts to.
	L1RPC string
	// Key signs batcher transactions. Its address must be the batcher
	// address of the rollup's genesis system config: derivation ignores
	// inbox transactions from anyone else.
	Key *ecdsa.PrivateKey
	// L1ChainID is the L1 chain id used to sign; nil means the rollup
	// config's l1_chain_id. It is checked against the L1's eth_chainId.
	L1ChainID *big.Int
	// L1ChainConfig, when set, decides the blob sidecar format: cell
	// proofs (version 1) once the L1 head is at Osaka, one proof per blob
	// before. Without it the batcher starts with version 0 and switches
	// when the L1's pool says it wants the other version.
	L1ChainConfig *params.ChainConfig

	// UseBlobs posts frames in blobs (type 3 transactions) once Ecotone is
	// active at the L1 head; otherwise, or when false, in calldata.
	UseBlobs bool
	// Span posts span batches once Delta is active; otherwise, or when
	// false, one singular batch per L2 block.
	Span bool
	// Compression is the channel compression. Zero picks brotli when Fjord
	// is active at the L1 head time and zlib before. Brotli before Fjord is
	// an error: derivation would drop the channel.
	Compression channel.Algo
	// MaxFrameSize is the encoded size of a frame, overhead included.
	// Zero means DefaultCalldataFrameSize for calldata and
	// MaxBlobFrameSize for blobs; with blobs it may not exceed the latter.
	MaxFrameSize int
	// MaxBlobsPerTx is the number of blobs (frames) per blob transaction;
	// zero means DefaultMaxBlobsPerTx.
	MaxBlobsPerTx int
	// MaxBlocksPerChannel bounds the L2 blocks one round puts in its
	// channel; zero means DefaultMaxBlocksPerChannel. Every round posts
	// whatever is pending up to this bound, so channels close at once.
	MaxBlocksPerChannel int

	// PollInterval is the pause between rounds and between receipt polls.
	PollInterval time.Duration
	// TxTimeout is how long a transaction may stay unincluded before the
	// batcher doubles its fees and sends it again with the same nonce.
	TxTimeout time.Duration
	// ResubmitTimeout is how long the L2 safe head may stay behind the
	// last posted block without moving before the batcher concludes the
	// data was lost (for example in an L1 reorg) and posts again from the
	// safe head. Posting a block twice is harmless: derivation skips
	// batches the safe chain already covers.
	ResubmitTimeout time.Duration
	// MinTipCap is the smallest priority fee offered; nil means
	// DefaultMinTipCap.
	MinTipCap *big.Int

	// Logger receives one line per posted channel and the errors of
	// failed rounds; nil discards.
	Logger hclog.Logger
}

// DefaultConfig returns the devnet defaults: blobs, span batches,
// compression by fork. The caller fills Rollup, the URLs and Key.
func DefaultConfig() Config {
	return Config{UseBlobs: true, Span: true}
}

// withDefaults validates the config and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Rollup == nil {
		return c, errors.New("batcher: rollup config is required")
	}
	if c.L2RPC == "" {
		errs = append(errs, errors.New("L2 RPC URL is required"))
	}
	if c.L1RPC == "" {
		errs = append(errs, errors.New("L1 RPC URL is required"))
	}
	if c.Key == nil {
		errs = append(errs, errors.New("batcher key is required"))
	} else if addr, want := crypto.PubkeyToAddress(c.Key.PublicKey), c.Rollup.Genesis.SystemConfig.BatcherAddr; addr != want && !c.UpdatedBatcher {
		errs = append(errs, fmt.Errorf("batcher key is for %s, the system config's batcher is %s", addr, want))
	}
	if c.L1ChainID == nil {
		c.L1ChainID = c.Rollup.L1ChainID
	}
	if c.L1ChainID == nil || c.L1ChainID.Sign() <= 0 {
		errs = append(errs, errors.New("L1 chain id is required"))
	}
	if c.Rollup.L2ChainID == nil || c.Rollup.L2ChainID.Sign() <= 0 {
		errs = append(errs, errors.New("rollup config has no L2 chain id"))
	}
	switch c.Compression {
	case 0, channel.Zlib, channel.Brotli:
	default:
		errs = append(errs, fmt.Errorf("unknown compression %s", c.Compression))
	}
	if c.MaxFrameSize < 0 || c.MaxFrameSize > 0 && c.MaxFrameSize <= frame.FrameOverhead {
		errs = append(errs, fmt.Errorf("max frame size %d leaves no room for data", c.MaxFrameSize))
	}
	if c.UseBlobs && c.MaxFrameSize > MaxBlobFrameSize {
		errs = append(errs, fmt.Errorf("max frame size %d does not fit a blob (max %d)", c.MaxFrameSize, MaxBlobFrameSize))
	}
	if c.MaxBlobsPerTx == 0 {
		c.MaxBlobsPerTx = DefaultMaxBlobsPerTx
	}
	if c.MaxBlobsPerTx < 0 || c.MaxBlobsPerTx > params.BlobTxMaxBlobs {
		errs = append(errs, fmt.Errorf("max blobs per tx %d outside [1, %d]", c.MaxBlobsPerTx, params.BlobTxMaxBlobs))
	}
	if c.MaxBlocksPerChannel == 0 {
		c.MaxBlocksPerChannel = DefaultMaxBlocksPerChannel
	}
	if c.MaxBlocksPerChannel < 0 {
		errs = append(errs, fmt.Errorf("max blocks per channel %d is negative", c.MaxBlocksPerChannel))
	}
	c.PollInterval = orDefault(c.PollInterval, DefaultPollInterval)
	c.TxTimeout = orDefault(c.TxTimeout, DefaultTxTimeout)
	c.ResubmitTimeout = orDefault(c.ResubmitTimeout, DefaultResubmitTimeout)
	if c.MinTipCap == nil {
		c.MinTipCap = DefaultMinTipCap
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("batcher config: %w", err)
	}
	return c, nil
}

// frameSize is the frame size for calldata or blob transactions.
func (c *Config) frameSize(blobs bool) int {
	switch {
	case c.MaxFrameSize > 0:
		return c.MaxFrameSize
	case blobs:
		return MaxBlobFrameSize
	default:
		return DefaultCalldataFrameSize
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
