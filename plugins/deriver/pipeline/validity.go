package pipeline

import (
	"context"
	"log/slog"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/postexec"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// validity is the verdict on a batch against the current safe head.
type validity int

const (
	// batchDrop: invalid now and forever (unless L1 reorgs).
	batchDrop validity = iota
	// batchAccept: the batch builds the next block.
	batchAccept
	// batchUndecided: more L1 blocks (or an L2 lookup) are needed.
	batchUndecided
	// batchFuture: for a later block; kept before Holocene.
	batchFuture
	// batchPast: Holocene only, for a block already safe; skipped.
	batchPast
)

func (v validity) String() string {
	switch v {
	case batchDrop:
		return "drop"
	case batchAccept:
		return "accept"
	case batchUndecided:
		return "undecided"
	case batchFuture:
		return "future"
	case batchPast:
		return "past"
	default:
		return "unknown"
	}
}

// safeBlocks reads the L2 safe chain below the current safe head, for span
// batches that overlap it.
type safeBlocks interface {
	// safeRef returns the safe block with the given number.
	safeRef(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	// safeBlock returns the safe block with the given number and its
	// transactions (deposits included).
	safeBlock(ctx context.Context, number uint64) (eth.L2BlockRef, [][]byte, error)
}

// checker holds what the validity rules read besides the batch itself.
type checker struct {
	cfg *rollup.Config
	log *slog.Logger
	l2  safeBlocks
	// l2Err records the last failed L2 lookup, so a batch left undecided
	// for lack of L2 data can be reported as a temporary error.
	l2Err error
	// offline: the L2 hashes are stand-ins (offline replay), so parent
	// hashes are not checked.
	offline bool
}

// checkSingular applies the singular batch rules. l1Blocks starts at the
// safe head's epoch; inclusion is the L1 block the batch was read in, whose
// time decides whether the Holocene variants of the rules apply.
func (c *checker) checkSingular(l1Blocks []eth.L1BlockRef, safe eth.L2BlockRef, b *batch.Singular, inclusion eth.L1BlockRef) validity {
	log := c.log.With("batch_time", b.Timestamp, "batch_epoch", b.EpochNum, "txs", len(b.Transactions))
	if len(l1Blocks) == 0 {
		return batchUndecided
	}
	epoch := l1Blocks[0]
	holocene := c.cfg.IsHolocene(inclusion.Time)
	next := safe.Time + c.cfg.BlockTime
	switch {
	case b.Timestamp > next:
		if holocene {
			log.Warn("dropping future batch", "next", next)
			return batchDrop
		}
		return batchFuture
	case b.Timestamp < next:
		if holocene {
			return batchPast
		}
		log.Warn("dropping past batch", "next", next)
		return batchDrop
	}
	if b.ParentHash != safe.Hash && !c.offline {
		log.Warn("dropping batch: parent is not the safe head", "safe", safe.ID())
		return batchDrop
	}
	if c.forkActivationWithTxs(b.Timestamp, len(b.Transactions)) {
		log.Warn("dropping batch: fork activation block must be empty")
		return batchDrop
	}
	if b.EpochNum+c.cfg.SeqWindowSize < inclusion.Number {
		log.Warn("dropping batch: sequencing window expired", "inclusion", inclusion.ID())
		return batchDrop
	}
	origin := epoch
	switch {
	case b.EpochNum < epoch.Number:
		log.Warn("dropping batch: epoch too old", "epoch", epoch.ID())
		return batchDrop
	case b.EpochNum == epoch.Number:
	case b.EpochNum == epoch.Number+1:
		if len(l1Blocks) < 2 {
			return batchUndecided
		}
		origin = l1Blocks[1]
	default:
		log.Warn("dropping batch: epoch too far ahead", "epoch", epoch.ID())
		return batchDrop
	}
	if b.EpochHash != origin.Hash {
		log.Warn("dropping batch: epoch hash mismatch", "origin", origin.ID())
		return batchDrop
	}
	if b.Timestamp < origin.Time {
		log.Warn("dropping batch: timestamp before its L1 origin", "origin_time", origin.Time)
		return batchDrop
	}
	if b.Timestamp > origin.Time+c.cfg.MaxDrift(origin.Time) {
		if len(b.Transactions) > 0 {
			log.Warn("dropping batch: past the sequencer drift with transactions")
			return batchDrop
		}
		// An empty batch past the drift is allowed only while the next
		// origin could not have been adopted yet (L2 time >= L1 time).
		if epoch.Number == origin.Number {
			if len(l1Blocks) < 2 {
				return batchUndecided
			}
			if b.Timestamp >= l1Blocks[1].Time {
				log.Warn("dropping batch: past the drift while the next origin was available")
				return batchDrop
			}
		}
	}
	if i, reason := c.badTx(b.Timestamp, b.Transactions, b.Fault); reason != "" {
		log.Warn("dropping batch: "+reason, "tx", i)
		return batchDrop
	}
	return batchAccept
}

// forkActivationWithTxs reports a batch with transactions for the
// activation block of a fork whose upgrade block must hold deposits only.
func (c *checker) forkActivationWithTxs(ts uint64, txs int) bool {
	return txs > 0 && (c.cfg.IsJovianActivationBlock(ts) || c.cfg.IsKarstActivationBlock(ts) || c.cfg.IsLagoonActivationBlock(ts))
}

// badTx checks the transactions of one block of a batch: none may be empty
// or a deposit, set code transactions need Isthmus (at the block's time),
// and post-exec transactions (0x7D) need Lagoon and then follow the
// post-exec rules (postexec.CheckBlock), including, for a block of a span
// batch, the fixed span columns (fault). Other types are left to the
// engine.
func (c *checker) badTx(ts uint64, txs [][]byte, fault *batch.TxFault) (int, string) {
	isthmus, sdm := c.cfg.IsIsthmus(ts), c.cfg.IsSDM(ts)
	postExec := false
	for i, tx := range txs {
		switch {
		case fault != nil && i == fault.Index && sdm:
			return i, fault.Reason
		case len(tx) == 0:
			return i, "empty transaction"
		case tx[0] == eth.DepositTxType:
			return i, "deposit transaction"
		case tx[0] == types.SetCodeTxType && !isthmus:
			return i, "set code transaction before Isthmus"
		case tx[0] == postexec.TxType && !sdm:
			return i, "post-exec transaction before Lagoon"
		case tx[0] == postexec.TxType:
			postExec = true
		}
	}
	if postExec {
		number, err := c.cfg.TargetBlockNumber(ts)
		if err != nil {
			return 0, err.Error()
		}
		return postexec.CheckBlock(txs, number)
	}
	return 0, ""
}
