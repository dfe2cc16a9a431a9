package batcher

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
)

// maxBumps is how often one transaction is re-sent with doubled fees
// before the round gives up.
const maxBumps = 4

// errTxTimeout means no version of a transaction was included in time.
var errTxTimeout = errors.New("batcher transaction not included in time")

// sender signs batcher transactions, sends them to L1 and waits for them.
type sender struct {
	l1     *ethclient.Client
	cfg    *Config
	from   common.Address
	signer types.Signer
	// cellProofs remembers that the L1 pool asked for version 1 blob
	// sidecars (Osaka), when no L1 chain config says so.
	cellProofs bool
}

// fees are the prices offered for one transaction.
type fees struct {
	tip, feeCap, blobFeeCap *big.Int
}

// bump doubles every fee: enough for geth's legacy pool (10%) and blob
// pool (100%) to accept the replacement.
func (f fees) bump() fees {
	double := func(x *big.Int) *big.Int {
		if x == nil {
			return nil
		}
		return new(big.Int).Lsh(x, 1)
	}
	return fees{tip: double(f.tip), feeCap: double(f.feeCap), blobFeeCap: double(f.blobFeeCap)}
}

// suggest prices a transaction for the next L1 block: the suggested tip
// (at least MinTipCap), a fee cap of twice the base fee plus the tip, and
// for blobs twice the current blob base fee.
func (s *sender) suggest(ctx context.Context, head *types.Header, blobs bool) (fees, error) {
	tip, err := s.l1.SuggestGasTipCap(ctx)
	if err != nil {
		return fees{}, fmt.Errorf("L1 tip: %w", err)
	}
	if tip.Cmp(s.cfg.MinTipCap) < 0 {
		tip = new(big.Int).Set(s.cfg.MinTipCap)
	}
	if head.BaseFee == nil {
		return fees{}, errors.New("L1 head has no base fee: London is not active")
	}
	f := fees{tip: tip, feeCap: new(big.Int).Add(new(big.Int).Lsh(head.BaseFee, 1), tip)}
	if blobs {
		bf, err := s.l1.BlobBaseFee(ctx)
		if err != nil {
			return fees{}, fmt.Errorf("L1 blob base fee: %w", err)
		}
		f.blobFeeCap = new(big.Int).Lsh(bf, 1)
		if floor := big.NewInt(params.BlobTxMinBlobGasprice); f.blobFeeCap.Cmp(floor) < 0 {
			f.blobFeeCap = floor
		}
	}
	return f, nil
}

// post sends one batcher transaction, calldata or blobs, and returns its
// receipt once included with status 1. A transaction left out for
// TxTimeout is replaced (same nonce, doubled fees) up to maxBumps times.
func (s *sender) post(ctx context.Context, data []byte, blobs []kzg4844.Blob) (*types.Receipt, error) {
	head, err := s.l1.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("L1 head: %w", err)
	}
	// The confirmed nonce, not the pending one: a transaction of a failed
	// round still in the pool is then replaced rather than queued behind.
	nonce, err := s.l1.NonceAt(ctx, s.from, nil)
	if err != nil {
		return nil, fmt.Errorf("L1 nonce: %w", err)
	}
	f, err := s.suggest(ctx, head, blobs != nil)
	if err != nil {
		return nil, err
	}
	var (
		gas     = params.TxGas // a blob transaction has no calldata
		sidecar *types.BlobTxSidecar
		version = s.sidecarVersion(head)
	)
	if blobs != nil {
		if sidecar, err = newSidecar(blobs, version); err != nil {
			return nil, err
		}
	} else {
		inbox := s.cfg.Rollup.BatchInboxAddress
		msg := ethereum.CallMsg{From: s.from, To: &inbox, GasFeeCap: f.feeCap, GasTipCap: f.tip, Data: data}
		if gas, err = s.l1.EstimateGas(ctx, msg); err != nil {
			return nil, fmt.Errorf("L1 gas estimate: %w", err)
		}
	}
	var sent []common.Hash
	for attempt, flipped := 0, false; ; {
		tx, err := s.sign(nonce, gas, f, data, sidecar)
		if err != nil {
			return nil, err
		}
		switch err := s.l1.SendTransaction(ctx, tx); {
		case err == nil || strings.Contains(err.Error(), "already known"):
			sent = append(sent, tx.Hash())
		case sidecar != nil && !flipped && strings.Contains(err.Error(), "sidecar version"):
			// The L1's fork wants the other sidecar version; the
			// signature does not cover the sidecar, so only it changes.
			flipped, version = true, 1-version
			s.cellProofs = version == types.BlobSidecarVersion1
			if sidecar, err = newSidecar(blobs, version); err != nil {
				return nil, err
			}
			continue
		case strings.Contains(err.Error(), "underpriced") && attempt < maxBumps:
			s.cfg.Logger.Warn("batcher tx underpriced; doubling fees", "nonce", nonce, "err", err)
			attempt++
			f = f.bump()
			continue
		case strings.Contains(err.Error(), "nonce too low") && len(sent) > 0:
			// An earlier version was included meanwhile; wait finds it.
		default:
			return nil, fmt.Errorf("sending batcher tx (nonce %d): %w", nonce, err)
		}
		rcpt, err := s.wait(ctx, sent)
		if err == nil {
			if rcpt.Status != types.ReceiptStatusSuccessful {
				return nil, fmt.Errorf("batcher tx %s failed in L1 block %d", rcpt.TxHash, rcpt.BlockNumber)
			}
			return rcpt, nil
		}
		if !errors.Is(err, errTxTimeout) || attempt >= maxBumps {
			return nil, err
		}
		s.cfg.Logger.Warn("batcher tx not included in time; resending with doubled fees", "nonce", nonce, "txs", sent, "tip", f.tip, "fee_cap", f.feeCap, "blob_fee_cap", f.blobFeeCap)
		attempt++
		f = f.bump()
	}
}

