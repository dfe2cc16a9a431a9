package sdktest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
)

// FakeEngine is an in-memory execution engine: it "builds" a block from
// attributes by hashing them, accepts payloads whose parent it knows, and
// keeps a canonical chain per forkchoice. It executes nothing.
type FakeEngine struct {
	// Origin decodes a block's L1 origin and sequence number; by default
	// every block keeps the genesis origin with sequence number = number.
	Origin func(p *eth.ExecutionPayload) (eth.BlockID, uint64)

	mu        sync.Mutex
	genesis   eth.L2BlockRef
	blocks    map[common.Hash]*eth.ExecutionPayload
	canonical []common.Hash
	safe      common.Hash
	finalized common.Hash
	building  map[engine.PayloadID]*eth.ExecutionPayload
}

var _ engine.Engine = (*FakeEngine)(nil)

// NewFakeEngine returns an engine whose chain is just genesis.
func NewFakeEngine(genesis eth.L2BlockRef) *FakeEngine {
	g := &eth.ExecutionPayload{BlockHash: genesis.Hash, BlockNumber: genesis.Number, Timestamp: genesis.Time, ParentHash: genesis.ParentHash, GasLimit: 30_000_000, BaseFeePerGas: big.NewInt(1)}
	return &FakeEngine{
		genesis:   genesis,
		blocks:    map[common.Hash]*eth.ExecutionPayload{genesis.Hash: g},
		canonical: []common.Hash{genesis.Hash},
		safe:      genesis.Hash,
		finalized: genesis.Hash,
		building:  map[engine.PayloadID]*eth.ExecutionPayload{},
	}
}

func (f *FakeEngine) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "fake-engine", Version: "test"}, nil
}

func (f *FakeEngine) Configure(context.Context, base.ConfigureRequest) error { return nil }

func (f *FakeEngine) ref(p *eth.ExecutionPayload) eth.L2BlockRef {
	ref := eth.L2BlockRef{Hash: p.BlockHash, Number: p.BlockNumber, ParentHash: p.ParentHash, Time: p.Timestamp, L1Origin: f.genesis.L1Origin}
	if p.BlockHash == f.genesis.Hash {
		return f.genesis
	}
	if f.Origin != nil {
		ref.L1Origin, ref.SequenceNumber = f.Origin(p)
	} else {
		ref.SequenceNumber = p.BlockNumber - f.genesis.Number
	}
	return ref
}

// setHead makes hash the canonical head, rebuilding the canonical list.
func (f *FakeEngine) setHead(hash common.Hash) bool {
	var chain []common.Hash
	for h := hash; ; {
		p, ok := f.blocks[h]
		if !ok {
			return false
		}
		chain = append([]common.Hash{h}, chain...)
		if h == f.genesis.Hash {
			break
		}
		h = p.ParentHash
	}
	f.canonical = chain
	return true
}

func (f *FakeEngine) ForkchoiceUpdated(_ context.Context, st engine.ForkchoiceState, attrs *eth.PayloadAttributes) (engine.ForkchoiceResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.blocks[st.Head]; !ok {
		return engine.ForkchoiceResult{Status: engine.PayloadStatus{Status: engine.StatusSyncing}}, nil
	}
	f.setHead(st.Head)
	if st.Safe != (common.Hash{}) {
		f.safe = st.Safe
	}
	if st.Finalized != (common.Hash{}) {
		f.finalized = st.Finalized
	}
	valid := st.Head
	res := engine.ForkchoiceResult{Status: engine.PayloadStatus{Status: engine.StatusValid, LatestValidHash: &valid}}
	if attrs == nil {
		return res, nil
	}
	parent := f.blocks[st.Head]
	if attrs.Timestamp <= parent.Timestamp {
		return engine.ForkchoiceResult{}, fmt.Errorf("%w: timestamp %d not after parent %d", engine.ErrInvalidAttributes, attrs.Timestamp, parent.Timestamp)
	}
	gas := parent.GasLimit
	if attrs.GasLimit != nil {
		gas = *attrs.GasLimit
	}
	p := &eth.ExecutionPayload{
		ParentHash: parent.BlockHash, FeeRecipient: attrs.SuggestedFeeRecipient, PrevRandao: attrs.PrevRandao,
		BlockNumber: parent.BlockNumber + 1, GasLimit: gas, Timestamp: attrs.Timestamp,
		BaseFeePerGas: big.NewInt(1), Transactions: attrs.Transactions, Withdrawals: attrs.Withdrawals,
	}
	h := crypto.NewKeccakState()
	h.Write(parent.BlockHash[:])
	h.Write(binary.BigEndian.AppendUint64(nil, attrs.Timestamp))
	h.Write(attrs.PrevRandao[:])
	for _, tx := range attrs.Transactions {
		h.Write(crypto.Keccak256(tx))
	}
	h.Read(p.BlockHash[:])
	var id engine.PayloadID
	copy(id[:], p.BlockHash[:8])
	f.building[id] = p
	res.PayloadID = &id
	return res, nil
}

