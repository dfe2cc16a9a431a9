package enginectl

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core/types"

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
	if d := withdrawalsMatch(cfg, a, p); d != "" {
		return d
	}
	if !sameHashPtr(a.ParentBeaconBlockRoot, env.ParentBeaconBlockRoot) {
		return "parent beacon block root differs"
	}
	return extraDataMatch(cfg, a, p)
}

// withdrawalsMatch follows op-node's checkWithdrawals
// (op-node/rollup/attributes/engine_consolidate.go): from Canyon both the
// block and the attributes carry an empty, non-nil withdrawals list, and
// before Isthmus the block's withdrawalsRoot, if any, is the empty root;
// before Canyon the attributes carry none; from Isthmus the block must
// carry a withdrawalsRoot (the message passer's storage root, which the
// attributes do not decide, so only its presence is checked).
func withdrawalsMatch(cfg *rollup.Config, a *eth.PayloadAttributes, p *eth.ExecutionPayload) string {
	canyon, isthmus := cfg.IsCanyon(p.Timestamp), cfg.IsIsthmus(p.Timestamp)
	if canyon {
		if p.Withdrawals == nil || len(p.Withdrawals) != 0 {
			return "canyon: the block's withdrawals must be an empty list"
		}
		if a.Withdrawals == nil || len(a.Withdrawals) != 0 {
			return "canyon: the attributes' withdrawals must be an empty list"
		}
		if !isthmus && p.WithdrawalsRoot != nil && *p.WithdrawalsRoot != types.EmptyWithdrawalsHash {
			return fmt.Sprintf("canyon: withdrawalsRoot %s is not the empty root", *p.WithdrawalsRoot)
		}
	} else if a.Withdrawals != nil {
		return fmt.Sprintf("before canyon the attributes carry no withdrawals, got %d", len(a.Withdrawals))
	}
	if isthmus && p.WithdrawalsRoot == nil {
		return "isthmus: the block has no withdrawalsRoot"
	}
	return ""
}

// extraDataMatch follows op-node's checkExtraDataParamsMatch: with
// eip1559Params in the attributes (Holocene) they must be valid, the
// block's extraData must be valid for its fork (Holocene: version 0, 9
// bytes; Jovian: version 1, 17 bytes; both with a non-zero denominator and
// elasticity), and the two must agree, zero params standing for the
// chain's Canyon constants; the min base fee must agree both ways. Without
// eip1559Params (before Holocene) the block's extraData must be empty.
func extraDataMatch(cfg *rollup.Config, a *eth.PayloadAttributes, p *eth.ExecutionPayload) string {
	if a.EIP1559Params == nil {
		if len(p.ExtraData) > 0 {
			return fmt.Sprintf("no eip1559 params in the attributes, but extraData %x in the block", p.ExtraData)
		}
		return ""
	}
	if err := eip1559.ValidateHolocene1559Params(a.EIP1559Params[:]); err != nil {
		return "invalid eip1559 params in the attributes: " + err.Error()
	}
	if err := eip1559.ValidateOptimismExtraData(cfg, p.Timestamp, p.ExtraData); err != nil {
		return "invalid block extraData: " + err.Error()
	}
	ad, ae := eip1559.DecodeHolocene1559Params(a.EIP1559Params[:])
	if ad == 0 && cfg.ChainOpConfig != nil {
		ad, ae = cfg.ChainOpConfig.EIP1559DenominatorCanyon, cfg.ChainOpConfig.EIP1559Elasticity
	}
	bd, be, bm := eip1559.DecodeOptimismExtraData(cfg, p.Timestamp, p.ExtraData)
	if ad != bd || ae != be {
		return fmt.Sprintf("eip1559 params in extraData differ: attributes %d/%d, block %d/%d", ad, ae, bd, be)
	}
	if !sameHashPtr(a.MinBaseFee, bm) {
		return "min base fee in extraData differs"
	}
	return ""
}

func sameHashPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
