package e2e

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/contracts"
	"github.com/opalnode/opal/devnet/stack"
)

// A batcher address update on L1 takes effect from its L1 block: the old
// batcher's data no longer counts (the safe head stalls), and the new
// batcher's does (it moves on), on the sequencer and on a verifier alike.
func TestBatcherAddressUpdate(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}})
	v, err := s.StartVerifier(context.Background(), "verifier")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 45*time.Second, "verifier safe head 4", func() bool { return v.Heads().Safe.Number >= 4 })
	ctx := context.Background()
	l1, err := ethclient.Dial(s.Chain.Endpoints().L1HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	admin := s.Chain.Keys.Admin
	newBatcher := s.Chain.Keys.Users[2]
	nonce, err := l1.PendingNonceAt(ctx, chain.Address(admin))
	if err != nil {
		t.Fatal(err)
	}
	to := chain.SystemConfigAddress
	cid := s.Chain.L1.ChainConfig().ChainID
	tx := types.MustSignNewTx(admin, types.LatestSignerForChainID(cid), &types.DynamicFeeTx{
		ChainID: cid, Nonce: nonce, To: &to, Gas: 200_000, GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(100 * params.GWei),
		Data: contracts.PackSetBatcherHash(chain.Address(newBatcher)),
	})
	if err := l1.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "setBatcherHash included", func() bool {
		r, err := l1.TransactionReceipt(ctx, tx.Hash())
		return err == nil && r.Status == types.ReceiptStatusSuccessful
	})
	// The old batcher keeps posting; from the update on, derivation ignores it.
	var stalled uint64
	waitUntil(t, 60*time.Second, "the safe head to stall", func() bool {
		before := v.Heads().Safe.Number
		time.Sleep(5 * time.Second)
		stalled = v.Heads().Safe.Number
		return stalled == before && s.Sequencer.Heads().Unsafe.Number > stalled+4
	})
	if err := s.StartBatcher(newBatcher); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, "the new batcher's data to move the safe head", func() bool {
		return v.Heads().Safe.Number >= stalled+4 && s.Sequencer.Heads().Safe.Number >= stalled+4
	})
	sameChain(t, s, v, v.Heads().Safe.Number)
	t.Logf("safe head stalled at %d under the old batcher, moved to %d with the new one", stalled, v.Heads().Safe.Number)
}
