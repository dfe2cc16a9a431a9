package originselector

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"
	pb "github.com/opalnode/opal/sdk/internal/pb/originselector/v1"
	"github.com/opalnode/opal/sdk/internal/shim"
	"github.com/opalnode/opal/sdk/internal/wire"
)

func init() {
	wire.RegisterError(commonv1.ErrorKind_ERROR_KIND_NEXT_ORIGIN_REQUIRED, ErrNextOriginRequired)
	wire.RegisterError(commonv1.ErrorKind_ERROR_KIND_NEXT_ORIGIN_ORPHANED, ErrNextOriginOrphaned)
}

// Plugin serves or dials a Selector over go-plugin's gRPC transport.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the implementation served; unused on the client side.
	Impl Selector
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterOriginSelectorServer(s, &server{impl: p.Impl, broker: broker})
	return nil
}

func (p *Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewClient(conn, broker), nil
}

// NewClient returns a Selector that calls a plugin over conn. broker may be
// nil when no host service is offered.
func NewClient(conn grpc.ClientConnInterface, broker *plugin.GRPCBroker) Selector {
	return &client{c: pb.NewOriginSelectorClient(conn), broker: broker}
}

type server struct {
	impl   Selector
	broker *plugin.GRPCBroker
}

func (s *server) Info(ctx context.Context, _ *commonv1.InfoRequest) (*commonv1.PluginInfo, error) {
	return shim.ServerInfo(ctx, s.impl, ProtocolVersion)
}

func (s *server) Configure(ctx context.Context, r *commonv1.ConfigureRequest) (*commonv1.ConfigureResponse, error) {
	return shim.ServerConfigure(ctx, s.impl, s.broker, r)
}

func (s *server) NextL1Origin(ctx context.Context, r *pb.NextL1OriginRequest) (*commonv1.L1BlockRef, error) {
	var d wire.Decoder
	req := Request{
		UnsafeHead:    d.L2Ref(r.UnsafeHead),
		CurrentOrigin: d.L1Ref(r.CurrentOrigin),
		L1Head:        d.L1Ref(r.L1Head),
		Recover:       r.Recover,
	}
	if r.NextOrigin != nil {
		next := d.L1Ref(r.NextOrigin)
		req.NextOrigin = &next
	}
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	ref, err := s.impl.NextL1Origin(ctx, req)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.L1RefToProto(ref), nil
}

type client struct {
	c      pb.OriginSelectorClient
	broker *plugin.GRPCBroker
}

func (c *client) Info(ctx context.Context) (base.Info, error) {
	p, err := c.c.Info(ctx, &commonv1.InfoRequest{})
	return shim.ClientInfo(ctx, p, err)
}

func (c *client) Configure(ctx context.Context, req base.ConfigureRequest) error {
	return shim.ClientConfigure(ctx, c.broker, req, c.c.Configure)
}

func (c *client) NextL1Origin(ctx context.Context, req Request) (eth.L1BlockRef, error) {
	r := &pb.NextL1OriginRequest{
		UnsafeHead:    wire.L2RefToProto(req.UnsafeHead),
		CurrentOrigin: wire.L1RefToProto(req.CurrentOrigin),
		L1Head:        wire.L1RefToProto(req.L1Head),
		Recover:       req.Recover,
	}
	if req.NextOrigin != nil {
		r.NextOrigin = wire.L1RefToProto(*req.NextOrigin)
	}
	p, err := c.c.NextL1Origin(ctx, r)
	if err != nil {
		return eth.L1BlockRef{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	ref := d.L1Ref(p)
	return ref, d.Err()
}
