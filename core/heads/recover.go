package heads

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/sdk/eth"
)

// Chain is the engine's chain as recovery reads it.
type Chain interface {
	L2BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L2BlockRef, error)
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
}

// Recover finds the heads a starting node resumes from, combining the
// engine's forkchoice with the stored heads: the engine says which blocks
// exist; the store remembers safe and finalized heads the engine may not
// label (op-geth keeps them, other engines may not). An engine without
// labels yet starts at the genesis block number.
func Recover(ctx context.Context, eng Chain, store *Store, genesis uint64, log hclog.Logger) (Heads, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	label := func(l eth.BlockLabel) (eth.L2BlockRef, error) {
		ref, err := eng.L2BlockRefByLabel(ctx, l)
		if errors.Is(err, eth.ErrNotFound) {
			return eng.L2BlockRefByNumber(ctx, genesis)
		}
		return ref, err
	}
	unsafe, err := label(eth.Unsafe)
	if err != nil {
		return Heads{}, fmt.Errorf("engine unsafe head: %w", err)
	}
	safe, err := label(eth.Safe)
	if err != nil {
		return Heads{}, fmt.Errorf("engine safe head: %w", err)
	}
	fin, err := label(eth.Finalized)
	if err != nil {
		return Heads{}, fmt.Errorf("engine finalized head: %w", err)
	}
	stored, ok, err := store.LoadHeads()
	if err != nil {
		return Heads{}, err
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
		log.Info("restored heads", "stored_safe", stored.Safe, "engine_safe", safe)
	}
	if fin.Number > safe.Number {
		fin = safe
	}
	if safe.Number > unsafe.Number {
		safe = unsafe
	}
	return Heads{Unsafe: unsafe, CrossUnsafe: unsafe, PendingSafe: safe, LocalSafe: safe, Safe: safe, Finalized: fin}, nil
}
