package p2p

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"
	pb "github.com/opalnode/opal/sdk/internal/pb/p2p/v1"
	"github.com/opalnode/opal/sdk/internal/shim"
	"github.com/opalnode/opal/sdk/internal/wire"
)

// Plugin serves or dials a Gossip over go-plugin's gRPC transport.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the implementation served; unused on the client side.
	Impl Gossip
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterP2PServer(s, &server{impl: p.Impl, broker: broker})
	return nil
}

func (p *Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewClient(conn, broker), nil
}

// NewClient returns a Gossip that calls a plugin over conn.
func NewClient(conn grpc.ClientConnInterface, broker *plugin.GRPCBroker) Gossip {
	return &client{c: pb.NewP2PClient(conn), broker: broker}
}

type server struct {
	impl   Gossip
	broker *plugin.GRPCBroker
}

func (s *server) Info(ctx context.Context, _ *commonv1.InfoRequest) (*commonv1.PluginInfo, error) {
	return shim.ServerInfo(ctx, s.impl, ProtocolVersion)
}

func (s *server) Configure(ctx context.Context, r *commonv1.ConfigureRequest) (*commonv1.ConfigureResponse, error) {
	return shim.ServerConfigure(ctx, s.impl, s.broker, r)
}

func (s *server) Publish(ctx context.Context, r *pb.PublishRequest) (*pb.PublishResponse, error) {
	var d wire.Decoder
	env := d.Envelope(r.Envelope)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.PublishResponse{}, wire.ToStatus(s.impl.Publish(ctx, env))
}

func (s *server) Payloads(_ *pb.PayloadsRequest, stream pb.P2P_PayloadsServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	var sendErr error
	err := s.impl.Payloads(ctx, func(r Received) {
		if sendErr != nil {
			return
		}
		if sendErr = stream.Send(&pb.ReceivedPayload{Envelope: wire.EnvelopeToProto(r.Envelope), PeerId: r.PeerID}); sendErr != nil {
			cancel()
		}
	})
	if sendErr != nil {
		return sendErr
	}
	return wire.ToStatus(err)
}

func (s *server) RequestRange(ctx context.Context, r *pb.RequestRangeRequest) (*pb.RequestRangeResponse, error) {
	return &pb.RequestRangeResponse{}, wire.ToStatus(s.impl.RequestRange(ctx, r.Start, r.End))
}

func (s *server) SetUnsafeBlockSigner(ctx context.Context, r *pb.SetUnsafeBlockSignerRequest) (*pb.SetUnsafeBlockSignerResponse, error) {
	var d wire.Decoder
	a := d.Address(r.Address, "signer")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.SetUnsafeBlockSignerResponse{}, wire.ToStatus(s.impl.SetUnsafeBlockSigner(ctx, a))
}

func (s *server) Status(ctx context.Context, _ *pb.StatusRequest) (*pb.StatusResponse, error) {
	st, err := s.impl.Status(ctx)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	out := &pb.StatusResponse{PeerId: st.PeerID, ConnectedPeers: st.ConnectedPeers, ListenAddrs: st.ListenAddrs}
	for _, c := range st.Counters {
		out.Counters = append(out.Counters, &pb.Counter{Name: c.Name, Labels: c.Labels, Value: c.Value})
	}
	return out, nil
}

func (s *server) Admin(ctx context.Context, r *pb.AdminRequest) (*pb.AdminResponse, error) {
	a, ok := s.impl.(Admin)
	if !ok {
		return nil, wire.ToStatus(ErrAdminUnsupported)
	}
	res, err := a.Admin(ctx, r.Method, r.Params)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.AdminResponse{Result: res}, nil
}

type client struct {
	c      pb.P2PClient
	broker *plugin.GRPCBroker
}

func (c *client) Info(ctx context.Context) (base.Info, error) {
	p, err := c.c.Info(ctx, &commonv1.InfoRequest{})
	return shim.ClientInfo(ctx, p, err)
}

func (c *client) Configure(ctx context.Context, req base.ConfigureRequest) error {
	return shim.ClientConfigure(ctx, c.broker, req, c.c.Configure)
}

func (c *client) Publish(ctx context.Context, env *eth.ExecutionPayloadEnvelope) error {
	_, err := c.c.Publish(ctx, &pb.PublishRequest{Envelope: wire.EnvelopeToProto(env)})
	return wire.FromStatus(ctx, err)
}

func (c *client) Payloads(ctx context.Context, fn func(Received)) error {
	stream, err := c.c.Payloads(ctx, &pb.PayloadsRequest{})
	if err != nil {
		return wire.FromStatus(ctx, err)
	}
	for {
		p, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return wire.FromStatus(ctx, err)
		}
		var d wire.Decoder
		r := Received{Envelope: d.Envelope(p.Envelope), PeerID: p.PeerId}
		if err := d.Err(); err != nil {
			return err
		}
		fn(r)
	}
}

func (c *client) RequestRange(ctx context.Context, start, end uint64) error {
	_, err := c.c.RequestRange(ctx, &pb.RequestRangeRequest{Start: start, End: end})
	return wire.FromStatus(ctx, err)
}

func (c *client) SetUnsafeBlockSigner(ctx context.Context, signer common.Address) error {
	_, err := c.c.SetUnsafeBlockSigner(ctx, &pb.SetUnsafeBlockSignerRequest{Address: signer.Bytes()})
	return wire.FromStatus(ctx, err)
}

func (c *client) Status(ctx context.Context) (Status, error) {
	p, err := c.c.Status(ctx, &pb.StatusRequest{})
	if err != nil {
		return Status{}, wire.FromStatus(ctx, err)
	}
	st := Status{PeerID: p.PeerId, ConnectedPeers: p.ConnectedPeers, ListenAddrs: p.ListenAddrs}
	for _, c := range p.Counters {
		st.Counters = append(st.Counters, Counter{Name: c.Name, Labels: c.Labels, Value: c.Value})
	}
	return st, nil
}

// Admin calls the plugin's opp2p API; a 1.0 plugin answers Unimplemented,
// which is ErrAdminUnsupported here.
func (c *client) Admin(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	p, err := c.c.Admin(ctx, &pb.AdminRequest{Method: method, Params: params})
	if err != nil {
		// A 1.0 plugin has no such method: gRPC answers UNIMPLEMENTED
		// without the sdk's error details.
		if st, _ := status.FromError(err); st.Code() == codes.Unimplemented && len(st.Details()) == 0 {
			return nil, fmt.Errorf("%w; the plugin predates it (%s)", ErrAdminUnsupported, st.Message())
		}
		out := wire.FromStatus(ctx, err)
		if errors.Is(out, eth.ErrUnsupported) && !errors.Is(out, ErrAdminUnsupported) {
			return nil, fmt.Errorf("%w: %w", ErrAdminUnsupported, out)
		}
		return nil, out
	}
	return p.Result, nil
}
