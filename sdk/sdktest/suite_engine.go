package sdktest

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
)

// RunEngineSuite checks an engine whose chain is at genesis: reads, the
// error contract, and one block built and inserted through the Engine API
// flow (forkchoiceUpdated with attributes, getPayload, newPayload,
// forkchoiceUpdated). attrs returns valid attributes on the given parent.
func RunEngineSuite(t *testing.T, eng engine.Engine, genesis eth.L2BlockRef, attrs func(parent eth.L2BlockRef) *eth.PayloadAttributes) {
	t.Helper()
	ctx := context.Background()
	t.Run("reads", func(t *testing.T) {
		byNum, err := eng.L2BlockRefByNumber(ctx, genesis.Number)
		if err != nil || byNum.Hash != genesis.Hash {
			t.Fatalf("genesis by number: %+v, %v", byNum, err)
		}
		byHash, err := eng.L2BlockRefByHash(ctx, genesis.Hash)
		if err != nil || byHash != byNum {
			t.Fatalf("genesis by hash: %+v, %v; by number %+v", byHash, err, byNum)
		}
		if _, err := eng.L2BlockRefByNumber(ctx, genesis.Number+1_000_000); !errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("unknown number: want eth.ErrNotFound, got %v", err)
		}
		if _, err := eng.L2BlockRefByHash(ctx, common.HexToHash("0xdead")); !errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("unknown hash: want eth.ErrNotFound, got %v", err)
		}
	})
	t.Run("unknown-payload", func(t *testing.T) {
		if _, err := eng.GetPayload(ctx, engine.PayloadID{1, 2, 3}, genesis.Time+1); !errors.Is(err, engine.ErrUnknownPayload) {
			t.Fatalf("want engine.ErrUnknownPayload, got %v", err)
		}
	})
	t.Run("build-and-insert", func(t *testing.T) {
		state := engine.ForkchoiceState{Head: genesis.Hash, Safe: genesis.Hash, Finalized: genesis.Hash}
		a := attrs(genesis)
		res, err := eng.ForkchoiceUpdated(ctx, state, a)
		if err != nil {
			t.Fatalf("forkchoiceUpdated with attributes: %v", err)
		}
		if res.Status.Status != engine.StatusValid || res.PayloadID == nil {
			t.Fatalf("forkchoiceUpdated: %+v", res)
		}
		env, err := eng.GetPayload(ctx, *res.PayloadID, a.Timestamp)
		if err != nil {
			t.Fatalf("getPayload: %v", err)
		}
		p := env.ExecutionPayload
		if p.ParentHash != genesis.Hash || p.BlockNumber != genesis.Number+1 || p.Timestamp != a.Timestamp {
			t.Fatalf("payload does not build on genesis: %+v", p)
		}
		if len(p.Transactions) < len(a.Transactions) {
			t.Fatalf("payload has %d txs, attributes forced %d", len(p.Transactions), len(a.Transactions))
		}
		st, err := eng.NewPayload(ctx, env)
		if err != nil || st.Status != engine.StatusValid {
			t.Fatalf("newPayload: %+v, %v", st, err)
		}
		state.Head = p.BlockHash
		res, err = eng.ForkchoiceUpdated(ctx, state, nil)
		if err != nil || res.Status.Status != engine.StatusValid {
			t.Fatalf("forkchoiceUpdated to the new block: %+v, %v", res, err)
		}
		head, err := eng.L2BlockRefByLabel(ctx, eth.Unsafe)
		if err != nil || head.Hash != p.BlockHash {
			t.Fatalf("unsafe head %+v, %v; want %s", head, err, p.BlockHash)
		}
		got, err := eng.PayloadByNumber(ctx, p.BlockNumber)
		if err != nil || got.ExecutionPayload.BlockHash != p.BlockHash {
			t.Fatalf("payload by number: %v", err)
		}
	})
}
