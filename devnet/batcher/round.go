package batcher

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
)

// The steps of a round, in the order Step runs them.

// checkChain compares the L1's chain id with the configured one, once.
func (b *Batcher) checkChain(ctx context.Context) error {
	if b.chainOK {
		return nil
	}
	id, err := b.l1.ChainID(ctx)
	if err != nil {
		return fmt.Errorf("L1 chain id: %w", err)
	}
	if id.Cmp(b.cfg.L1ChainID) != 0 {
		return fmt.Errorf("%w: L1 serves %v, configured %v", ErrL1ChainID, id, b.cfg.L1ChainID)
	}
	b.chainOK = true
	return nil
}

// parent returns the block the next channel builds on: the last posted
// block, or the safe head when nothing is posted, when the posted block
// was reorged out of L2, when derivation is past it, or when the safe head
// has stood still for ResubmitTimeout behind it (the data got lost).
func (b *Batcher) parent(ctx context.Context, safe eth.BlockID) (eth.BlockID, error) {
	if safe != b.safeSeen {
		b.safeSeen, b.safeMoved = safe, time.Now()
	}
	if b.posted == nil {
		return safe, nil
	}
	if safe.Number >= b.posted.Number {
		b.posted = nil
		return safe, nil
	}
	cur, err := b.l2.head(ctx, hexutil.EncodeUint64(b.posted.Number))
	switch {
	case errors.Is(err, errBlockNotFound) || err == nil && cur.Hash != b.posted.Hash:
		b.cfg.Logger.Warn("L2 reorg below the posted head; posting again from the safe head",
			"posted", b.posted.Number, "posted_hash", b.posted.Hash, "now", cur.Hash, "safe", safe.Number)
		b.posted = nil
		return safe, nil
	case err != nil:
		return eth.BlockID{}, err
	}
	if time.Since(b.safeMoved) > b.cfg.ResubmitTimeout {
		b.cfg.Logger.Warn("safe head stalled behind the posted blocks; posting again from the safe head",
			"safe", safe.Number, "posted", b.posted.Number, "stalled_for", time.Since(b.safeMoved).Round(time.Millisecond))
		b.posted = nil
		return safe, nil
	}
	return *b.posted, nil
}

// readBlocks reads the blocks after parent up to end, checking that each
// builds on the one before. A break means L2 reorged during the read: the
// round ends empty and the next one starts over from the safe head.
func (b *Batcher) readBlocks(ctx context.Context, parent eth.BlockID, end uint64) ([]Block, error) {
	blocks := make([]Block, 0, end-parent.Number)
	prev := parent.Hash
	for n := parent.Number + 1; n <= end; n++ {
		blk, err := b.l2.block(ctx, n)
		if err != nil {
			return nil, err
		}
		if blk.ParentHash != prev {
			b.cfg.Logger.Warn("L2 reorg while reading blocks; starting over from the safe head",
				"block", n, "parent", blk.ParentHash, "expected", prev)
			b.posted = nil
			return nil, nil
		}
		blocks = append(blocks, *blk)
		prev = blk.Hash
	}
	return blocks, nil
}

// build encodes blocks as a channel with a fresh random id, halving the
// block count while the channel is too large for derivation to read.
func (b *Batcher) build(blocks []Block, l1Time uint64) (*built, error) {
	enc, err := b.cfg.encodingAt(l1Time, blocks[0].L1OriginTime)
	if err != nil {
		return nil, err
	}
	var id frame.ChannelID
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("channel id: %w", err)
	}
	for {
		ch, err := buildChannel(b.cfg.Rollup, id, blocks, enc)
		if errors.Is(err, errChannelTooLarge) && len(blocks) > 1 {
			blocks = blocks[:len(blocks)/2]
			continue
		}
		return ch, err
	}
}

// post sends the channel's frames in order, each transaction waiting for
// the one before, and returns the transaction hashes and the L1 block of
// the last one.
func (b *Batcher) post(ctx context.Context, ch *built) ([]common.Hash, uint64, error) {
	var (
		hashes []common.Hash
		rcpt   *types.Receipt
		err    error
	)
	if ch.enc.blobs {
		groups, gerr := ch.blobs(b.cfg.MaxBlobsPerTx)
		if gerr != nil {
			return nil, 0, gerr
		}
		for _, g := range groups {
			if rcpt, err = b.send.post(ctx, nil, g); err != nil {
				return hashes, 0, err
			}
			hashes = append(hashes, rcpt.TxHash)
		}
	} else {
		for _, data := range ch.calldata() {
			if rcpt, err = b.send.post(ctx, data, nil); err != nil {
				return hashes, 0, err
			}
			hashes = append(hashes, rcpt.TxHash)
		}
	}
	return hashes, rcpt.BlockNumber.Uint64(), nil
}

func (b *Batcher) record(ch *built, txs int, last eth.BlockID, l1Block uint64) {
	b.statsMu.Lock()
	defer b.statsMu.Unlock()
	s := &b.stats
	s.Channels++
	s.Frames += uint64(len(ch.frames))
	s.Txs += uint64(txs)
	if ch.enc.blobs {
		s.Blobs += uint64(len(ch.frames))
	}
	s.L2Blocks += uint64(len(ch.blocks))
	s.Bytes += uint64(ch.size())
	s.LastL2Block, s.LastL1Block = last, l1Block
}
