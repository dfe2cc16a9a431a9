package e2e

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/core/sequencer"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/contracts"
	"github.com/opalnode/opal/devnet/stack"
)

// sendDeposit deposits mint wei from the first user to the second through
// the portal and returns the L1 block that holds it.
func sendDeposit(t *testing.T, s *stack.Stack, mint *big.Int) (uint64, *types.Receipt) {
	t.Helper()
	ctx := context.Background()
	l1, err := ethclient.Dial(s.Chain.Endpoints().L1HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	key := s.Chain.Keys.Users[0]
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := l1.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	to := chain.Address(s.Chain.Keys.Users[1])
	data := contracts.PackDepositTransaction(contracts.Deposit{To: to, GasLimit: 100_000})
	portal := chain.PortalAddress
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(s.Chain.L1.ChainConfig().ChainID), &types.DynamicFeeTx{
		ChainID: s.Chain.L1.ChainConfig().ChainID, Nonce: nonce, To: &portal, Value: mint, Gas: 300_000,
		GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(100 * params.GWei), Data: data,
	})
	if err := l1.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var rcpt *types.Receipt
	waitUntil(t, 30*time.Second, "deposit included on L1", func() bool {
		rcpt, err = l1.TransactionReceipt(ctx, tx.Hash())
		return err == nil
	})
	if rcpt.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("deposit reverted on L1")
	}
	return rcpt.BlockNumber.Uint64(), rcpt
}

// Sequencing at 1 s blocks: a deposit from L1 appears on L2 in the first
// block of its epoch with the right mint and sender, and no block is late by
// more than one slot.
func TestSequencer30Blocks(t *testing.T) {
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}})
	mint := new(big.Int).Mul(big.NewInt(3), big.NewInt(params.Ether))
	depBlock, _ := sendDeposit(t, s, mint)
	ctx := context.Background()
	l2, err := ethclient.Dial(s.Chain.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	waitUntil(t, 60*time.Second, "30 blocks and the deposit's epoch", func() bool {
		h := s.Sequencer.Heads().Unsafe
		return h.Number >= 30 && h.L1Origin.Number > depBlock
	})
	// The first L2 block whose origin is the deposit's L1 block.
	found := false
	for num := uint64(1); num <= s.Sequencer.Heads().Unsafe.Number && !found; num++ {
		ref, err := s.Sequencer.EngineBlockRef(ctx, num)
		if err != nil {
			t.Fatal(err)
		}
		if ref.L1Origin.Number != depBlock {
			continue
		}
		found = true
		if ref.SequenceNumber != 0 {
			t.Fatalf("first block of epoch %d has sequence number %d", depBlock, ref.SequenceNumber)
		}
		blk, err := l2.BlockByNumber(ctx, new(big.Int).SetUint64(num))
		if err != nil {
			t.Fatal(err)
		}
		txs := blk.Transactions()
		if len(txs) < 2 || txs[1].Type() != types.DepositTxType {
			t.Fatalf("L2 block %d (first of epoch %d) has no user deposit: %d txs", num, depBlock, len(txs))
		}
		dep := txs[1]
		sender, err := types.Sender(types.LatestSignerForChainID(s.Chain.Rollup.L2ChainID), dep)
		if err != nil {
			t.Fatal(err)
		}
		if dep.Mint().Cmp(mint) != 0 || sender != chain.Address(s.Chain.Keys.Users[0]) || *dep.To() != chain.Address(s.Chain.Keys.Users[1]) {
			t.Fatalf("deposit: mint %v from %s to %s", dep.Mint(), sender, dep.To())
		}
	}
	if !found {
		t.Fatalf("no L2 block with origin %d", depBlock)
	}
	timings := s.Sequencer.SequencerTimings()
	late := 0
	for _, tm := range timings[2:] { // the first blocks catch up with the clock
		if tm.Late > time.Second {
			late++
			t.Errorf("block %d inserted %v after its slot", tm.Number, tm.Late)
		}
	}
	own := summarize(timings)
	t.Logf("%d blocks: opal's own time median %v p99 %v; engine median %v", len(timings), own.ownMedian, own.ownP99, own.engineMedian)
}

type timingSummary struct {
	ownMedian, ownP99, engineMedian, engineP99 time.Duration
	missed                                     int
}

func summarize(ts []sequencer.BuildTiming) timingSummary {
	var own, eng []time.Duration
	var s timingSummary
	for _, t := range ts {
		own = append(own, t.Own)
		eng = append(eng, t.Engine)
		if t.Late > time.Second {
			s.missed++
		}
	}
	pct := func(d []time.Duration, p int) time.Duration {
		if len(d) == 0 {
			return 0
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)*p/100]
	}
	s.ownMedian, s.ownP99 = pct(own, 50), pct(own, 99)
	s.engineMedian, s.engineP99 = pct(eng, 50), pct(eng, 99)
	return s
}

// BenchmarkSequencerOwnShare sequences at 1 s blocks for OPAL_SEQ_BENCH
// (default 60s; the reference figure is taken over 10m) and reports opal's
// own share of each block's build time (everything but engine calls) and
// the missed slots. Run: make bench-sequencer.
func BenchmarkSequencerOwnShare(b *testing.B) {
	d := time.Minute
	if v := os.Getenv("OPAL_SEQ_BENCH"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		s, err := stack.Start(context.Background(), stack.Options{Chain: chain.Config{L1BlockTime: 2, L2BlockTime: 1}})
		if err != nil {
			b.Fatal(err)
		}
		time.Sleep(d)
		ts := s.Sequencer.SequencerTimings()
		s.Close()
		if len(ts) > 3 {
			ts = ts[3:] // skip the catch-up at start
		}
		sum := summarize(ts)
		b.ReportMetric(float64(len(ts)), "blocks")
		b.ReportMetric(float64(sum.ownMedian.Microseconds())/1000, "own-median-ms")
		b.ReportMetric(float64(sum.ownP99.Microseconds())/1000, "own-p99-ms")
		b.ReportMetric(float64(sum.engineMedian.Microseconds())/1000, "engine-median-ms")
		b.ReportMetric(float64(sum.missed), "missed-slots")
		fmt.Fprintf(os.Stderr, "sequencer over %v: %d blocks, own median %v p99 %v, engine median %v p99 %v, missed %d\n",
			d, len(ts), sum.ownMedian, sum.ownP99, sum.engineMedian, sum.engineP99, sum.missed)
	}
}
