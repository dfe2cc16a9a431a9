package deriver

import (
	"context"
	"fmt"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"
	pb "github.com/opalnode/opal/sdk/internal/pb/deriver/v1"
	"github.com/opalnode/opal/sdk/internal/shim"
	"github.com/opalnode/opal/sdk/internal/wire"
)

// Plugin serves or dials a Deriver over go-plugin's gRPC transport.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the implementation served; unused on the client side.
	Impl Deriver
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterDeriverServer(s, &server{impl: p.Impl, broker: broker})
	return nil
}

func (p *Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewClient(conn, broker), nil
}

// NewClient returns a Deriver that calls a plugin over conn.
func NewClient(conn grpc.ClientConnInterface, broker *plugin.GRPCBroker) Deriver {
	return &client{c: pb.NewDeriverClient(conn), broker: broker}
}

func derivedToProto(a *DerivedAttributes) *pb.DerivedAttributes {
	if a == nil {
		return nil
	}
	return &pb.DerivedAttributes{
		Attributes:   wire.AttributesToProto(a.Attributes),
		Parent:       wire.L2RefToProto(a.Parent),
		DerivedFrom:  wire.L1RefToProto(a.DerivedFrom),
		IsLastInSpan: a.IsLastInSpan,
	}
}

func derivedFromProto(d *wire.Decoder, p *pb.DerivedAttributes) *DerivedAttributes {
	if p == nil {
		return nil
	}
	return &DerivedAttributes{
		Attributes:   d.Attributes(p.Attributes),
		Parent:       d.L2Ref(p.Parent),
		DerivedFrom:  d.L1Ref(p.DerivedFrom),
		IsLastInSpan: p.IsLastInSpan,
	}
}

type server struct {
	impl   Deriver
	broker *plugin.GRPCBroker
}

func (s *server) Info(ctx context.Context, _ *commonv1.InfoRequest) (*commonv1.PluginInfo, error) {
	return shim.ServerInfo(ctx, s.impl, ProtocolVersion)
}

func (s *server) Configure(ctx context.Context, r *commonv1.ConfigureRequest) (*commonv1.ConfigureResponse, error) {
	return shim.ServerConfigure(ctx, s.impl, s.broker, r)
}

func (s *server) Reset(ctx context.Context, r *pb.ResetRequest) (*pb.ResetResponse, error) {
	var d wire.Decoder
	req := ResetRequest{
		SafeHead:       d.L2Ref(r.SafeHead),
		SystemConfig:   d.SystemConfig(r.SystemConfig),
		L1Start:        d.L1Ref(r.L1Start),
		L1SystemConfig: d.SystemConfig(r.L1SystemConfig),
		Offline:        r.Offline,
	}
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.ResetResponse{}, wire.ToStatus(s.impl.Reset(ctx, req))
}

func (s *server) AddL1Block(ctx context.Context, r *pb.AddL1BlockRequest) (*pb.AddL1BlockResponse, error) {
	var d wire.Decoder
	block := d.L1BlockData(r.Block)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	if block == nil {
		return nil, wire.ToStatus(fmt.Errorf("%w: no block", eth.ErrInvalidArgument))
	}
	return &pb.AddL1BlockResponse{}, wire.ToStatus(s.impl.AddL1Block(ctx, block))
}

func (s *server) Step(ctx context.Context, r *pb.StepRequest) (*pb.StepResponse, error) {
	var d wire.Decoder
	parent := d.L2Ref(r.Parent)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	res, err := s.impl.Step(ctx, parent)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.StepResponse{
		Outcome:    pb.StepOutcome(res.Outcome),
		Attributes: derivedToProto(res.Attributes),
		Origin:     wire.L1RefToProto(res.Origin),
	}, nil
}

func (s *server) PayloadInvalid(ctx context.Context, r *pb.PayloadInvalidRequest) (*pb.PayloadInvalidResponse, error) {
	var d wire.Decoder
	attrs := derivedFromProto(&d, r.Attributes)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.PayloadInvalidResponse{}, wire.ToStatus(s.impl.PayloadInvalid(ctx, attrs))
}

