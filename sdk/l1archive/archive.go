// Package l1archive reads and writes L1 archives: one file holding a
// contiguous range of L1 blocks as derivation sees them (headers, batcher
// transactions, the receipts of watched contracts, blobs), so that a
// derivation can be replayed with no L1 node. The format is documented in
// docs/l1-archive.md of the opal repository; in short:
//
//	magic "OPALL1A\x00" | u16 version
//	u32 n | header JSON (n bytes) | u32 CRC-32C of the JSON
//	per block: u32 n | snappy(RLP block record) (n bytes) | u32 CRC-32C of those n bytes
//	u32 0xFFFFFFFF | u64 block count | SHA-256 of every byte before the digest
//
// Integers are big-endian. Blocks follow each other by number and parent
// hash. A reader checks every checksum, the continuity of the blocks and
// the trailer, so a corrupt or truncated file is an error that says where,
// never wrong data.
package l1archive

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/ethereum/go-ethereum/common"
)

// Magic opens every archive.
const Magic = "OPALL1A\x00"

// Version is the format version this package writes and reads.
const Version uint16 = 1

// Bounds on what a reader accepts before allocating, so a corrupt length
// cannot exhaust memory.
const (
	maxHeaderLen = 1 << 20
	// maxRecordLen bounds a block record, compressed or not: a block with
	// 128 blobs of 128 KiB is 16 MiB; the bound leaves room for calldata.
	maxRecordLen = 256 << 20
)

// trailerMark stands where the next block's length would: a length this
// large is never a block (it exceeds maxRecordLen).
const trailerMark = 0xFFFFFFFF

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Header describes an archive: its L1 range and what of each block it holds.
type Header struct {
	// L1ChainID is the chain the blocks are from.
	L1ChainID uint64 `json:"l1_chain_id"`
	// From and To are the first and last block numbers, inclusive.
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
	// BatchInbox is the address whose transactions were kept.
	BatchInbox common.Address `json:"batch_inbox"`
	// LogAddresses are the contracts whose receipts (with only their logs)
	// were kept: the deposit contract and the system config for an OP chain.
	LogAddresses []common.Address `json:"log_addresses"`
	// Blobs says the blobs of blob-carrying batcher transactions are in.
	Blobs bool `json:"blobs"`
	// L2ChainID names the chain the archive was recorded for (0: unknown).
	L2ChainID uint64 `json:"l2_chain_id,omitempty"`
	// CreatedBy is the program that wrote the archive, for the record.
	CreatedBy string `json:"created_by,omitempty"`
	// L1ChainConfig is the L1's chain config (go-ethereum's JSON), when the
	// recorder knew it: replay needs it for the blob base fee schedule.
	L1ChainConfig json.RawMessage `json:"l1_chain_config,omitempty"`
}

func (h *Header) check() error {
	if h.To < h.From {
		return fmt.Errorf("range %d..%d is empty", h.From, h.To)
	}
	if h.BatchInbox == (common.Address{}) {
		return errors.New("no batch inbox")
	}
	return nil
}

// Blocks is the number of blocks the header's range holds.
func (h *Header) Blocks() uint64 { return h.To - h.From + 1 }

// ErrCorrupt marks an archive whose bytes do not check out: a bad magic,
// checksum, length, record or digest, blocks out of order, or a file cut
// short. Errors wrapping it say where.
var ErrCorrupt = errors.New("corrupt L1 archive")

func corrupt(offset int64, format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrCorrupt, offset, fmt.Sprintf(format, args...))
}

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
