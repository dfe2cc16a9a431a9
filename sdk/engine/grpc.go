package engine

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"
	pb "github.com/opalnode/opal/sdk/internal/pb/engine/v1"
	"github.com/opalnode/opal/sdk/internal/shim"
	"github.com/opalnode/opal/sdk/internal/wire"
)

func init() {
	wire.RegisterError(commonv1.ErrorKind_ERROR_KIND_UNKNOWN_PAYLOAD, ErrUnknownPayload)
	wire.RegisterError(commonv1.ErrorKind_ERROR_KIND_INVALID_ATTRIBUTES, ErrInvalidAttributes)
}

// Plugin serves or dials an Engine over go-plugin's gRPC transport.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the implementation served; unused on the client side.
	Impl Engine
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterEngineServer(s, &server{impl: p.Impl, broker: broker})
	return nil
}

func (p *Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewClient(conn, broker), nil
}

// NewClient returns an Engine that calls a plugin over conn.
func NewClient(conn grpc.ClientConnInterface, broker *plugin.GRPCBroker) Engine {
	return &client{c: pb.NewEngineClient(conn), broker: broker}
}

func statusToProto(s PayloadStatus) *pb.PayloadStatus {
	p := &pb.PayloadStatus{Status: pb.ExecutionStatus(s.Status), ValidationError: s.ValidationError}
	if s.LatestValidHash != nil {
		p.LatestValidHash = s.LatestValidHash.Bytes()
	}
	return p
}

func statusFromProto(d *wire.Decoder, p *pb.PayloadStatus) PayloadStatus {
	if p == nil {
		return PayloadStatus{}
	}
	return PayloadStatus{
		Status:          Status(p.Status),
		LatestValidHash: d.HashPtr(p.LatestValidHash, "latest valid hash"),
		ValidationError: p.ValidationError,
	}
}

type server struct {
	impl   Engine
	broker *plugin.GRPCBroker
}

func (s *server) Info(ctx context.Context, _ *commonv1.InfoRequest) (*commonv1.PluginInfo, error) {
	return shim.ServerInfo(ctx, s.impl, ProtocolVersion)
}

func (s *server) Configure(ctx context.Context, r *commonv1.ConfigureRequest) (*commonv1.ConfigureResponse, error) {
	return shim.ServerConfigure(ctx, s.impl, s.broker, r)
}

func (s *server) ForkchoiceUpdated(ctx context.Context, r *pb.ForkchoiceUpdatedRequest) (*pb.ForkchoiceUpdatedResponse, error) {
	var d wire.Decoder
	var state ForkchoiceState
	if r.State != nil {
		state = ForkchoiceState{
			Head:      d.Hash(r.State.Head, "head"),
			Safe:      d.Hash(r.State.Safe, "safe"),
			Finalized: d.Hash(r.State.Finalized, "finalized"),
		}
	}
	attrs := d.Attributes(r.Attributes)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	res, err := s.impl.ForkchoiceUpdated(ctx, state, attrs)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	out := &pb.ForkchoiceUpdatedResponse{Status: statusToProto(res.Status)}
	if res.PayloadID != nil {
		out.PayloadId = res.PayloadID[:]
	}
	return out, nil
}

func (s *server) GetPayload(ctx context.Context, r *pb.GetPayloadRequest) (*commonv1.ExecutionPayloadEnvelope, error) {
	var id PayloadID
	if len(r.PayloadId) != len(id) {
		return nil, wire.ToStatus(ErrUnknownPayload)
	}
	copy(id[:], r.PayloadId)
	env, err := s.impl.GetPayload(ctx, id, r.Timestamp)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.EnvelopeToProto(env), nil
}

func (s *server) NewPayload(ctx context.Context, r *pb.NewPayloadRequest) (*pb.PayloadStatus, error) {
	var d wire.Decoder
	env := d.Envelope(r.Envelope)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	st, err := s.impl.NewPayload(ctx, env)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return statusToProto(st), nil
}

func l2Reply(ref eth.L2BlockRef, err error) (*commonv1.L2BlockRef, error) {
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.L2RefToProto(ref), nil
}

func (s *server) L2BlockRefByNumber(ctx context.Context, r *pb.L2BlockRefByNumberRequest) (*commonv1.L2BlockRef, error) {
	return l2Reply(s.impl.L2BlockRefByNumber(ctx, r.Number))
}

func (s *server) L2BlockRefByHash(ctx context.Context, r *pb.L2BlockRefByHashRequest) (*commonv1.L2BlockRef, error) {
	var d wire.Decoder
	h := d.Hash(r.Hash, "hash")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	return l2Reply(s.impl.L2BlockRefByHash(ctx, h))
}

func (s *server) L2BlockRefByLabel(ctx context.Context, r *pb.L2BlockRefByLabelRequest) (*commonv1.L2BlockRef, error) {
	var d wire.Decoder
	l := d.Label(r.Label)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	return l2Reply(s.impl.L2BlockRefByLabel(ctx, l))
}

func (s *server) PayloadByNumber(ctx context.Context, r *pb.PayloadByNumberRequest) (*commonv1.ExecutionPayloadEnvelope, error) {
	env, err := s.impl.PayloadByNumber(ctx, r.Number)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.EnvelopeToProto(env), nil
}

func (s *server) SystemConfigByL2Hash(ctx context.Context, r *pb.SystemConfigByL2HashRequest) (*commonv1.SystemConfig, error) {
	var d wire.Decoder
	h := d.Hash(r.Hash, "hash")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	cfg, err := s.impl.SystemConfigByL2Hash(ctx, h)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.SystemConfigToProto(cfg), nil
}

