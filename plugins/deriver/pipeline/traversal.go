package pipeline

import (
	"fmt"
	"log/slog"

	"github.com/opalnode/opal/plugins/deriver/sysconfig"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// maxQueuedL1Blocks bounds how far the caller may feed ahead of derivation.
// The core feeds one block per NeedL1, so this is only a guard against a
// runaway caller; it is far above any channel timeout or sequencing window
// a deriver needs to look ahead.
const maxQueuedL1Blocks = 1 << 14

// traversal walks the L1 chain block by block. It owns the blocks fed but not
// yet read, checks that each one builds on the one before (an L1 reorg shows
// up as a parent-hash mismatch and is reported as eth.ErrReset), and keeps
// the system config used to authenticate batcher transactions, applying each
// block's ConfigUpdate logs before the block's batcher data is read.
type traversal struct {
	cfg *rollup.Config
	log *slog.Logger

	start  eth.L1BlockRef // the first block to be fed after a reset
	cur    fedBlock       // data is nil before the first block is fed
	queue  []fedBlock
	tail   eth.L1BlockRef // the last block fed; valid when fed is true
	fed    bool
	sysCfg eth.SystemConfig
}

func (t *traversal) reset(start eth.L1BlockRef, sysCfg eth.SystemConfig) {
	t.start, t.sysCfg = start, sysCfg
	t.cur, t.queue, t.fed = fedBlock{}, nil, false
	t.tail = eth.L1BlockRef{}
}

// add queues the next L1 block. The first block after a reset must be the
// reset's start block itself; every later one must be the child of the
// previous one.
func (t *traversal) add(d *eth.L1BlockData, ref eth.L1BlockRef) error {
	switch {
	case !t.fed:
		if ref.Hash != t.start.Hash {
			return resetErr("first L1 block %s is not the reset start %s", ref, t.start)
		}
		// The start block's ConfigUpdate logs are already reflected in
		// the reset's system config: read its data with that config.
		t.cur = fedBlock{d, ref}
	case ref.ParentHash != t.tail.Hash || ref.Number != t.tail.Number+1:
		return resetErr("L1 block %s (parent %s) does not build on %s", ref, ref.ParentHash.TerminalString(), t.tail)
	case len(t.queue) >= maxQueuedL1Blocks:
		return fmt.Errorf("%w: more than %d L1 blocks fed ahead of derivation", eth.ErrInvalidArgument, maxQueuedL1Blocks)
	default:
		t.queue = append(t.queue, fedBlock{d, ref})
	}
	t.tail, t.fed = ref, true
	return nil
}

// Origin is the L1 block derivation reads: the current block, or the reset
// start before it is fed.
func (t *traversal) Origin() eth.L1BlockRef {
	if t.cur.data != nil {
		return t.cur.ref
	}
	return t.start
}

// Current returns the block being read and the system config to
// authenticate its batcher transactions with; nil before the first block.
func (t *traversal) Current() (*eth.L1BlockData, eth.SystemConfig) {
	return t.cur.data, t.sysCfg
}

// advance moves to the next fed block and applies its system config
// updates. It reports false when no block is queued: the caller must feed
// one.
func (t *traversal) advance() bool {
	if len(t.queue) == 0 {
		return false
	}
	next := t.queue[0]
	t.queue[0] = fedBlock{}
	t.queue = t.queue[1:]
	// A malformed update is skipped and the rest still apply, as in
	// op-node's traversal; it is not a reason to stop reading L1.
	if err := sysconfig.ApplyReceipts(&t.sysCfg, next.data.Receipts, t.cfg.L1SystemConfigAddress, t.cfg, next.ref.Time); err != nil {
		t.log.Warn("skipped malformed system config update", "block", next.ref, "err", err)
	}
	t.cur = next
	return true
}

// fedBlock is a fed L1 block with its reference, computed once.
type fedBlock struct {
	data *eth.L1BlockData
	ref  eth.L1BlockRef
}

// checkBlockData rejects L1 block data a deriver cannot even reference.
func checkBlockData(d *eth.L1BlockData) error {
	if d == nil || d.Header == nil || d.Header.Number == nil || !d.Header.Number.IsUint64() {
		return fmt.Errorf("%w: L1 block data without a valid header", eth.ErrInvalidArgument)
	}
	return nil
}
