package refchain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk/eth"
)

// Compare lists how derived attributes differ from the reference block:
// timestamp, gas limit, transaction hashes in order, and the L1 origin and
// sequence number carried by the L1-info deposit.
func (c *Chain) Compare(a *eth.PayloadAttributes, want Block) []string {
	var diffs []string
	if a == nil {
		return []string{"no attributes"}
	}
	if a.Timestamp != want.Timestamp {
		diffs = append(diffs, fmt.Sprintf("timestamp %d, want %d", a.Timestamp, want.Timestamp))
	}
	if a.GasLimit == nil || *a.GasLimit != want.GasLimit {
		diffs = append(diffs, fmt.Sprintf("gas limit %v, want %d", a.GasLimit, want.GasLimit))
	}
	if len(a.Transactions) != len(want.TxHashes) {
		diffs = append(diffs, fmt.Sprintf("%d txs, want %d", len(a.Transactions), len(want.TxHashes)))
	} else {
		for i, tx := range a.Transactions {
			if h := crypto.Keccak256Hash(tx); h != want.TxHashes[i] {
				diffs = append(diffs, fmt.Sprintf("tx %d hash %s, want %s", i, h, want.TxHashes[i]))
			}
		}
	}
	if len(a.Transactions) == 0 {
		return diffs
	}
	dep, err := deposit.Decode(a.Transactions[0])
	if err != nil {
		return append(diffs, fmt.Sprintf("first tx: %v", err))
	}
	info, err := l1info.DecodeAt(c.Rollup, a.Timestamp, dep.Data)
	if err != nil {
		return append(diffs, fmt.Sprintf("L1-info deposit: %v", err))
	}
	if info.ID() != want.L1Origin {
		diffs = append(diffs, fmt.Sprintf("L1 origin %v, want %v", info.ID(), want.L1Origin))
	}
	if info.SequenceNumber != want.SequenceNumber {
		diffs = append(diffs, fmt.Sprintf("sequence number %d, want %d", info.SequenceNumber, want.SequenceNumber))
	}
	return diffs
}
