package node

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/host"
	"github.com/opalnode/opal/sdk/l1source"
)

// hostService is the core's read-only view offered to plugins. It answers
// from the L1 source and the engine, and labels L2 heads from the core's
// own head state (which may differ from the engine's labels mid-step).
type hostService struct {
	l1     func() l1source.Source
	engine func() engine.Engine
	heads  *heads.State
}

var _ host.Host = (*hostService)(nil)

func (h *hostService) ready() error {
	if h.l1() == nil || h.engine() == nil {
		return fmt.Errorf("host service: plugins not loaded yet: %w", eth.ErrTemporary)
	}
	return nil
}

func (h *hostService) L1BlockRefByNumber(ctx context.Context, n uint64) (eth.L1BlockRef, error) {
	if err := h.ready(); err != nil {
		return eth.L1BlockRef{}, err
	}
	return h.l1().BlockRefByNumber(ctx, n)
}

func (h *hostService) L1BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error) {
	if err := h.ready(); err != nil {
		return eth.L1BlockRef{}, err
	}
	return h.l1().BlockRefByHash(ctx, hash)
}

func (h *hostService) L1BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	if err := h.ready(); err != nil {
		return eth.L1BlockRef{}, err
	}
	return h.l1().BlockRefByLabel(ctx, l)
}

func (h *hostService) L2BlockRefByNumber(ctx context.Context, n uint64) (eth.L2BlockRef, error) {
	if err := h.ready(); err != nil {
		return eth.L2BlockRef{}, err
	}
	return h.engine().L2BlockRefByNumber(ctx, n)
}

func (h *hostService) L2BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L2BlockRef, error) {
	if err := h.ready(); err != nil {
		return eth.L2BlockRef{}, err
	}
	return h.engine().L2BlockRefByHash(ctx, hash)
}

func (h *hostService) L2BlockRefByLabel(_ context.Context, l eth.BlockLabel) (eth.L2BlockRef, error) {
	s := h.heads.Get()
	switch l {
	case eth.Unsafe:
		return s.Unsafe, nil
	case eth.Safe:
		return s.Safe, nil
	case eth.Finalized:
		return s.Finalized, nil
	}
	return eth.L2BlockRef{}, fmt.Errorf("%w: label %v", eth.ErrInvalidArgument, l)
}

func (h *hostService) PayloadByNumber(ctx context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	if err := h.ready(); err != nil {
		return nil, err
	}
	return h.engine().PayloadByNumber(ctx, n)
}

func (h *hostService) SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error) {
	if err := h.ready(); err != nil {
		return eth.SystemConfig{}, err
	}
	return h.engine().SystemConfigByL2Hash(ctx, hash)
}
