package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// How much of the L2 chain the pipeline remembers. References are small
// and let overlapping span batches be checked without the host; block
// transactions are kept for fewer blocks since they can be large.
const (
	keepRefs = 8192
	keepTxs  = 256
)

// errNoSafeChain is returned for an L2 lookup the pipeline cannot answer
// from what it derived and has no SafeChain for.
var errNoSafeChain = errors.New("no L2 safe chain reader configured")

// chainRecord remembers the L2 chain derivation runs on: the parents Step
// was called with (by number), the transactions and the resulting system
// config of the blocks it derived. It answers the batch stages' safe chain
// questions and gives the attributes builder each parent's system config,
// asking the SafeChain only for blocks from before the last reset.
type chainRecord struct {
	cfg  *rollup.Config
	safe SafeChain // optional

	head    eth.L2BlockRef
	top     uint64 // highest number in refs
	refs    map[uint64]eth.L2BlockRef
	txs     map[common.Hash][][]byte
	configs map[common.Hash]eth.SystemConfig
	// built is the last result handed out: the next parent is
	// recognized as its block by parent hash and timestamp.
	built *Result
}

func (c *chainRecord) reset(safeHead eth.L2BlockRef, sysCfg eth.SystemConfig) {
	c.head, c.top = safeHead, safeHead.Number
	c.refs = map[uint64]eth.L2BlockRef{safeHead.Number: safeHead}
	c.txs = make(map[common.Hash][][]byte)
	c.configs = map[common.Hash]eth.SystemConfig{safeHead.Hash: sysCfg}
	c.built = nil
}

// observe records parent as the head of the safe chain and returns it as
// derivation must see it. Blocks above it are forgotten; so is everything
// below when parent does not build on the block recorded before it.
//
// A parent that is the block built from the last result (same parent and
// timestamp) takes its L1 origin and sequence number from that result: they
// are what the block's L1-info deposit says, where the caller's reference
// claims none. A reference that names another origin or sequence number
// is another block on the same parent (an A/B shadow is stepped on the
// primary's chain, which its own result may differ from), and is taken as
// the caller gives it.
func (c *chainRecord) observe(parent eth.L2BlockRef) eth.L2BlockRef {
	if b := c.built; b != nil && parent.ParentHash == b.Parent.Hash && parent.Time == b.Attributes.Timestamp &&
		parent.Number == b.Parent.Number+1 && (parent.L1Origin == eth.BlockID{} || parent.L1Origin == b.L1Origin && parent.SequenceNumber == b.SequenceNumber) {
		c.configs[parent.Hash] = b.Next
		c.txs[parent.Hash] = b.Attributes.Transactions
		parent.L1Origin, parent.SequenceNumber = b.L1Origin, b.SequenceNumber
	}
	c.head = parent
	if old, ok := c.refs[parent.Number]; ok && old == parent {
		return parent
	}
	if parent.Number < c.top {
		for n := range c.refs {
			if n > parent.Number {
				delete(c.refs, n)
			}
		}
	}
	if below, ok := c.refs[parent.Number-1]; parent.Number == 0 || (ok && below.Hash != parent.ParentHash) {
		clear(c.refs)
	}
	c.refs[parent.Number] = parent
	c.top = parent.Number
	c.prune()
	return parent
}

// prune forgets old blocks. It runs its loops only once the record has
// grown well past its bounds, so that its cost per block stays constant.
func (c *chainRecord) prune() {
	n := c.head.Number
	if len(c.refs) > keepRefs+keepRefs/4 {
		for k := range c.refs {
			if k+keepRefs < n {
				delete(c.refs, k)
			}
		}
	}
	if len(c.txs) > 2*keepTxs || len(c.configs) > 2*keepTxs {
		keep := make(map[common.Hash]bool, keepTxs)
		for k, ref := range c.refs {
			if k+keepTxs >= n {
				keep[ref.Hash] = true
			}
		}
		for h := range c.txs {
			if !keep[h] {
				delete(c.txs, h)
			}
		}
		for h := range c.configs {
			if !keep[h] && h != c.head.Hash {
				delete(c.configs, h)
			}
		}
	}
}

// configOf returns the system config in effect after parent.
func (c *chainRecord) configOf(ctx context.Context, parent eth.L2BlockRef) (eth.SystemConfig, error) {
	if sc, ok := c.configs[parent.Hash]; ok {
		return sc, nil
	}
	if c.safe == nil {
		return eth.SystemConfig{}, resetErr("system config of L2 block %s is unknown: it is neither the reset safe head nor a block derived since", parent.ID())
	}
	sc, err := c.safe.SystemConfigByL2Hash(ctx, parent.Hash)
	if err != nil {
		return eth.SystemConfig{}, temporaryErr("system config of L2 block %s: %v", parent.ID(), err)
	}
	c.configs[parent.Hash] = sc
	return sc, nil
}

func (c *chainRecord) safeRef(ctx context.Context, number uint64) (eth.L2BlockRef, error) {
	if ref, ok := c.refs[number]; ok {
		return ref, nil
	}
	if number > c.head.Number {
		return eth.L2BlockRef{}, fmt.Errorf("L2 block %d is above the safe head %s", number, c.head.ID())
	}
	if c.safe == nil {
		return eth.L2BlockRef{}, errNoSafeChain
	}
	return c.safe.L2BlockRefByNumber(ctx, number)
}

func (c *chainRecord) safeBlock(ctx context.Context, number uint64) (eth.L2BlockRef, [][]byte, error) {
	ref, err := c.safeRef(ctx, number)
	if err != nil {
		return eth.L2BlockRef{}, nil, err
	}
	if txs, ok := c.txs[ref.Hash]; ok {
		return ref, txs, nil
	}
	if c.safe == nil {
		return eth.L2BlockRef{}, nil, errNoSafeChain
	}
	env, err := c.safe.PayloadByNumber(ctx, number)
	if err != nil {
		return eth.L2BlockRef{}, nil, err
	}
	if env == nil || env.ExecutionPayload == nil {
		return eth.L2BlockRef{}, nil, fmt.Errorf("no payload for L2 block %d", number)
	}
	p := env.ExecutionPayload
	if p.BlockHash != ref.Hash {
		return eth.L2BlockRef{}, nil, fmt.Errorf("payload of L2 block %d is %s, the safe chain has %s", number, p.BlockHash, ref.Hash)
	}
	var first []byte
	if len(p.Transactions) > 0 {
		first = p.Transactions[0]
	}
	blk := l1info.L2Block{Hash: p.BlockHash, ParentHash: p.ParentHash, Number: p.BlockNumber, Time: p.Timestamp, GasLimit: p.GasLimit, ExtraData: p.ExtraData}
	pref, err := l1info.BlockRef(c.cfg, blk, first)
	if err != nil {
		return eth.L2BlockRef{}, nil, err
	}
	return pref, p.Transactions, nil
}
