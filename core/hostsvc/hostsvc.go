// Package hostsvc is the core's read-only view offered to plugins (the host
// service of sdk/host): L1 and L2 blocks from the L1 source and the engine,
// and the L2 heads as the core holds them (which may differ from the
// engine's labels mid-step). Until the node is ready, while plugins are
// still being loaded and configured, every call is eth.ErrUnavailable.
package hostsvc

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/host"
)

// L1 is the L1 source.
type L1 interface {
	BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
	BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error)
	BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L1BlockRef, error)
}

// L2 is the engine's chain.
type L2 interface {
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	L2BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L2BlockRef, error)
	PayloadByNumber(ctx context.Context, number uint64) (*eth.ExecutionPayloadEnvelope, error)
	SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error)
}

type deps struct {
	l1    L1
	l2    L2
	heads heads.View
}

// Service implements host.Host.
type Service struct {
	d atomic.Pointer[deps]
}

var _ host.Host = (*Service)(nil)

// Ready makes the service answer from l1, l2 and h. Before it, every call
// is eth.ErrUnavailable.
func (s *Service) Ready(l1 L1, l2 L2, h heads.View) { s.d.Store(&deps{l1: l1, l2: l2, heads: h}) }

func (s *Service) get() (*deps, error) {
	d := s.d.Load()
	if d == nil {
		return nil, fmt.Errorf("host service: the node is not ready yet (plugins are being loaded): %w", eth.ErrUnavailable)
	}
	return d, nil
}

func (s *Service) L1BlockRefByNumber(ctx context.Context, n uint64) (eth.L1BlockRef, error) {
	d, err := s.get()
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return d.l1.BlockRefByNumber(ctx, n)
}

func (s *Service) L1BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error) {
	d, err := s.get()
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return d.l1.BlockRefByHash(ctx, hash)
}

func (s *Service) L1BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	d, err := s.get()
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return d.l1.BlockRefByLabel(ctx, l)
}

func (s *Service) L2BlockRefByNumber(ctx context.Context, n uint64) (eth.L2BlockRef, error) {
	d, err := s.get()
	if err != nil {
		return eth.L2BlockRef{}, err
	}
	return d.l2.L2BlockRefByNumber(ctx, n)
}

func (s *Service) L2BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L2BlockRef, error) {
	d, err := s.get()
	if err != nil {
		return eth.L2BlockRef{}, err
	}
	return d.l2.L2BlockRefByHash(ctx, hash)
}

// L2BlockRefByLabel answers from the core's heads.
func (s *Service) L2BlockRefByLabel(_ context.Context, l eth.BlockLabel) (eth.L2BlockRef, error) {
	d, err := s.get()
	if err != nil {
		return eth.L2BlockRef{}, err
	}
	h := d.heads.Get()
	switch l {
	case eth.Unsafe:
		return h.Unsafe, nil
	case eth.Safe:
		return h.Safe, nil
	case eth.Finalized:
		return h.Finalized, nil
	}
	return eth.L2BlockRef{}, fmt.Errorf("%w: label %v", eth.ErrInvalidArgument, l)
}

func (s *Service) PayloadByNumber(ctx context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	d, err := s.get()
	if err != nil {
		return nil, err
	}
	return d.l2.PayloadByNumber(ctx, n)
}

func (s *Service) SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error) {
	d, err := s.get()
	if err != nil {
		return eth.SystemConfig{}, err
	}
	return d.l2.SystemConfigByL2Hash(ctx, hash)
}
