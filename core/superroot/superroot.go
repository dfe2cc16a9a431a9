// Package superroot serves superroot_atTimestamp for the node's own chain,
// in op-node's JSON shape: the chain's output at a timestamp, the L1 data
// its safety requires, and the super root of the one-chain super (SuperV1).
// Super-root dispute games read it; op-supernode serves the same method for
// a whole dependency set.
package superroot

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// VersionV1 is the version byte of a SuperV1.
const VersionV1 = 1

// ChainOutput is one chain's output root in a super.
type ChainOutput struct {
	ChainID uint64
	Output  common.Hash
}

// SuperV1 is the outputs of a set of chains at one timestamp.
type SuperV1 struct {
	Timestamp uint64
	Chains    []ChainOutput // ascending chain id
}

// NewSuperV1 sorts the chains by id.
func NewSuperV1(ts uint64, chains ...ChainOutput) SuperV1 {
	s := SuperV1{Timestamp: ts, Chains: append([]ChainOutput(nil), chains...)}
	sort.Slice(s.Chains, func(i, j int) bool { return s.Chains[i].ChainID < s.Chains[j].ChainID })
	return s
}

// Marshal is the super's preimage: version ‖ timestamp (8 bytes BE) ‖ for
// each chain, its id (32 bytes BE) ‖ its output root.
func (s SuperV1) Marshal() []byte {
	out := make([]byte, 0, 9+64*len(s.Chains))
	out = append(out, VersionV1)
	out = binary.BigEndian.AppendUint64(out, s.Timestamp)
	for _, c := range s.Chains {
		var id [32]byte
		new(big.Int).SetUint64(c.ChainID).FillBytes(id[:])
		out = append(out, id[:]...)
		out = append(out, c.Output[:]...)
	}
	return out
}

// Root is keccak256 of the preimage.
func (s SuperV1) Root() common.Hash { return crypto.Keccak256Hash(s.Marshal()) }

// MarshalJSON writes op-node's form: {"timestamp": hex, "chains":
// [{"ChainID": "<decimal>", "Output": "0x…"}]}.
func (s SuperV1) MarshalJSON() ([]byte, error) {
	type chain struct {
		ChainID string      `json:"ChainID"`
		Output  common.Hash `json:"Output"`
	}
	out := struct {
		Timestamp hexutil.Uint64 `json:"timestamp"`
		Chains    []chain        `json:"chains"`
	}{Timestamp: hexutil.Uint64(s.Timestamp), Chains: []chain{}}
	for _, c := range s.Chains {
		out.Chains = append(out.Chains, chain{ChainID: strconv.FormatUint(c.ChainID, 10), Output: c.Output})
	}
	return json.Marshal(out)
}

// Output is the version-0 output of a block in op-node's JSON.
type Output struct {
	StateRoot                common.Hash `json:"stateRoot"`
	MessagePasserStorageRoot common.Hash `json:"messagePasserStorageRoot"`
	BlockHash                common.Hash `json:"blockHash"`
}

// OutputWithRequiredL1 is the chain's output at the timestamp and the L1
// block its safety requires.
type OutputWithRequiredL1 struct {
	Output     Output      `json:"output"`
	OutputRoot common.Hash `json:"output_root"`
	RequiredL1 eth.BlockID `json:"required_l1"`
}

// Data is set once every chain's output at the timestamp is known.
type Data struct {
	VerifiedRequiredL1 eth.BlockID `json:"verified_required_l1"`
	Super              SuperV1     `json:"super"`
	SuperRoot          common.Hash `json:"super_root"`
}

// Response is superroot_atTimestamp's answer (op-service's
// SuperRootAtTimestampResponse). Chain ids are decimal strings, as
// op-node's ChainID marshals them.
type Response struct {
	CurrentL1                 eth.BlockID                     `json:"current_l1"`
	CurrentSafeTimestamp      uint64                          `json:"safe_timestamp"`
	CurrentLocalSafeTimestamp uint64                          `json:"local_safe_timestamp"`
	CurrentFinalizedTimestamp uint64                          `json:"finalized_timestamp"`
	OptimisticAtTimestamp     map[string]OutputWithRequiredL1 `json:"optimistic_at_timestamp"`
	ChainIDs                  []string                        `json:"chain_ids"`
	Data                      *Data                           `json:"data,omitempty"`
}

// Status is the node's position, as the RPC reports it.
type Status struct {
	CurrentL1                  eth.L1BlockRef
	LocalSafe, Safe, Finalized eth.L2BlockRef
}

// Chain reads the node's own L2 chain.
type Chain interface {
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	OutputV0AtBlock(ctx context.Context, hash common.Hash) (engine.OutputV0, error)
}

// SafeIndex finds the lowest L1 block at which the safe head reached an L2
// block (eth.ErrNotFound when none recorded does).
type SafeIndex interface {
	L1AtSafeHead(l2Number uint64) (eth.BlockID, error)
}

// API serves the superroot namespace.
type API struct {
	cfg    *rollup.Config
	status func() Status
	chain  Chain
	index  SafeIndex
}

// NewAPI builds the API.
func NewAPI(cfg *rollup.Config, status func() Status, chain Chain, index SafeIndex) *API {
	return &API{cfg: cfg, status: status, chain: chain, index: index}
}

// AtTimestamp answers superroot_atTimestamp. Without a block at ts up to
// the local-safe head (or before genesis, or before the safe-head index
// covers it) the answer has no optimistic output and no data, as op-node's.
func (a *API) AtTimestamp(ctx context.Context, ts hexutil.Uint64) (*Response, error) {
	st := a.status()
	id := strconv.FormatUint(a.cfg.L2ChainID.Uint64(), 10)
	resp := &Response{
		CurrentL1:                 st.CurrentL1.ID(),
		CurrentSafeTimestamp:      st.Safe.Time,
		CurrentLocalSafeTimestamp: st.LocalSafe.Time,
		CurrentFinalizedTimestamp: st.Finalized.Time,
		OptimisticAtTimestamp:     map[string]OutputWithRequiredL1{},
		ChainIDs:                  []string{id},
	}
	number, err := a.cfg.TargetBlockNumber(uint64(ts))
	if err != nil || number > st.LocalSafe.Number {
		return resp, nil
	}
	ref, err := a.chain.L2BlockRefByNumber(ctx, number)
	if errors.Is(err, eth.ErrNotFound) {
		return resp, nil
	}
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", number, err)
	}
	out, err := a.chain.OutputV0AtBlock(ctx, ref.Hash)
	if err != nil {
		return nil, fmt.Errorf("output at block %d: %w", number, err)
	}
	var required eth.BlockID // L1 block 0 for the genesis block, as op-node
	if number != a.cfg.Genesis.L2.Number {
		required, err = a.index.L1AtSafeHead(number)
		if errors.Is(err, eth.ErrNotFound) {
			return resp, nil
		}
		if err != nil {
			return nil, fmt.Errorf("safe-head index: %w", err)
		}
	}
	root := out.Root()
	resp.OptimisticAtTimestamp[id] = OutputWithRequiredL1{
		Output:     Output{StateRoot: out.StateRoot, MessagePasserStorageRoot: out.MessagePasserStorageRoot, BlockHash: out.BlockHash},
		OutputRoot: root,
		RequiredL1: required,
	}
	super := NewSuperV1(uint64(ts), ChainOutput{ChainID: a.cfg.L2ChainID.Uint64(), Output: root})
	resp.Data = &Data{VerifiedRequiredL1: required, Super: super, SuperRoot: super.Root()}
	return resp, nil
}
