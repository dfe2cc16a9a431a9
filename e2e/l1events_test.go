package e2e

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/core/node"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/contracts"
	"github.com/opalnode/opal/devnet/stack"
)

// sameChain checks the verifier's engine agrees with the sequencer's L2 up
// to number.
func sameChain(t *testing.T, s *stack.Stack, v *node.Node, upTo uint64) {
	t.Helper()
	seqL2, err := ethclient.Dial(s.Chain.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer seqL2.Close()
	// The verifier's heads may be a dispatch ahead of what its engine was
	// told (the head update rides on the next build, or settles when
	// derivation stops stepping): wait for the engine to hold upTo.
	waitUntil(t, 10*time.Second, fmt.Sprintf("the verifier's engine to hold block %d", upTo), func() bool {
		_, err := v.EngineBlockHash(context.Background(), upTo)
		return err == nil
	})
	for num := uint64(1); num <= upTo; num++ {
		want, err := seqL2.HeaderByNumber(context.Background(), bigU(num))
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.EngineBlockHash(context.Background(), num)
		if err != nil {
			t.Fatal(err)
		}
		if got != want.Hash() {
			t.Fatalf("L2 block %d: verifier %s, sequencer %s", num, got, want.Hash())
		}
	}
}

// An L1 reorg is followed by the sequencer and the verifier without
// divergence.
func TestL1ReorgFollowedByBothNodes(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1, L1FinalizedLag: 16, L1SafeLag: 8}})
	v, err := s.StartVerifier(context.Background(), "verifier")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 45*time.Second, "verifier safe head 6", func() bool { return v.Heads().Safe.Number >= 6 })
	before := v.Heads().Safe
	if err := s.Chain.L1.Reorg(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	t.Logf("L1 reorged 3 blocks; verifier safe was %v", before)
	waitUntil(t, 90*time.Second, "both nodes to move on past the reorg", func() bool {
		return v.Heads().Safe.Number >= before.Number+6 && s.Sequencer.Heads().Safe.Number >= before.Number+6
	})
	sameChain(t, s, v, v.Heads().Safe.Number)
}

// L1 reorgs of every depth from 1 to 10, one after the other: after each
// the sequencer and the verifier go on and agree block for block. The
// reorged L1 blocks lose their batcher transactions, so each reorg also
// makes the batcher post again.
func TestL1ReorgDepths(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1, L1FinalizedLag: 24, L1SafeLag: 12}})
	v, err := s.StartVerifier(context.Background(), "verifier")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, "L1 past the finality lag and verifier safe head 6", func() bool {
		return s.L1Head() > 24 && v.Heads().Safe.Number >= 6
	})
	for depth := 1; depth <= 10; depth++ {
		before := v.Heads().Safe
		if err := s.Chain.L1.Reorg(context.Background(), depth); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 90*time.Second, fmt.Sprintf("both nodes past the reorg of depth %d", depth), func() bool {
			return v.Heads().Safe.Number >= before.Number+4 && s.Sequencer.Heads().Safe.Number >= before.Number+4
		}, func() string {
			return fmt.Sprintf("verifier %v, sequencer %v", v.Heads(), s.Sequencer.Heads())
		})
		sameChain(t, s, v, v.Heads().Safe.Number)
		t.Logf("reorg of depth %d: verifier safe %d -> %d", depth, before.Number, v.Heads().Safe.Number)
	}
}

// A system config update on L1 (the gas limit) takes effect on L2 from the
// first block of the epoch of the L1 block that holds it.
func TestSystemConfigGasLimitUpdate(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}})
	v, err := s.StartVerifier(context.Background(), "verifier")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l1, err := ethclient.Dial(s.Chain.Endpoints().L1HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	admin := s.Chain.Keys.Admin
	from := chain.Address(admin)
	nonce, err := l1.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	const newLimit = 40_000_000
	to := chain.SystemConfigAddress
	cid := s.Chain.L1.ChainConfig().ChainID
	tx := types.MustSignNewTx(admin, types.LatestSignerForChainID(cid), &types.DynamicFeeTx{
		ChainID: cid, Nonce: nonce, To: &to, Gas: 200_000, GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(100 * params.GWei),
		Data: contracts.PackSetGasLimit(newLimit),
	})
	if err := l1.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var rcpt *types.Receipt
	waitUntil(t, 30*time.Second, "setGasLimit included", func() bool {
		rcpt, err = l1.TransactionReceipt(ctx, tx.Hash())
		return err == nil
	})
	if rcpt.Status != types.ReceiptStatusSuccessful {
		t.Fatal("setGasLimit reverted")
	}
	updBlock := rcpt.BlockNumber.Uint64()
	waitUntil(t, 60*time.Second, "verifier safe past the update's epoch", func() bool {
		return v.Heads().Safe.L1Origin.Number > updBlock
	})
	l2, err := ethclient.Dial(s.Chain.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	checked := false
	for num := uint64(1); num <= v.Heads().Safe.Number; num++ {
		ref, err := s.Sequencer.EngineBlockRef(ctx, num)
		if err != nil {
			t.Fatal(err)
		}
		h, err := l2.HeaderByNumber(ctx, bigU(num))
		if err != nil {
			t.Fatal(err)
		}
		want := uint64(30_000_000)
		if ref.L1Origin.Number >= updBlock {
			want = newLimit
			checked = true
		}
		if h.GasLimit != want {
			t.Fatalf("L2 block %d (origin %d, update in %d): gas limit %d, want %d", num, ref.L1Origin.Number, updBlock, h.GasLimit, want)
		}
	}
	if !checked {
		t.Fatal("no block after the update was checked")
	}
	sameChain(t, s, v, v.Heads().Safe.Number)
}

// Base left the OP Stack at Azul: a chain with Base Sepolia's chain id
// whose blocks are past Base Sepolia's Azul time is neither sequenced nor
// derived. The sequencer builds nothing, and the verifier's derivation
// halts before its first block with the reason, shown on its status.
func TestBasePastAzulIsNotDerived(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1, L2ChainID: 84532, SeqWindowSize: 4}, NoBatcher: true})
	v, err := s.StartVerifier(context.Background(), "verifier")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, "the verifier's derivation to halt", func() bool { return v.DerivationHalted() != nil },
		func() string { return fmt.Sprintf("verifier %v", v.Heads()) })
	if err := v.DerivationHalted(); !strings.Contains(err.Error(), "Base Sepolia left the OP Stack at its Azul upgrade") {
		t.Fatalf("halted with %v", err)
	}
	if u, sf := s.Sequencer.Heads().Unsafe.Number, v.Heads().Safe.Number; u != 0 || sf != 0 {
		t.Fatalf("past Azul: sequencer unsafe %d, verifier safe %d; want nothing built or derived", u, sf)
	}
}
