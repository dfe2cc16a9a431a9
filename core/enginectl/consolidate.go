package enginectl

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// attributesMatch checks a derived block against the unsafe block already
// at its height (op-node's consolidation): when everything derivation
// decides matches, the unsafe block can simply become safe. It returns a
// description of the first difference, or "" on a match.
func attributesMatch(cfg *rollup.Config, da *deriver.DerivedAttributes, env *eth.ExecutionPayloadEnvelope) string {
	a, p := da.Attributes, env.ExecutionPayload
	switch {
	case p.ParentHash != da.Parent.Hash:
		return fmt.Sprintf("parent %s, derived on %s", p.ParentHash, da.Parent.Hash)
	case p.Timestamp != a.Timestamp:
		return fmt.Sprintf("timestamp %d, derived %d", p.Timestamp, a.Timestamp)
	case p.PrevRandao != a.PrevRandao:
		return "prevRandao differs"
	case p.FeeRecipient != a.SuggestedFeeRecipient:
		return "fee recipient differs"
	case a.GasLimit == nil || p.GasLimit != *a.GasLimit:
		return fmt.Sprintf("gas limit %d differs", p.GasLimit)
	case len(p.Transactions) != len(a.Transactions):
		return fmt.Sprintf("%d transactions, derived %d", len(p.Transactions), len(a.Transactions))
	}
	for i := range a.Transactions {
		if !bytes.Equal(p.Transactions[i], a.Transactions[i]) {
			return fmt.Sprintf("transaction %d differs", i)
		}
	}
	if (a.Withdrawals == nil) != (p.Withdrawals == nil) || len(a.Withdrawals) != len(p.Withdrawals) {
		return "withdrawals differ"
	}
	if !sameHashPtr(a.ParentBeaconBlockRoot, env.ParentBeaconBlockRoot) {
		return "parent beacon block root differs"
	}
	if cfg.IsHolocene(a.Timestamp) && a.EIP1559Params != nil {
		want := *a.EIP1559Params
		if want == (eth.Bytes8{}) && cfg.ChainOpConfig != nil {
			// Zero params mean the chain's Canyon defaults.
			binary.BigEndian.PutUint32(want[0:4], uint32(cfg.ChainOpConfig.EIP1559DenominatorCanyon))
			binary.BigEndian.PutUint32(want[4:8], uint32(cfg.ChainOpConfig.EIP1559Elasticity))
		}
		if len(p.ExtraData) < 9 || !bytes.Equal(p.ExtraData[1:9], want[:]) {
			return "eip1559 params in extraData differ"
		}
	}
	if cfg.IsJovian(a.Timestamp) && a.MinBaseFee != nil {
		if len(p.ExtraData) < 17 || binary.BigEndian.Uint64(p.ExtraData[9:17]) != *a.MinBaseFee {
			return "min base fee in extraData differs"
		}
	}
	return ""
}

func sameHashPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