func (s *server) OutputV0AtBlock(ctx context.Context, r *pb.OutputV0AtBlockRequest) (*pb.OutputV0, error) {
	var d wire.Decoder
	h := d.Hash(r.Hash, "hash")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	out, err := s.impl.OutputV0AtBlock(ctx, h)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.OutputV0{
		StateRoot:                out.StateRoot.Bytes(),
		MessagePasserStorageRoot: out.MessagePasserStorageRoot.Bytes(),
		BlockHash:                out.BlockHash.Bytes(),
		Block:                    wire.L2RefToProto(out.Block),
	}, nil
}

type client struct {
	c      pb.EngineClient
	broker *plugin.GRPCBroker
}

func (c *client) Info(ctx context.Context) (base.Info, error) {
	p, err := c.c.Info(ctx, &commonv1.InfoRequest{})
	return shim.ClientInfo(ctx, p, err)
}

func (c *client) Configure(ctx context.Context, req base.ConfigureRequest) error {
	return shim.ClientConfigure(ctx, c.broker, req, c.c.Configure)
}

func (c *client) ForkchoiceUpdated(ctx context.Context, state ForkchoiceState, attrs *eth.PayloadAttributes) (ForkchoiceResult, error) {
	p, err := c.c.ForkchoiceUpdated(ctx, &pb.ForkchoiceUpdatedRequest{
		State:      &pb.ForkchoiceState{Head: state.Head.Bytes(), Safe: state.Safe.Bytes(), Finalized: state.Finalized.Bytes()},
		Attributes: wire.AttributesToProto(attrs),
	})
	if err != nil {
		return ForkchoiceResult{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	res := ForkchoiceResult{Status: statusFromProto(&d, p.Status)}
	if p.PayloadId != nil {
		var id PayloadID
		if len(p.PayloadId) != len(id) {
			return ForkchoiceResult{}, wire.FromStatus(ctx, wire.ToStatus(ErrUnknownPayload))
		}
		copy(id[:], p.PayloadId)
		res.PayloadID = &id
	}
	return res, d.Err()
}

func envResult(ctx context.Context, p *commonv1.ExecutionPayloadEnvelope, err error) (*eth.ExecutionPayloadEnvelope, error) {
	if err != nil {
		return nil, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	env := d.Envelope(p)
	return env, d.Err()
}

func (c *client) GetPayload(ctx context.Context, id PayloadID, timestamp uint64) (*eth.ExecutionPayloadEnvelope, error) {
	p, err := c.c.GetPayload(ctx, &pb.GetPayloadRequest{PayloadId: id[:], Timestamp: timestamp})
	return envResult(ctx, p, err)
}

func (c *client) NewPayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) (PayloadStatus, error) {
	p, err := c.c.NewPayload(ctx, &pb.NewPayloadRequest{Envelope: wire.EnvelopeToProto(env)})
	if err != nil {
		return PayloadStatus{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	st := statusFromProto(&d, p)
	return st, d.Err()
}

func l2Result(ctx context.Context, p *commonv1.L2BlockRef, err error) (eth.L2BlockRef, error) {
	if err != nil {
		return eth.L2BlockRef{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	ref := d.L2Ref(p)
	return ref, d.Err()
}

func (c *client) L2BlockRefByNumber(ctx context.Context, n uint64) (eth.L2BlockRef, error) {
	p, err := c.c.L2BlockRefByNumber(ctx, &pb.L2BlockRefByNumberRequest{Number: n})
	return l2Result(ctx, p, err)
}

func (c *client) L2BlockRefByHash(ctx context.Context, h common.Hash) (eth.L2BlockRef, error) {
	p, err := c.c.L2BlockRefByHash(ctx, &pb.L2BlockRefByHashRequest{Hash: h.Bytes()})
	return l2Result(ctx, p, err)
}

func (c *client) L2BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (eth.L2BlockRef, error) {
	p, err := c.c.L2BlockRefByLabel(ctx, &pb.L2BlockRefByLabelRequest{Label: wire.LabelToProto(l)})
	return l2Result(ctx, p, err)
}

func (c *client) PayloadByNumber(ctx context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	p, err := c.c.PayloadByNumber(ctx, &pb.PayloadByNumberRequest{Number: n})
	return envResult(ctx, p, err)
}

func (c *client) SystemConfigByL2Hash(ctx context.Context, h common.Hash) (eth.SystemConfig, error) {
	p, err := c.c.SystemConfigByL2Hash(ctx, &pb.SystemConfigByL2HashRequest{Hash: h.Bytes()})
	if err != nil {
		return eth.SystemConfig{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	cfg := d.SystemConfig(p)
	return cfg, d.Err()
}

func (c *client) OutputV0AtBlock(ctx context.Context, h common.Hash) (OutputV0, error) {
	p, err := c.c.OutputV0AtBlock(ctx, &pb.OutputV0AtBlockRequest{Hash: h.Bytes()})
	if err != nil {
		return OutputV0{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	out := OutputV0{
		StateRoot:                d.Hash(p.StateRoot, "state root"),
		MessagePasserStorageRoot: d.Hash(p.MessagePasserStorageRoot, "message passer storage root"),
		BlockHash:                d.Hash(p.BlockHash, "block hash"),
		Block:                    d.L2Ref(p.Block),
	}
	return out, d.Err()
}
