// Package batcher is the embedded devnet's batcher. It reads new L2 blocks
// from the L2 execution node, encodes them as a channel of span (or
// singular) batches and posts the channel's frames to the batch inbox on
// L1, in blobs or calldata, signed by the system config's batcher key.
//
// It encodes with the deriver's own codecs (frame, channel, batch, blob), so
// what it posts is exactly what opal's derivation reads back. Every round
// closes its channel: a devnet wants blocks to become safe within seconds,
// not to save L1 gas.
package batcher

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/sdk/eth"
)

// ErrL1ChainID is returned when the L1 endpoint serves another chain than
// the configured one; Run stops on it, since no retry can fix it.
var ErrL1ChainID = errors.New("L1 chain id mismatch")

// Stats counts what the batcher has posted since it started.
type Stats struct {
	Channels uint64
	Frames   uint64
	Txs      uint64
	Blobs    uint64
	L2Blocks uint64
	// Bytes is the batcher data posted: version bytes and frames, before
	// blob encoding.
	Bytes uint64
	// LastL2Block is the newest L2 block posted; LastL1Block the L1 block
	// that included the last batcher transaction.
	LastL2Block eth.BlockID
	LastL1Block uint64
}

// Batcher posts L2 blocks to L1. Its methods are safe for concurrent use;
// rounds run one at a time.
type Batcher struct {
	cfg  Config
	l1   *ethclient.Client
	l2   *l2Client
	send *sender

	mu sync.Mutex // serialises rounds and guards the fields below
	// posted is the last L2 block posted, nil when the next round starts
	// from the safe head.
	posted *eth.BlockID
	// safeSeen and safeMoved detect a safe head that no longer follows
	// what was posted.
	safeSeen  eth.BlockID
	safeMoved time.Time
	chainOK   bool

	statsMu sync.Mutex
	stats   Stats
}

// New checks the config and connects the L1 and L2 clients. It does not
// contact either node; the first round does.
func New(cfg Config) (*Batcher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	l1, err := ethclient.Dial(cfg.L1RPC)
	if err != nil {
		return nil, fmt.Errorf("batcher: L1 RPC: %w", err)
	}
	l2, err := rpc.Dial(cfg.L2RPC)
	if err != nil {
		l1.Close()
		return nil, fmt.Errorf("batcher: L2 RPC: %w", err)
	}
	b := &Batcher{cfg: cfg, l1: l1, l2: &l2Client{rpc: l2, cfg: cfg.Rollup}}
	b.send = &sender{l1: l1, cfg: &b.cfg, from: crypto.PubkeyToAddress(cfg.Key.PublicKey), signer: types.NewCancunSigner(cfg.L1ChainID)}
	return b, nil
}

// Close releases the RPC clients.
func (b *Batcher) Close() {
	b.l1.Close()
	b.l2.rpc.Close()
}

// Stats returns a snapshot of the counters.
func (b *Batcher) Stats() Stats {
	b.statsMu.Lock()
	defer b.statsMu.Unlock()
	return b.stats
}

// Run posts rounds until ctx ends, then returns nil. A failed round is
// logged and retried after PollInterval; only ErrL1ChainID ends Run early.
func (b *Batcher) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		n, err := b.Step(ctx)
		switch {
		case errors.Is(err, ErrL1ChainID):
			return err
		case err != nil && ctx.Err() == nil:
			b.cfg.Logger.Warn("batcher round failed", "err", err)
		}
		next := b.cfg.PollInterval
		if n == b.cfg.MaxBlocksPerChannel {
			next = 0 // behind: post the next channel at once
		}
		timer.Reset(next)
	}
}

// Step runs one round: it posts the L2 blocks after the last posted block
// (or the safe head) up to the unsafe head, at most MaxBlocksPerChannel, as
// one channel, and waits until L1 includes every frame. It returns the
// number of L2 blocks posted, 0 when there was nothing new.
func (b *Batcher) Step(ctx context.Context) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.checkChain(ctx); err != nil {
		return 0, err
	}
	safe, err := b.l2.head(ctx, "safe")
	if err != nil {
		return 0, err
	}
	latest, err := b.l2.head(ctx, "latest")
	if err != nil {
		return 0, err
	}
	parent, err := b.parent(ctx, safe)
	if err != nil {
		return 0, err
	}
	if latest.Number <= parent.Number {
		return 0, nil
	}
	blocks, err := b.readBlocks(ctx, parent, min(latest.Number, parent.Number+uint64(b.cfg.MaxBlocksPerChannel)))
	if err != nil || len(blocks) == 0 {
		return 0, err
	}
	l1Head, err := b.l1.HeaderByNumber(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("L1 head: %w", err)
	}
	ch, err := b.build(blocks, l1Head.Time)
	if err != nil {
		return 0, err
	}
	hashes, l1Block, err := b.post(ctx, ch)
	if err != nil {
		return 0, fmt.Errorf("posting channel %s: %w", ch.id, err)
	}
	last := ch.blocks[len(ch.blocks)-1].ID()
	if b.posted == nil {
		b.safeMoved = time.Now() // a new run of posts starts its clock
	}
	b.posted = &last
	b.record(ch, len(hashes), last, l1Block)
	b.cfg.Logger.Info("posted channel", "channel", ch.id, "l2_blocks", len(ch.blocks),
		"first", ch.blocks[0].Number, "last", last.Number, "frames", len(ch.frames), "bytes", ch.size(),
		"compression", ch.enc.algo, "span", ch.enc.span, "blobs", ch.enc.blobs, "txs", hashes, "l1_block", l1Block)
	return len(ch.blocks), nil
}
