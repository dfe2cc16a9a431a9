// Package l1source is the contract of the plugin that reads the L1 chain:
// block references, the derivation data of a whole L1 block in one call, the
// moving heads, and (optionally, see StorageReader) storage slots.
package l1source

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
)

// ProtocolVersion is the version of the contract in
// sdk/proto/opal/l1source/v1 ("major.minor").
// 1.1 added StorageAt (StorageReader).
const ProtocolVersion = "1.1"

// BlockDataRequest selects a block (by hash when Hash is set, else by
// Number) and what to return of it.
type BlockDataRequest struct {
	Hash   *common.Hash
	Number uint64
	// BatchInbox: transactions to this address are returned.
	BatchInbox common.Address
	// LogAddresses: receipts with logs from these addresses are returned,
	// with only those logs.
	LogAddresses []common.Address
	// Blobs asks for the blobs of the batch inbox's blob transactions.
	Blobs bool
}

// HeadUpdate reports that an L1 head moved.
type HeadUpdate struct {
	Label eth.BlockLabel
	Ref   eth.L1BlockRef
}

// Source reads L1. Every answer is checked against the block hash before it
// is returned (unless the operator chose to trust the endpoint). Missing
// blocks are eth.ErrNotFound; transient failures eth.ErrTemporary.
type Source interface {
	base.Plugin
	BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
	BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error)
	BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L1BlockRef, error)
	// BlockData returns a block's derivation data. A blob that cannot be
	// fetched is an eth.ErrTemporary error, never an omission.
	BlockData(ctx context.Context, req BlockDataRequest) (*eth.L1BlockData, error)
	// WatchHeads calls fn for every head, safe and finalized change until
	// ctx is done or the source fails. fn must not block for long.
	WatchHeads(ctx context.Context, fn func(HeadUpdate)) error
}

// StorageReader is the optional part of a Source, since protocol 1.1: an
// implementation that reads contract storage implements it too. It is kept
// out of Source so that implementations written against 1.0 still compile;
// the sdk serves StorageAt when the implementation has it and answers
// ErrStorageUnsupported otherwise.
type StorageReader interface {
	// StorageAt returns the value of slot in account's storage in the state
	// of the block blockHash, checked against that block's state root with
	// a Merkle proof (unless the operator chose to trust the endpoint). An
	// unset slot is the zero hash. An unknown block is eth.ErrNotFound; a
	// transient failure eth.ErrTemporary.
	StorageAt(ctx context.Context, account common.Address, slot common.Hash, blockHash common.Hash) (common.Hash, error)
}

// ErrStorageUnsupported: the source cannot read storage. Its implementation
// does not implement StorageReader, or it is a plugin built for protocol
// 1.0, which has no StorageAt. It wraps eth.ErrUnsupported.
var ErrStorageUnsupported = fmt.Errorf("the L1 source does not read storage (StorageAt needs l1source protocol 1.1): %w", eth.ErrUnsupported)

// StorageAt reads a storage slot through src when it implements
// StorageReader, and is ErrStorageUnsupported when it does not.
func StorageAt(ctx context.Context, src Source, account common.Address, slot, blockHash common.Hash) (common.Hash, error) {
	r, ok := src.(StorageReader)
	if !ok {
		return common.Hash{}, ErrStorageUnsupported
	}
	return r.StorageAt(ctx, account, slot, blockHash)
}
