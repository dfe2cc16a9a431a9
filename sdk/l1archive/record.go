package l1archive

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/opalnode/opal/sdk/eth"
)

// record is the RLP form of one block. Fields are only ever appended in a
// new format version.
type record struct {
	Header   *types.Header
	Txs      []recordTx
	Receipts []recordReceipt
	Blobs    []recordBlob
}

type recordTx struct {
	Index uint32
	Raw   []byte
}

type recordReceipt struct {
	TxIndex uint32
	Status  uint64
	Logs    []recordLog
}

type recordLog struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
	Index   uint32
}

type recordBlob struct {
	VersionedHash common.Hash
	Data          []byte
}

func encodeRecord(d *eth.L1BlockData) ([]byte, error) {
	r := record{Header: d.Header}
	for _, tx := range d.BatcherTxs {
		r.Txs = append(r.Txs, recordTx{Index: tx.Index, Raw: tx.Raw})
	}
	for _, rc := range d.Receipts {
		out := recordReceipt{TxIndex: rc.TxIndex, Status: rc.Status}
		for _, l := range rc.Logs {
			out.Logs = append(out.Logs, recordLog{Address: l.Address, Topics: l.Topics, Data: l.Data, Index: l.Index})
		}
		r.Receipts = append(r.Receipts, out)
	}
	for _, b := range d.Blobs {
		if b.Data == nil {
			return nil, fmt.Errorf("blob %s has no data", b.VersionedHash)
		}
		r.Blobs = append(r.Blobs, recordBlob{VersionedHash: b.VersionedHash, Data: b.Data[:]})
	}
	return rlp.EncodeToBytes(&r)
}

func decodeRecord(b []byte) (*eth.L1BlockData, error) {
	var r record
	if err := rlp.DecodeBytes(b, &r); err != nil {
		return nil, err
	}
	if r.Header == nil || r.Header.Number == nil {
		return nil, fmt.Errorf("record has no header")
	}
	d := &eth.L1BlockData{Header: r.Header}
	for _, tx := range r.Txs {
		d.BatcherTxs = append(d.BatcherTxs, eth.L1Tx{Index: tx.Index, Raw: tx.Raw})
	}
	for _, rc := range r.Receipts {
		out := eth.Receipt{TxIndex: rc.TxIndex, Status: rc.Status}
		for _, l := range rc.Logs {
			out.Logs = append(out.Logs, eth.Log{Address: l.Address, Topics: l.Topics, Data: l.Data, Index: l.Index})
		}
		d.Receipts = append(d.Receipts, out)
	}
	for _, bl := range r.Blobs {
		if len(bl.Data) != len(kzg4844.Blob{}) {
			return nil, fmt.Errorf("blob %s is %d bytes, want %d", bl.VersionedHash, len(bl.Data), len(kzg4844.Blob{}))
		}
		blob := new(kzg4844.Blob)
		copy(blob[:], bl.Data)
		d.Blobs = append(d.Blobs, eth.Blob{VersionedHash: bl.VersionedHash, Data: blob})
	}
	return d, nil
}
