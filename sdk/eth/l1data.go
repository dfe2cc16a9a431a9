package eth

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
)

// L1BlockData is what derivation needs of one L1 block, fetched and verified
// by the L1 source in one call: the header, the transactions sent to the
// batch inbox, the receipts that carry logs of the watched contracts, and the
// blobs of the inbox's blob transactions.
type L1BlockData struct {
	Header *types.Header
	// BatcherTxs are the block's transactions whose recipient is the batch
	// inbox, EIP-2718 encoded, in block order. The sender check against the
	// system config is derivation's job.
	BatcherTxs []L1Tx
	// Receipts holds, in block order, the receipts with at least one log
	// emitted by a watched address; other logs are left out.
	Receipts []Receipt
	// Blobs holds the blobs referenced by blob-carrying batcher transactions,
	// each checked against its versioned hash.
	Blobs []Blob
}

// Ref returns the block's reference.
func (d *L1BlockData) Ref() L1BlockRef { return HeaderRef(d.Header) }

// HeaderRef builds an L1BlockRef from a header.
func HeaderRef(h *types.Header) L1BlockRef {
	return L1BlockRef{Hash: h.Hash(), Number: h.Number.Uint64(), ParentHash: h.ParentHash, Time: h.Time}
}

// L1Tx is a transaction of an L1 block with its position.
type L1Tx struct {
	Index uint32
	// Raw is the EIP-2718 encoding.
	Raw []byte
}

// Receipt is the part of a transaction receipt derivation reads.
type Receipt struct {
	TxIndex uint32
	// Status is 1 for success, 0 for failure.
	Status uint64
	Logs   []Log
}

// Log is a contract log. Index counts over the whole block's logs.
type Log struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
	Index   uint32
}

// Blob is one EIP-4844 blob with its versioned hash.
type Blob struct {
	VersionedHash common.Hash
	Data          *kzg4844.Blob
}
