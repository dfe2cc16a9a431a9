package pipeline

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Config configures a Pipeline.
type Config struct {
	// Rollup is the chain's rollup configuration. Required.
	Rollup *rollup.Config
	// L1 is the L1 chain config. The L1-info deposit needs it from Ecotone
	// on, to compute the blob base fee from the L1 header; nil is fine for
	// chains without Ecotone.
	L1 *params.ChainConfig
	// SafeChain reads L2 safe blocks the pipeline did not derive itself
	// (those before its last reset), which overlapping span batches are
	// checked against. Optional: without it such a batch cannot be decided
	// and Step reports a temporary error.
	SafeChain SafeChain
	// DecodeBlob turns a blob into batcher data. Nil uses the blob
	// encoding of the spec (see decodeBlob). A decoding error drops the blob.
	DecodeBlob func(*kzg4844.Blob) ([]byte, error)
	// ExtraBatchers are accepted as batch senders next to the system
	// config's batcher. The spec accepts only that one: this is for
	// variants of the rules (A/B derivation), never for a node following a
	// chain.
	ExtraBatchers []common.Address
	// Logger receives what the pipeline drops and why; nil discards it.
	// Logging never changes the pipeline's results.
	Logger *slog.Logger
}

// SafeChain is the read access to the L2 safe chain the pipeline needs for
// blocks it did not derive itself: the part of the core's host service it
// uses. Span batches that overlap the safe chain are checked against its
// blocks; a parent the pipeline has not seen gets its system config here.
type SafeChain interface {
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	PayloadByNumber(ctx context.Context, number uint64) (*eth.ExecutionPayloadEnvelope, error)
	SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error)
}

func (c *Config) check() error {
	if c == nil || c.Rollup == nil {
		return errors.New("pipeline: rollup config required")
	}
	if c.Rollup.BlockTime == 0 {
		return errors.New("pipeline: rollup block_time must be > 0")
	}
	if c.Rollup.L2ChainID == nil || c.Rollup.L2ChainID.Sign() <= 0 {
		return errors.New("pipeline: rollup l2_chain_id must be set")
	}
	if c.Rollup.L1ChainID == nil || c.Rollup.L1ChainID.Sign() <= 0 {
		return errors.New("pipeline: rollup l1_chain_id must be set")
	}
	return nil
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}
