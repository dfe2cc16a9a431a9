// Package engine is the contract of the plugin that drives the L2 execution
// engine (op-geth, op-reth) over the Engine API, and reads the L2 chain.
package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
)

// ProtocolVersion is the version of the contract in
// sdk/proto/opal/engine/v1 ("major.minor").
const ProtocolVersion = "1.0"

// PayloadID identifies a block being built.
type PayloadID [8]byte

func (id PayloadID) String() string { return hexutil.Encode(id[:]) }

// ForkchoiceState is the engine's head, safe and finalized blocks.
type ForkchoiceState struct {
	Head      common.Hash
	Safe      common.Hash
	Finalized common.Hash
}

// Status is the Engine API's payload status.
type Status int

const (
	StatusValid Status = iota + 1
	StatusInvalid
	StatusSyncing
	StatusAccepted
	StatusInvalidBlockHash
)

func (s Status) String() string {
	switch s {
	case StatusValid:
		return "VALID"
	case StatusInvalid:
		return "INVALID"
	case StatusSyncing:
		return "SYNCING"
	case StatusAccepted:
		return "ACCEPTED"
	case StatusInvalidBlockHash:
		return "INVALID_BLOCK_HASH"
	default:
		return fmt.Sprintf("Status(%d)", int(s))
	}
}

// PayloadStatus is the engine's verdict on a payload or forkchoice.
type PayloadStatus struct {
	Status          Status
	LatestValidHash *common.Hash
	ValidationError string
}

// ForkchoiceResult is the answer to ForkchoiceUpdated.
type ForkchoiceResult struct {
	Status PayloadStatus
	// PayloadID is set when attributes were given and a build started.
	PayloadID *PayloadID
}

// OutputV0 are the inputs of the version-0 output root of a block.
type OutputV0 struct {
	StateRoot                common.Hash
	MessagePasserStorageRoot common.Hash
	BlockHash                common.Hash
	Block                    eth.L2BlockRef
}

var (
	// ErrUnknownPayload: the engine does not know the payload id (the build
	// expired or the engine restarted).
	ErrUnknownPayload = errors.New("unknown payload")
	// ErrInvalidAttributes: the engine refused the payload attributes
	// (Engine API error -38003).
	ErrInvalidAttributes = errors.New("invalid payload attributes")
)

// Engine drives the execution engine. Invalid payloads and forkchoice
// states are results (PayloadStatus), not errors; errors are transport and
// protocol failures: eth.ErrTemporary (timeout, connection), ErrUnknownPayload,
// ErrInvalidAttributes, eth.ErrNotFound for reads.
type Engine interface {
	base.Plugin
	ForkchoiceUpdated(ctx context.Context, state ForkchoiceState, attrs *eth.PayloadAttributes) (ForkchoiceResult, error)
	// GetPayload seals the build; timestamp is the payload's, which fixes
	// the method version.
	GetPayload(ctx context.Context, id PayloadID, timestamp uint64) (*eth.ExecutionPayloadEnvelope, error)
	NewPayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) (PayloadStatus, error)
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	L2BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L2BlockRef, error)
	L2BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L2BlockRef, error)
	PayloadByNumber(ctx context.Context, number uint64) (*eth.ExecutionPayloadEnvelope, error)
	SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error)
	OutputV0AtBlock(ctx context.Context, hash common.Hash) (OutputV0, error)
}

// Root is the version-0 output root: keccak256(version(32 zero bytes) ‖
// stateRoot ‖ messagePasserStorageRoot ‖ blockHash).
func (o OutputV0) Root() common.Hash {
	var version common.Hash
	return crypto.Keccak256Hash(version[:], o.StateRoot[:], o.MessagePasserStorageRoot[:], o.BlockHash[:])
}