// sidecarVersion is the blob sidecar version the L1's pool accepts at
// head: version 1 (cell proofs) from Osaka on.
func (s *sender) sidecarVersion(head *types.Header) byte {
	if c := s.cfg.L1ChainConfig; c != nil {
		if c.IsOsaka(head.Number, head.Time) {
			return types.BlobSidecarVersion1
		}
		return types.BlobSidecarVersion0
	}
	if s.cellProofs {
		return types.BlobSidecarVersion1
	}
	return types.BlobSidecarVersion0
}

// sign builds and signs a dynamic fee transaction to the batch inbox with
// data, or a blob transaction when sidecar is set.
func (s *sender) sign(nonce, gas uint64, f fees, data []byte, sidecar *types.BlobTxSidecar) (*types.Transaction, error) {
	inbox := s.cfg.Rollup.BatchInboxAddress
	var inner types.TxData
	if sidecar == nil {
		inner = &types.DynamicFeeTx{ChainID: s.cfg.L1ChainID, Nonce: nonce, GasTipCap: f.tip, GasFeeCap: f.feeCap,
			Gas: gas, To: &inbox, Data: data}
	} else {
		inner = &types.BlobTx{ChainID: uint256.MustFromBig(s.cfg.L1ChainID), Nonce: nonce,
			GasTipCap: uint256.MustFromBig(f.tip), GasFeeCap: uint256.MustFromBig(f.feeCap), Gas: gas, To: inbox,
			Value: new(uint256.Int), BlobFeeCap: uint256.MustFromBig(f.blobFeeCap), BlobHashes: sidecar.BlobHashes(),
			Sidecar: sidecar}
	}
	tx, err := types.SignNewTx(s.cfg.Key, s.signer, inner)
	if err != nil {
		return nil, fmt.Errorf("signing batcher tx: %w", err)
	}
	return tx, nil
}

// newSidecar commits to the blobs and proves them: one proof per blob
// (version 0, Cancun and Prague) or the cell proofs of each blob (version
// 1, Osaka's PeerDAS).
func newSidecar(blobs []kzg4844.Blob, version byte) (*types.BlobTxSidecar, error) {
	commitments := make([]kzg4844.Commitment, len(blobs))
	var proofs []kzg4844.Proof
	for i := range blobs {
		c, err := kzg4844.BlobToCommitment(&blobs[i])
		if err != nil {
			return nil, fmt.Errorf("blob %d commitment: %w", i, err)
		}
		commitments[i] = c
		if version == types.BlobSidecarVersion1 {
			cells, err := kzg4844.ComputeCellProofs(&blobs[i])
			if err != nil {
				return nil, fmt.Errorf("blob %d cell proofs: %w", i, err)
			}
			proofs = append(proofs, cells...)
			continue
		}
		p, err := kzg4844.ComputeBlobProof(&blobs[i], c)
		if err != nil {
			return nil, fmt.Errorf("blob %d proof: %w", i, err)
		}
		proofs = append(proofs, p)
	}
	return types.NewBlobTxSidecar(version, blobs, commitments, proofs), nil
}

// wait polls for the receipt of any of the hashes (versions of one
// transaction) until one is found or TxTimeout passes.
func (s *sender) wait(ctx context.Context, hashes []common.Hash) (*types.Receipt, error) {
	deadline := time.Now().Add(s.cfg.TxTimeout)
	tick := time.NewTicker(min(s.cfg.PollInterval, time.Second))
	defer tick.Stop()
	for {
		for _, h := range hashes {
			rcpt, err := s.l1.TransactionReceipt(ctx, h)
			if err == nil {
				return rcpt, nil
			}
			// A fresh geth answers "transaction indexing is in progress"
			// until its indexer has started: not an error, just not yet.
			if !errors.Is(err, ethereum.NotFound) && !strings.Contains(err.Error(), "indexing is in progress") {
				return nil, fmt.Errorf("receipt of %s: %w", h, err)
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %v after %s", errTxTimeout, hashes, s.cfg.TxTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}
