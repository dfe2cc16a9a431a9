package host

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/grpc"

	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"
	hostv1 "github.com/opalnode/opal/sdk/internal/pb/host/v1"
	"github.com/opalnode/opal/sdk/internal/wire"

	"github.com/opalnode/opal/sdk/eth"
)

// RegisterServer serves h on a gRPC server (the host side of the broker).
func RegisterServer(s *grpc.Server, h Host) { hostv1.RegisterHostServer(s, &server{impl: h}) }

// NewClient returns a Host that calls the core over conn (the plugin side).
func NewClient(conn grpc.ClientConnInterface) Host { return &client{c: hostv1.NewHostClient(conn)} }

type server struct{ impl Host }

func (s *server) L1BlockRefByNumber(ctx context.Context, r *hostv1.NumberRequest) (*commonv1.L1BlockRef, error) {
	ref, err := s.impl.L1BlockRefByNumber(ctx, r.Number)
	return wire.L1RefToProto(ref), wire.ToStatus(err)
}

func (s *server) L1BlockRefByHash(ctx context.Context, r *hostv1.HashRequest) (*commonv1.L1BlockRef, error) {
	var d wire.Decoder
	h := d.Hash(r.Hash, "hash")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	ref, err := s.impl.L1BlockRefByHash(ctx, h)
	return wire.L1RefToProto(ref), wire.ToStatus(err)
}

func (s *server) L1BlockRefByLabel(ctx context.Context, r *hostv1.LabelRequest) (*commonv1.L1BlockRef, error) {
	var d wire.Decoder
	l := d.Label(r.Label)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	ref, err := s.impl.L1BlockRefByLabel(ctx, l)
	return wire.L1RefToProto(ref), wire.ToStatus(err)
}

func (s *server) L2BlockRefByNumber(ctx context.Context, r *hostv1.NumberRequest) (*commonv1.L2BlockRef, error) {
	ref, err := s.impl.L2BlockRefByNumber(ctx, r.Number)
	return wire.L2RefToProto(ref), wire.ToStatus(err)
}

func (s *server) L2BlockRefByHash(ctx context.Context, r *hostv1.HashRequest) (*commonv1.L2BlockRef, error) {
	var d wire.Decoder
	h := d.Hash(r.Hash, "hash")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	ref, err := s.impl.L2BlockRefByHash(ctx, h)
	return wire.L2RefToProto(ref), wire.ToStatus(err)
}

func (s *server) L2BlockRefByLabel(ctx context.Context, r *hostv1.LabelRequest) (*commonv1.L2BlockRef, error) {
	var d wire.Decoder
	l := d.Label(r.Label)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	ref, err := s.impl.L2BlockRefByLabel(ctx, l)
	return wire.L2RefToProto(ref), wire.ToStatus(err)
}

func (s *server) PayloadByNumber(ctx context.Context, r *hostv1.NumberRequest) (*commonv1.ExecutionPayloadEnvelope, error) {
	env, err := s.impl.PayloadByNumber(ctx, r.Number)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.EnvelopeToProto(env), nil
}

func (s *server) SystemConfigByL2Hash(ctx context.Context, r *hostv1.HashRequest) (*commonv1.SystemConfig, error) {
	var d wire.Decoder
	h := d.Hash(r.Hash, "hash")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	cfg, err := s.impl.SystemConfigByL2Hash(ctx, h)
	return wire.SystemConfigToProto(cfg), wire.ToStatus(err)
}

type client struct{ c hostv1.HostClient }

func l1Result(ctx context.Context, p *commonv1.L1BlockRef, err error) (eth.L1BlockRef, error) {
	if err != nil {
		return eth.L1BlockRef{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	ref := d.L1Ref(p)
	return ref, d.Err()
}

func l2Result(ctx context.Context, p *commonv1.L2BlockRef, err error) (eth.L2BlockRef, error) {
	if err != nil {
		return eth.L2BlockRef{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	ref := d.L2Ref(p)
	return ref, d.Err()
}

func (c *client) L1BlockRefByNumber(ctx context.Context, n uint64) (eth.L1BlockRef, error) {
	p, err := c.c.L1BlockRefByNumber(ctx, &hostv1.NumberRequest{Number: n})
	return l1Result(ctx, p, err)
}

func (c *client) L1BlockRefByHash(ctx context.Context, h common.Hash) (eth.L1BlockRef, error) {
	p, err := c.c.L1BlockRefByHash(ctx, &hostv1.HashRequest{Hash: h.Bytes()})
	return l1Result(ctx, p, err)
}

func (c *client) L1BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	p, err := c.c.L1BlockRefByLabel(ctx, &hostv1.LabelRequest{Label: wire.LabelToProto(l)})
	return l1Result(ctx, p, err)
}

func (c *client) L2BlockRefByNumber(ctx context.Context, n uint64) (eth.L2BlockRef, error) {
	p, err := c.c.L2BlockRefByNumber(ctx, &hostv1.NumberRequest{Number: n})
	return l2Result(ctx, p, err)
}

func (c *client) L2BlockRefByHash(ctx context.Context, h common.Hash) (eth.L2BlockRef, error) {
	p, err := c.c.L2BlockRefByHash(ctx, &hostv1.HashRequest{Hash: h.Bytes()})
	return l2Result(ctx, p, err)
}

func (c *client) L2BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (eth.L2BlockRef, error) {
	p, err := c.c.L2BlockRefByLabel(ctx, &hostv1.LabelRequest{Label: wire.LabelToProto(l)})
	return l2Result(ctx, p, err)
}

func (c *client) PayloadByNumber(ctx context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	p, err := c.c.PayloadByNumber(ctx, &hostv1.NumberRequest{Number: n})
	if err != nil {
		return nil, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	env := d.Envelope(p)
	return env, d.Err()
}

func (c *client) SystemConfigByL2Hash(ctx context.Context, h common.Hash) (eth.SystemConfig, error) {
	p, err := c.c.SystemConfigByL2Hash(ctx, &hostv1.HashRequest{Hash: h.Bytes()})
	if err != nil {
		return eth.SystemConfig{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	cfg := d.SystemConfig(p)
	return cfg, d.Err()
}
