package engine

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk/eth"
)

// L2BlockRefByNumber reads the canonical L2 block at n with its L1 origin
// and sequence number, decoded from its L1-info deposit (for the rollup
// genesis: the genesis L1 block and 0).
func (e *Engine) L2BlockRefByNumber(ctx context.Context, n uint64) (eth.L2BlockRef, error) {
	return e.blockRef(ctx, selNumber(n))
}

// L2BlockRefByHash reads the L2 block with the given hash.
func (e *Engine) L2BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L2BlockRef, error) {
	return e.blockRef(ctx, selHash(hash))
}

// L2BlockRefByLabel reads the engine's unsafe ("latest"), safe or
// finalized head. A head the engine does not have yet is eth.ErrNotFound.
func (e *Engine) L2BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L2BlockRef, error) {
	switch label {
	case eth.Unsafe, eth.Safe, eth.Finalized:
		return e.blockRef(ctx, selLabel(label.String()))
	default:
		return eth.L2BlockRef{}, fmt.Errorf("%w: unknown block label %v", eth.ErrInvalidArgument, label)
	}
}

func (e *Engine) blockRef(ctx context.Context, sel blockSel) (eth.L2BlockRef, error) {
	c, err := e.current()
	if err != nil {
		return eth.L2BlockRef{}, err
	}
	h, tx0, err := c.headerAndFirstTx(ctx, sel)
	if err != nil {
		return eth.L2BlockRef{}, err
	}
	return c.refOf(h, tx0)
}

// refOf decodes a block's reference. A block that does not decode (no
// L1-info deposit, a genesis hash other than the rollup config's) is
// reported unclassified: it is neither a transient failure nor a reason to
// reset, and the caller decides how to treat a chain that is not ours.
func (c *conn) refOf(h *rpcHeader, tx0 []byte) (eth.L2BlockRef, error) {
	ref, err := l1info.BlockRef(c.cfg, h.l2Block(), tx0)
	if err != nil {
		return eth.L2BlockRef{}, fmt.Errorf("l2 block %d (%s) from %s: %w", uint64(h.Number), h.Hash, c.endpoint, err)
	}
	return ref, nil
}

// PayloadByNumber reads the canonical L2 block at n as an execution
// payload, with the parent beacon block root of its header (from Ecotone),
// as a peer would receive it over p2p.
func (e *Engine) PayloadByNumber(ctx context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	c, err := e.current()
	if err != nil {
		return nil, err
	}
	h, err := c.header(ctx, selNumber(n))
	if err != nil {
		return nil, err
	}
	txs, err := c.rawTxs(ctx, h, len(h.Transactions))
	if err != nil {
		return nil, err
	}
	if h.BaseFee == nil {
		return nil, c.badAnswer("eth_getBlockByNumber", fmt.Errorf("block %s has no baseFeePerGas", h.Hash))
	}
	p := &eth.ExecutionPayload{
		ParentHash:    h.ParentHash,
		FeeRecipient:  h.Miner,
		StateRoot:     h.StateRoot,
		ReceiptsRoot:  h.ReceiptsRoot,
		LogsBloom:     h.LogsBloom,
		PrevRandao:    h.MixHash,
		BlockNumber:   uint64(h.Number),
		GasLimit:      uint64(h.GasLimit),
		GasUsed:       uint64(h.GasUsed),
		Timestamp:     uint64(h.Timestamp),
		ExtraData:     h.ExtraData,
		BaseFeePerGas: h.BaseFee.ToInt(),
		BlockHash:     h.Hash,
		Transactions:  txs,
		Withdrawals:   h.Withdrawals,
		BlobGasUsed:   (*uint64)(h.BlobGasUsed),
		ExcessBlobGas: (*uint64)(h.ExcessBlobGas),
	}
	if p.Transactions == nil {
		p.Transactions = [][]byte{}
	}
	// Before Isthmus the header's withdrawals root is that of the (empty)
	// withdrawals list and not part of the payload; from Isthmus it is
	// the message passer's storage root and is.
	if c.cfg.IsIsthmus(p.Timestamp) {
		p.WithdrawalsRoot = h.WithdrawalsRoot
	}
	return &eth.ExecutionPayloadEnvelope{ParentBeaconBlockRoot: h.ParentBeaconRoot, ExecutionPayload: p}, nil
}

// SystemConfigByL2Hash rebuilds the system config in effect after the L2
// block (from its L1-info deposit and header; the rollup genesis config
// for the genesis block).
func (e *Engine) SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error) {
	c, err := e.current()
	if err != nil {
		return eth.SystemConfig{}, err
	}
	h, tx0, err := c.headerAndFirstTx(ctx, selHash(hash))
	if err != nil {
		return eth.SystemConfig{}, err
	}
	sc, err := l1info.SystemConfigFromL2Block(c.cfg, h.l2Block(), tx0)
	if err != nil {
		return eth.SystemConfig{}, fmt.Errorf("system config of l2 block %d (%s) from %s: %w", uint64(h.Number), h.Hash, c.endpoint, err)
	}
	return sc, nil
}
