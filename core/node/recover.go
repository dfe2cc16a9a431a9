package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/sdk/eth"
)

// recoverHeads combines the engine's forkchoice with the stored heads: the
// engine says which blocks exist; the store remembers safe and finalized
// heads the engine may not label (op-geth keeps them, other engines may not).
func (n *Node) recoverHeads(ctx context.Context) (heads.Heads, error) {
	eng := n.handles.Engine
	label := func(l eth.BlockLabel) (eth.L2BlockRef, error) {
		ref, err := eng.L2BlockRefByLabel(ctx, l)
		if errors.Is(err, eth.ErrNotFound) {
			return eng.L2BlockRefByNumber(ctx, n.opts.Rollup.Genesis.L2.Number)
		}
		return ref, err
	}
	unsafe, err := label(eth.Unsafe)
	if err != nil {
		return heads.Heads{}, fmt.Errorf("engine unsafe head: %w", err)
	}
	safe, err := label(eth.Safe)
	if err != nil {
		return heads.Heads{}, fmt.Errorf("engine safe head: %w", err)
	}
	fin, err := label(eth.Finalized)
	if err != nil {
		return heads.Heads{}, fmt.Errorf("engine finalized head: %w", err)
	}
	stored, ok, err := n.store.LoadHeads()
	if err != nil {
		return heads.Heads{}, err
	}
	canonical := func(r eth.L2BlockRef) bool {
		if r.Number > unsafe.Number {
			return false
		}
		got, err := eng.L2BlockRefByNumber(ctx, r.Number)
		return err == nil && got.Hash == r.Hash
	}
	if ok {
		if stored.Safe.Number > safe.Number && canonical(stored.Safe) {
			safe = stored.Safe
		}
		if stored.Finalized.Number > fin.Number && stored.Finalized.Number <= safe.Number && canonical(stored.Finalized) {
			fin = stored.Finalized
		}
		n.log.Info("restored heads", "stored_safe", stored.Safe, "engine_safe", safe)
	}
	if fin.Number > safe.Number {
		fin = safe
	}
	if safe.Number > unsafe.Number {
		safe = unsafe
	}
	return heads.Heads{Unsafe: unsafe, CrossUnsafe: unsafe, PendingSafe: safe, LocalSafe: safe, Safe: safe, Finalized: fin}, nil
}
