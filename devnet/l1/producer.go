package l1

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/miner"
)

// ErrClosed is returned by Commit and Reorg after Close.
var ErrClosed = errors.New("l1: closed")

// run makes one block per slot until Close. A slot is skipped when the
// chain is already ahead of the wall clock (Commit ran ahead), so blocks
// never pile up on one timestamp.
func (n *Node) run() {
	defer close(n.done)
	ctx, cancel := n.lifetime()
	defer cancel()
	for {
		head := n.eth.BlockChain().CurrentBlock()
		next := n.slotTime(n.Slot(head.Time) + 1)
		timer := time.NewTimer(time.Until(time.Unix(int64(next), 0)))
		select {
		case <-n.quit:
			timer.Stop()
			return
		case <-timer.C:
		}
		if _, err := n.Commit(ctx); err != nil && !errors.Is(err, ErrClosed) && ctx.Err() == nil {
			n.cfg.Logger.Warn("l1: block production failed", "err", err)
		}
	}
}

func (n *Node) slotTime(slot uint64) uint64 { return n.genesis.Timestamp + slot*n.cfg.SlotTime }

// Commit makes a block on the head now, with the pending transactions,
// at the later of the next slot and the wall-clock slot, and makes it the
// head. It moves the safe and finalized labels.
func (n *Node) Commit(ctx context.Context) (*types.Block, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed() {
		return nil, ErrClosed
	}
	head := n.eth.BlockChain().CurrentBlock()
	slot := max(n.Slot(head.Time)+1, n.Slot(uint64(time.Now().Unix())))
	block, err := n.build(ctx, head, slot)
	if err != nil {
		return nil, err
	}
	if _, err := n.eth.BlockChain().SetCanonical(block); err != nil {
		return nil, fmt.Errorf("l1: set head %d: %w", block.NumberU64(), err)
	}
	n.moveLabels(block.Header())
	return block, nil
}

// Reorg replaces the last depth blocks with a new branch of as many
// blocks, at the same slots, and makes it canonical: the heights stay, the
// hashes change. The new blocks take what the pool holds for the fork
// point's state; transactions of the dropped blocks go back to the pool
// and are mined again in later blocks. A finalized block is never
// replaced; the safe label follows the new branch.
func (n *Node) Reorg(ctx context.Context, depth int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed() {
		return ErrClosed
	}
	bc := n.eth.BlockChain()
	head := bc.CurrentBlock()
	final := bc.CurrentFinalBlock()
	if depth < 1 || uint64(depth) > head.Number.Uint64()-final.Number.Uint64() {
		return fmt.Errorf("l1: cannot reorg %d blocks: head %d, finalized %d", depth, head.Number, final.Number)
	}
	parent := bc.GetHeaderByNumber(head.Number.Uint64() - uint64(depth))
	var block *types.Block
	for i := uint64(1); i <= uint64(depth); i++ {
		replaced := bc.GetHeaderByNumber(head.Number.Uint64() - uint64(depth) + i)
		var err error
		block, err = n.build(ctx, parent, n.Slot(replaced.Time))
		if err != nil {
			return err
		}
		parent = block.Header()
	}
	if _, err := bc.SetCanonical(block); err != nil {
		return fmt.Errorf("l1: reorg to %s: %w", block.Hash(), err)
	}
	n.moveLabels(block.Header())
	return nil
}

func (n *Node) closed() bool {
	select {
	case <-n.quit:
		return true
	default:
		return false
	}
}

