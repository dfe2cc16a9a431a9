// Package l1source is the contract of the plugin that reads the L1 chain:
// block references, the derivation data of a whole L1 block in one call, and
// the moving heads.
package l1source

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
)

// ProtocolVersion is the version of the contract in
// sdk/proto/opal/l1source/v1 ("major.minor").
const ProtocolVersion = "1.0"

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
