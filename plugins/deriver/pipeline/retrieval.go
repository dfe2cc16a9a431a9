package pipeline

import (
	"context"
	"io"
	"log/slog"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"

	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// l1BlockSource is what the retrieval stage reads: the current L1 block and
// the system config its batcher transactions are authenticated with.
type l1BlockSource interface {
	Origin() eth.L1BlockRef
	Current() (*eth.L1BlockData, eth.SystemConfig)
}

// retrieval turns the batcher transactions of the current L1 block into
// batcher data (version byte and frames), in transaction order: the calldata
// of calldata transactions, and from Ecotone the decoded blobs of blob
// transactions (whose calldata is ignored).
type retrieval struct {
	cfg *rollup.Config
	// extraBatchers are accepted next to the system config's batcher (a
	// variant's rule; empty for the spec).
	extraBatchers []common.Address
	log           *slog.Logger
	decodeBlob    func(*kzg4844.Blob) ([]byte, error)
	prev          l1BlockSource

	opened *eth.L1BlockData // the block datas was read from
	datas  [][]byte
}

func (r *retrieval) Origin() eth.L1BlockRef { return r.prev.Origin() }

func (r *retrieval) reset() { r.opened, r.datas = nil, nil }

// NextData returns the next batcher data of the current block, or io.EOF
// when the block has no more. A blob the block data lacks is a temporary
// error: the block is read again on the next call.
func (r *retrieval) NextData(context.Context) ([]byte, error) {
	blk, sysCfg := r.prev.Current()
	if blk == nil {
		return nil, io.EOF
	}
	if blk != r.opened {
		datas, err := r.open(blk, sysCfg)
		if err != nil {
			return nil, err
		}
		r.opened, r.datas = blk, datas
	}
	if len(r.datas) == 0 {
		return nil, io.EOF
	}
	d := r.datas[0]
	r.datas[0] = nil
	r.datas = r.datas[1:]
	return d, nil
}

func (r *retrieval) open(blk *eth.L1BlockData, sysCfg eth.SystemConfig) ([][]byte, error) {
	ref := r.prev.Origin()
	blobsActive := r.cfg.IsEcotone(ref.Time)
	signer := types.LatestSignerForChainID(r.cfg.L1ChainID)
	var blobs map[common.Hash]*kzg4844.Blob
	var out [][]byte
	for _, tx := range blk.BatcherTxs {
		data, blobHashes, ok := r.batcherTx(tx, signer, sysCfg.BatcherAddr, blobsActive)
		if !ok {
			continue
		}
		if blobHashes == nil {
			out = append(out, data)
			continue
		}
		if blobs == nil {
			blobs = make(map[common.Hash]*kzg4844.Blob, len(blk.Blobs))
			for _, b := range blk.Blobs {
				if b.Data != nil {
					blobs[b.VersionedHash] = b.Data
				}
			}
		}
		for _, h := range blobHashes {
			b, ok := blobs[h]
			if !ok {
				return nil, temporaryErr("L1 block %s: blob %s of batcher tx %d is missing", ref, h, tx.Index)
			}
			dec, err := r.decodeBlob(b)
			if err != nil {
				r.log.Warn("dropping badly encoded blob", "block", ref, "tx", tx.Index, "blob", h, "err", err)
				continue
			}
			out = append(out, dec)
		}
	}
	return out, nil
}

// batcherTx reports whether tx is a batcher transaction of the current
// batcher, and returns its calldata, or the versioned hashes of its blobs
// for a blob transaction once blobs are read (non-nil, possibly empty).
func (r *retrieval) batcherTx(tx eth.L1Tx, signer types.Signer, batcher common.Address, blobsActive bool) ([]byte, []common.Hash, bool) {
	if len(tx.Raw) == 0 {
		return nil, nil, false
	}
	// A deposit (type 0x7E) to the inbox lets a nested OP chain force-include
	// batcher data; its sender is its from field, not a signature. It is
	// decoded here rather than by go-ethereum, which does not know the type.
	if tx.Raw[0] == deposit.TxType {
		dep, err := deposit.Decode(tx.Raw)
		if err != nil || dep.To == nil || *dep.To != r.cfg.BatchInboxAddress || (dep.From != batcher && !slices.Contains(r.extraBatchers, dep.From)) {
			return nil, nil, false
		}
		return dep.Data, nil, true
	}
	var t types.Transaction
	if err := t.UnmarshalBinary(tx.Raw); err != nil {
		r.log.Debug("ignoring undecodable inbox tx", "tx", tx.Index, "err", err)
		return nil, nil, false
	}
	// Types 0-3 only: set code and later types may not carry batches.
	if t.Type() > types.BlobTxType {
		return nil, nil, false
	}
	if to := t.To(); to == nil || *to != r.cfg.BatchInboxAddress {
		return nil, nil, false
	}
	from, err := types.Sender(signer, &t)
	if err != nil || (from != batcher && !slices.Contains(r.extraBatchers, from)) {
		r.log.Debug("ignoring inbox tx from an unauthorized sender", "tx", tx.Index, "from", from, "err", err)
		return nil, nil, false
	}
	if t.Type() == types.BlobTxType && blobsActive {
		hashes := t.BlobHashes()
		if hashes == nil {
			hashes = []common.Hash{}
		}
		return nil, hashes, true
	}
	return t.Data(), nil, true
}