// build makes and imports, without making it the head, a block on parent
// at the given slot, and keeps the sidecars of its blob transactions for
// the beacon API. The miner hands the sidecars back with the payload, so
// they are exactly those of the block's blob transactions, in order.
func (n *Node) build(ctx context.Context, parent *types.Header, slot uint64) (*types.Block, error) {
	if err := n.eth.TxPool().Sync(); err != nil {
		return nil, fmt.Errorf("l1: tx pool: %w", err)
	}
	// A fresh random value per block: a rebuilt slot (Reorg) gets a
	// different block even with the same transactions. The beacon root
	// only needs to be some hash a rollup node copies; derive it from the
	// randomness so it differs per block too.
	var random common.Hash
	if _, err := rand.Read(random[:]); err != nil {
		return nil, err
	}
	beaconRoot := crypto.Keccak256Hash(random[:])
	args := &miner.BuildPayloadArgs{
		Parent:       parent.Hash(),
		Timestamp:    n.slotTime(slot),
		FeeRecipient: common.Address{},
		Random:       random,
		Withdrawals:  types.Withdrawals{},
		BeaconRoot:   &beaconRoot,
		Version:      engine.PayloadV3,
	}
	payload, err := n.eth.Miner().BuildPayload(ctx, args, false)
	if err != nil {
		return nil, fmt.Errorf("l1: build on %d: %w", parent.Number, err)
	}
	waitFirstBuild(payload)
	// Resolve, not ResolveFull: if filling the block failed, seal the empty
	// block built first rather than wait for a build that may never come.
	env := payload.Resolve()
	if env == nil || env.ExecutionPayload == nil {
		return nil, fmt.Errorf("l1: build on %d: no payload", parent.Number)
	}
	sidecars, hashes, err := sidecarsOf(env.BlobsBundle)
	if err != nil {
		return nil, err
	}
	block, err := engine.ExecutableDataToBlock(*env.ExecutionPayload, hashes, &beaconRoot, env.Requests, n.eth.BlockChain().Config())
	if err != nil {
		return nil, fmt.Errorf("l1: payload to block: %w", err)
	}
	if _, err := n.eth.BlockChain().InsertBlockWithoutSetHead(ctx, block, false); err != nil {
		return nil, fmt.Errorf("l1: import block %d: %w", block.NumberU64(), err)
	}
	n.blobs.put(block.Header(), sidecars)
	return block, nil
}

// recommit is how often the miner rebuilds a payload with newer pool
// contents while a block is being made; see waitFirstBuild.
const recommit = 250 * time.Millisecond

// waitFirstBuild waits until the miner has filled the payload from the pool
// once. Resolving at once would interrupt that first build and seal a
// block without the pending transactions. The miner signals every build,
// and rebuilds every recommit interval for at least two seconds, so a
// signal missed because the first build finished before the wait began is
// followed by another; the timeout only guards against a stalled miner.
func waitFirstBuild(p *miner.Payload) {
	built := make(chan struct{})
	go func() {
		p.WaitFull()
		close(built)
	}()
	select {
	case <-built:
	case <-time.After(6 * recommit):
	}
}

// sidecarsOf turns the miner's blobs bundle into sidecars (index =
// position among the block's blobs) and their versioned hashes.
func sidecarsOf(b *engine.BlobsBundle) ([]Sidecar, []common.Hash, error) {
	if b == nil {
		return nil, []common.Hash{}, nil
	}
	if len(b.Blobs) != len(b.Commitments) || len(b.Proofs) != len(b.Commitments) {
		return nil, nil, fmt.Errorf("l1: blobs bundle has %d blobs, %d commitments, %d proofs", len(b.Blobs), len(b.Commitments), len(b.Proofs))
	}
	out := make([]Sidecar, len(b.Blobs))
	hashes := make([]common.Hash, len(b.Blobs))
	hasher := sha256.New()
	for i := range b.Blobs {
		s := Sidecar{Index: uint64(i)}
		if len(b.Blobs[i]) != len(s.Blob) || len(b.Commitments[i]) != len(s.Commitment) || len(b.Proofs[i]) != len(s.Proof) {
			return nil, nil, fmt.Errorf("l1: blob %d has a malformed blob, commitment or proof", i)
		}
		copy(s.Blob[:], b.Blobs[i])
		copy(s.Commitment[:], b.Commitments[i])
		copy(s.Proof[:], b.Proofs[i])
		hashes[i] = kzg4844.CalcBlobHashV1(hasher, &s.Commitment)
		s.VersionedHash = hashes[i]
		out[i] = s
	}
	return out, hashes, nil
}

// moveLabels sets safe and finalized to trail head by their lags.
// Finalized only ever moves forward; safe follows the head, even back
// after a reorg, but never below finalized.
func (n *Node) moveLabels(head *types.Header) {
	bc := n.eth.BlockChain()
	num := head.Number.Uint64()
	final := bc.CurrentFinalBlock()
	if num >= n.cfg.FinalizedLag {
		if h := bc.GetHeaderByNumber(num - n.cfg.FinalizedLag); h != nil && h.Number.Cmp(final.Number) > 0 {
			bc.SetFinalized(h)
			final = h
		}
	}
	safeNum := final.Number.Uint64()
	if num >= n.cfg.SafeLag {
		safeNum = max(safeNum, num-n.cfg.SafeLag)
	}
	if h := bc.GetHeaderByNumber(safeNum); h != nil {
		bc.SetSafe(h)
	}
}