func (s *server) BuildAttributes(ctx context.Context, r *pb.BuildAttributesRequest) (*pb.BuildAttributesResponse, error) {
	var d wire.Decoder
	req := BuildRequest{
		Parent:             d.L2Ref(r.Parent),
		ParentSystemConfig: d.SystemConfig(r.ParentSystemConfig),
		L1Origin:           d.L1BlockData(r.L1Origin),
		Timestamp:          r.Timestamp,
	}
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	res, err := s.impl.BuildAttributes(ctx, req)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.BuildAttributesResponse{
		Attributes:   wire.AttributesToProto(res.Attributes),
		SystemConfig: wire.SystemConfigToProto(res.SystemConfig),
	}, nil
}

type client struct {
	c      pb.DeriverClient
	broker *plugin.GRPCBroker
}

func (c *client) Info(ctx context.Context) (base.Info, error) {
	p, err := c.c.Info(ctx, &commonv1.InfoRequest{})
	return shim.ClientInfo(ctx, p, err)
}

func (c *client) Configure(ctx context.Context, req base.ConfigureRequest) error {
	return shim.ClientConfigure(ctx, c.broker, req, c.c.Configure)
}

func (c *client) Reset(ctx context.Context, req ResetRequest) error {
	_, err := c.c.Reset(ctx, &pb.ResetRequest{
		SafeHead:       wire.L2RefToProto(req.SafeHead),
		SystemConfig:   wire.SystemConfigToProto(req.SystemConfig),
		L1Start:        wire.L1RefToProto(req.L1Start),
		L1SystemConfig: wire.SystemConfigToProto(req.L1SystemConfig),
		Offline:        req.Offline,
	})
	return wire.FromStatus(ctx, err)
}

func (c *client) AddL1Block(ctx context.Context, block *eth.L1BlockData) error {
	p, err := wire.L1BlockDataToProto(block)
	if err != nil {
		return err
	}
	_, err = c.c.AddL1Block(ctx, &pb.AddL1BlockRequest{Block: p})
	return wire.FromStatus(ctx, err)
}

func (c *client) Step(ctx context.Context, parent eth.L2BlockRef) (StepResult, error) {
	p, err := c.c.Step(ctx, &pb.StepRequest{Parent: wire.L2RefToProto(parent)})
	if err != nil {
		return StepResult{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	res := StepResult{Outcome: Outcome(p.Outcome), Attributes: derivedFromProto(&d, p.Attributes), Origin: d.L1Ref(p.Origin)}
	if err := d.Err(); err != nil {
		return StepResult{}, err
	}
	if res.Outcome < Attributes || res.Outcome > NeedL1 {
		return StepResult{}, fmt.Errorf("%w: unknown step outcome %d", eth.ErrInvalidArgument, p.Outcome)
	}
	if res.Outcome == Attributes && (res.Attributes == nil || res.Attributes.Attributes == nil) {
		return StepResult{}, fmt.Errorf("%w: step returned no attributes", eth.ErrInvalidArgument)
	}
	return res, nil
}

func (c *client) PayloadInvalid(ctx context.Context, attrs *DerivedAttributes) error {
	_, err := c.c.PayloadInvalid(ctx, &pb.PayloadInvalidRequest{Attributes: derivedToProto(attrs)})
	return wire.FromStatus(ctx, err)
}

func (c *client) BuildAttributes(ctx context.Context, req BuildRequest) (*BuildResult, error) {
	origin, err := wire.L1BlockDataToProto(req.L1Origin)
	if err != nil {
		return nil, err
	}
	p, err := c.c.BuildAttributes(ctx, &pb.BuildAttributesRequest{
		Parent:             wire.L2RefToProto(req.Parent),
		ParentSystemConfig: wire.SystemConfigToProto(req.ParentSystemConfig),
		L1Origin:           origin,
		Timestamp:          req.Timestamp,
	})
	if err != nil {
		return nil, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	res := &BuildResult{Attributes: d.Attributes(p.Attributes), SystemConfig: d.SystemConfig(p.SystemConfig)}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if res.Attributes == nil {
		return nil, fmt.Errorf("%w: no attributes built", eth.ErrInvalidArgument)
	}
	return res, nil
}