func (f *FakeEngine) GetPayload(_ context.Context, id engine.PayloadID, _ uint64) (*eth.ExecutionPayloadEnvelope, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.building[id]
	if !ok {
		return nil, fmt.Errorf("payload %s: %w", id, engine.ErrUnknownPayload)
	}
	delete(f.building, id)
	cp := *p
	return &eth.ExecutionPayloadEnvelope{ExecutionPayload: &cp}, nil
}

func (f *FakeEngine) NewPayload(_ context.Context, env *eth.ExecutionPayloadEnvelope) (engine.PayloadStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := env.ExecutionPayload
	parent, ok := f.blocks[p.ParentHash]
	if !ok {
		return engine.PayloadStatus{Status: engine.StatusSyncing}, nil
	}
	if p.BlockNumber != parent.BlockNumber+1 || p.Timestamp <= parent.Timestamp {
		lvh := parent.BlockHash
		return engine.PayloadStatus{Status: engine.StatusInvalid, LatestValidHash: &lvh, ValidationError: "bad number or timestamp"}, nil
	}
	cp := *p
	f.blocks[p.BlockHash] = &cp
	h := p.BlockHash
	return engine.PayloadStatus{Status: engine.StatusValid, LatestValidHash: &h}, nil
}

func (f *FakeEngine) L2BlockRefByNumber(_ context.Context, n uint64) (eth.L2BlockRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := n - f.genesis.Number
	if n < f.genesis.Number || i >= uint64(len(f.canonical)) {
		return eth.L2BlockRef{}, fmt.Errorf("l2 block %d: %w", n, eth.ErrNotFound)
	}
	return f.ref(f.blocks[f.canonical[i]]), nil
}

func (f *FakeEngine) L2BlockRefByHash(_ context.Context, h common.Hash) (eth.L2BlockRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.blocks[h]
	if !ok {
		return eth.L2BlockRef{}, fmt.Errorf("l2 block %s: %w", h, eth.ErrNotFound)
	}
	return f.ref(p), nil
}

func (f *FakeEngine) L2BlockRefByLabel(_ context.Context, l eth.BlockLabel) (eth.L2BlockRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch l {
	case eth.Unsafe:
		return f.ref(f.blocks[f.canonical[len(f.canonical)-1]]), nil
	case eth.Safe:
		return f.ref(f.blocks[f.safe]), nil
	case eth.Finalized:
		return f.ref(f.blocks[f.finalized]), nil
	default:
		return eth.L2BlockRef{}, fmt.Errorf("%w: label %v", eth.ErrInvalidArgument, l)
	}
}

func (f *FakeEngine) PayloadByNumber(_ context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := n - f.genesis.Number
	if n < f.genesis.Number || i >= uint64(len(f.canonical)) {
		return nil, fmt.Errorf("l2 block %d: %w", n, eth.ErrNotFound)
	}
	cp := *f.blocks[f.canonical[i]]
	return &eth.ExecutionPayloadEnvelope{ExecutionPayload: &cp}, nil
}

func (f *FakeEngine) SystemConfigByL2Hash(_ context.Context, h common.Hash) (eth.SystemConfig, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.blocks[h]
	if !ok {
		return eth.SystemConfig{}, fmt.Errorf("l2 block %s: %w", h, eth.ErrNotFound)
	}
	return eth.SystemConfig{GasLimit: p.GasLimit}, nil
}

func (f *FakeEngine) OutputV0AtBlock(_ context.Context, h common.Hash) (engine.OutputV0, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.blocks[h]
	if !ok {
		return engine.OutputV0{}, fmt.Errorf("l2 block %s: %w", h, eth.ErrNotFound)
	}
	return engine.OutputV0{StateRoot: p.StateRoot, BlockHash: p.BlockHash, Block: f.ref(p)}, nil
}
