package blockmsg

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// rawTxs hashes opaque EIP-2718 transactions into the transactions trie.
type rawTxs [][]byte

func (t rawTxs) Len() int                           { return len(t) }
func (t rawTxs) EncodeIndex(i int, w *bytes.Buffer) { w.Write(t[i]) }

// BlockHash rebuilds the payload's header as op-node does and returns its
// hash. The error, which wraps ErrBlockHash, is non-nil when that hash is
// not the payload's blockHash, or when the envelope has no payload or a base
// fee that is not a uint256 (a nil base fee is zero, as in op-node's type).
//
// The header has no uncles, difficulty 0, nonce 0 and the transactions trie
// root. Like op-node, it takes its shape from the fields present rather than
// from the fork schedule (cfg is not consulted, and may be nil):
//   - with a withdrawalsRoot (V4, Isthmus on) that root is the header's
//     withdrawalsHash and the requests hash is sha256("") (no requests); the
//     withdrawals list is then not hashed;
//   - else with a withdrawals list (V2+, Canyon on) its trie root is the
//     withdrawalsHash;
//   - blobGasUsed, excessBlobGas and the parent beacon root (V3+, Ecotone on)
//     are set when present.
//
// Karst, Jovian and Lagoon add no header field.
func BlockHash(env *eth.ExecutionPayloadEnvelope, cfg *rollup.Config) (common.Hash, error) {
	_ = cfg // op-node's rebuild depends only on the payload
	if env == nil || env.ExecutionPayload == nil {
		return common.Hash{}, fmt.Errorf("%w: no execution payload", ErrBlockHash)
	}
	p := env.ExecutionPayload
	baseFee := p.BaseFeePerGas
	if baseFee == nil {
		baseFee = new(big.Int) // a decoded payload always has one; zero is op-node's default
	}
	if baseFee.Sign() < 0 || baseFee.BitLen() > 256 {
		return common.Hash{}, fmt.Errorf("%w: baseFeePerGas %s is not a uint256", ErrBlockHash, baseFee)
	}
	hasher := trie.NewStackTrie(nil)
	header := types.Header{
		ParentHash:       p.ParentHash,
		UncleHash:        types.EmptyUncleHash,
		Coinbase:         p.FeeRecipient,
		Root:             p.StateRoot,
		TxHash:           types.DeriveSha(rawTxs(p.Transactions), hasher),
		ReceiptHash:      p.ReceiptsRoot,
		Bloom:            p.LogsBloom,
		Difficulty:       new(big.Int),
		Number:           new(big.Int).SetUint64(p.BlockNumber),
		GasLimit:         p.GasLimit,
		GasUsed:          p.GasUsed,
		Time:             p.Timestamp,
		Extra:            p.ExtraData,
		MixDigest:        p.PrevRandao,
		Nonce:            types.BlockNonce{},
		BaseFee:          baseFee,
		BlobGasUsed:      p.BlobGasUsed,
		ExcessBlobGas:    p.ExcessBlobGas,
		ParentBeaconRoot: env.ParentBeaconBlockRoot,
	}
	switch {
	case p.WithdrawalsRoot != nil: // Isthmus
		root := *p.WithdrawalsRoot
		header.WithdrawalsHash = &root
		requests := types.EmptyRequestsHash
		header.RequestsHash = &requests
	case p.Withdrawals != nil: // Canyon
		root := types.DeriveSha(types.Withdrawals(p.Withdrawals), hasher)
		header.WithdrawalsHash = &root
	}
	actual := header.Hash()
	if actual != p.BlockHash {
		return actual, fmt.Errorf("%w: payload says %s, fields hash to %s", ErrBlockHash, p.BlockHash, actual)
	}
	return actual, nil
}

// CheckFields applies op-node's per-version field rules to a payload
// received on the version v topic, in op-node's order; the first broken
// rule is returned, wrapping ErrFields:
//   - V1: no withdrawals list;
//   - V2+: a withdrawals list, and an empty one;
//   - V1 and V2: no blobGasUsed, no excessBlobGas;
//   - V3+: a blobGasUsed, zero before Jovian (from Jovian it is the DA
//     footprint); an excessBlobGas of zero;
//   - V3+: a parent beacon block root;
//   - V4: a withdrawalsRoot.
//
// Jovian is looked up in cfg at the payload's timestamp; a nil cfg has no
// forks. Fields a layout cannot carry are not checked here: UnmarshalBody
// never sets them.
func CheckFields(env *eth.ExecutionPayloadEnvelope, v Version, cfg *rollup.Config) error {
	if !v.Valid() {
		return fmt.Errorf("%w: %d", ErrVersion, int(v))
	}
	if env == nil || env.ExecutionPayload == nil {
		return fmt.Errorf("%w: no execution payload", ErrFields)
	}
	p := env.ExecutionPayload
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s payload %s: %s", ErrFields, v, p.BlockHash, fmt.Sprintf(format, args...))
	}
	if !v.HasWithdrawals() && p.Withdrawals != nil {
		return fail("has withdrawals")
	}
	if v.HasWithdrawals() && p.Withdrawals == nil {
		return fail("has no withdrawals list")
	}
	if v.HasWithdrawals() && len(p.Withdrawals) != 0 {
		return fail("has %d withdrawals, want none", len(p.Withdrawals))
	}
	if !v.HasBlobGas() && p.BlobGasUsed != nil {
		return fail("has blobGasUsed")
	}
	if !v.HasBlobGas() && p.ExcessBlobGas != nil {
		return fail("has excessBlobGas")
	}
	if v.HasBlobGas() {
		jovian := cfg != nil && cfg.IsJovian(p.Timestamp)
		switch {
		case p.BlobGasUsed == nil:
			return fail("has no blobGasUsed")
		case !jovian && *p.BlobGasUsed != 0:
			return fail("has blobGasUsed %d before Jovian, want 0", *p.BlobGasUsed)
		}
		switch {
		case p.ExcessBlobGas == nil:
			return fail("has no excessBlobGas")
		case *p.ExcessBlobGas != 0:
			return fail("has excessBlobGas %d, want 0", *p.ExcessBlobGas)
		}
	}
	if v.HasBeaconRoot() && env.ParentBeaconBlockRoot == nil {
		return fail("has no parent beacon block root")
	}
	if v.HasWithdrawalsRoot() && p.WithdrawalsRoot == nil {
		return fail("has no withdrawalsRoot")
	}
	return nil
}
