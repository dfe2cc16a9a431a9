package pipeline

import (
	"context"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// l1Chain is a synthetic L1 chain with real headers (so hashes chain) to
// which tests attach batcher transactions, receipts and blobs.
type l1Chain struct {
	t      testing.TB
	blocks []*eth.L1BlockData
	nonce  uint64
}

func newL1Chain(t testing.TB, n int) *l1Chain {
	c := &l1Chain{t: t}
	parent := common.Hash{}
	for i := range n {
		h := &types.Header{
			ParentHash: parent, Number: big.NewInt(int64(i)), Time: testGenesisTime + uint64(i)*testL1BlockTime,
			GasLimit: 30_000_000, BaseFee: big.NewInt(1_000_000_000), Difficulty: new(big.Int),
			MixDigest: crypto.Keccak256Hash([]byte("randao"), binary.BigEndian.AppendUint64(nil, uint64(i))),
			UncleHash: types.EmptyUncleHash,
		}
		c.blocks = append(c.blocks, &eth.L1BlockData{Header: h})
		parent = h.Hash()
	}
	return c
}

func (c *l1Chain) ref(n int) eth.L1BlockRef { return c.blocks[n].Ref() }

// refs returns the references of all blocks, by number.
func (c *l1Chain) refs() []eth.L1BlockRef {
	out := make([]eth.L1BlockRef, len(c.blocks))
	for i := range out {
		out[i] = c.ref(i)
	}
	return out
}

// addRaw appends an inbox transaction to block n.
func (c *l1Chain) addRaw(n int, raw []byte) {
	b := c.blocks[n]
	b.BatcherTxs = append(b.BatcherTxs, eth.L1Tx{Index: uint32(len(b.BatcherTxs)), Raw: raw})
}

// post sends frames as one calldata batcher transaction in block n.
func (c *l1Chain) post(n int, frames ...frame.Frame) {
	c.addRaw(n, calldataTx(c.t, testBatcherKey, c.nonce, frame.MarshalBatcherData(frames...)))
	c.nonce++
}

// postChannel compresses batches into one channel and posts all its frames
// in block n, one transaction per frame.
func (c *l1Chain) postChannel(n int, id byte, algo channel.Algo, batches ...batch.Batch) {
	c.t.Helper()
	var raw [][]byte
	for _, b := range batches {
		raw = append(raw, marshal(c.t, b))
	}
	for _, f := range channelFrames(c.t, id, algo, 100_000, raw...) {
		c.post(n, f)
	}
}

// driver steps a pipeline over the chain as the core would, handing the
// blocks out one per NeedL1 and building each derived block on the last.
type driver struct {
	t      testing.TB
	p      *Pipeline
	chain  *l1Chain
	fed    int
	parent eth.L2BlockRef
	out    []*Result
	// invalid, when set, is asked about each result; true reports the
	// payload invalid instead of building the block.
	invalid func(*Result) bool
}

func newDriver(t testing.TB, cfg *rollup.Config, chain *l1Chain) *driver {
	t.Helper()
	p, err := New(Config{Rollup: cfg})
	if err != nil {
		t.Fatal(err)
	}
	genesis := eth.L2BlockRef{Hash: cfg.Genesis.L2.Hash, Number: cfg.Genesis.L2.Number, Time: cfg.Genesis.L2Time, L1Origin: cfg.Genesis.L1}
	if err := p.Reset(genesis, cfg.Genesis.SystemConfig, chain.ref(0), cfg.Genesis.SystemConfig); err != nil {
		t.Fatal(err)
	}
	return &driver{t: t, p: p, chain: chain, parent: genesis}
}

// run steps until the pipeline needs an L1 block beyond upTo (exclusive).
func (d *driver) run(upTo int) {
	d.t.Helper()
	ctx := context.Background()
	for steps := 0; steps < 100_000; steps++ {
		out, res, err := d.p.Step(ctx, d.parent)
		if err != nil {
			d.t.Fatalf("step on %v: %v", d.parent.ID(), err)
		}
		switch out {
		case NeedL1:
			if d.fed >= upTo {
				return
			}
			if err := d.p.AddL1Block(d.chain.blocks[d.fed]); err != nil {
				d.t.Fatalf("add L1 block %d: %v", d.fed, err)
			}
			d.fed++
		case Attributes:
			if d.invalid != nil && d.invalid(res) {
				if err := d.p.PayloadInvalid(res); err != nil {
					d.t.Fatal(err)
				}
				continue
			}
			d.out = append(d.out, res)
			n := d.parent.Number + 1
			d.parent = eth.L2BlockRef{Hash: l2Hash(n), Number: n, ParentHash: d.parent.Hash, Time: res.Attributes.Timestamp,
				L1Origin: res.L1Origin, SequenceNumber: res.SequenceNumber}
		}
	}
	d.t.Fatal("pipeline did not settle")
}

// batchTxs returns the non-deposit transactions of each derived block.
func (d *driver) batchTxs() [][][]byte {
	out := make([][][]byte, len(d.out))
	for i, r := range d.out {
		for _, tx := range r.Attributes.Transactions {
			if !eth.IsDepositTx(tx) {
				out[i] = append(out[i], tx)
			}
		}
	}
	return out
}

// userBlocks lists the numbers of derived blocks that carry batch
// transactions.
func (d *driver) userBlocks() []uint64 {
	var out []uint64
	for i, txs := range d.batchTxs() {
		if len(txs) > 0 {
			out = append(out, uint64(i+1))
		}
	}
	return out
}
