package l1source

import (
	"context"
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
	pb "github.com/opalnode/opal/sdk/internal/pb/l1source/v1"
	"github.com/opalnode/opal/sdk/internal/shim"
	"github.com/opalnode/opal/sdk/internal/wire"
)

// Plugin serves or dials a Source over go-plugin's gRPC transport.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the implementation served; unused on the client side.
	Impl Source
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterL1SourceServer(s, &server{impl: p.Impl, broker: broker})
	return nil
}

func (p *Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewClient(conn, broker), nil
}

// NewClient returns a Source that calls a plugin over conn. It always
// implements StorageReader; against a plugin that does not read storage
// (or that predates protocol 1.1) StorageAt is ErrStorageUnsupported.
func NewClient(conn grpc.ClientConnInterface, broker *plugin.GRPCBroker) Source {
	return &client{c: pb.NewL1SourceClient(conn), broker: broker}
}

var _ StorageReader = (*client)(nil)

type server struct {
	impl   Source
	broker *plugin.GRPCBroker
}

func (s *server) Info(ctx context.Context, _ *commonv1.InfoRequest) (*commonv1.PluginInfo, error) {
	return shim.ServerInfo(ctx, s.impl, ProtocolVersion)
}

func (s *server) Configure(ctx context.Context, r *commonv1.ConfigureRequest) (*commonv1.ConfigureResponse, error) {
	return shim.ServerConfigure(ctx, s.impl, s.broker, r)
}

func refReply(ref eth.L1BlockRef, err error) (*commonv1.L1BlockRef, error) {
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.L1RefToProto(ref), nil
}

func (s *server) BlockRefByNumber(ctx context.Context, r *pb.BlockRefByNumberRequest) (*commonv1.L1BlockRef, error) {
	return refReply(s.impl.BlockRefByNumber(ctx, r.Number))
}

func (s *server) BlockRefByHash(ctx context.Context, r *pb.BlockRefByHashRequest) (*commonv1.L1BlockRef, error) {
	var d wire.Decoder
	h := d.Hash(r.Hash, "hash")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	return refReply(s.impl.BlockRefByHash(ctx, h))
}

func (s *server) BlockRefByLabel(ctx context.Context, r *pb.BlockRefByLabelRequest) (*commonv1.L1BlockRef, error) {
	var d wire.Decoder
	l := d.Label(r.Label)
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	return refReply(s.impl.BlockRefByLabel(ctx, l))
}

func (s *server) BlockData(ctx context.Context, r *pb.BlockDataRequest) (*commonv1.L1BlockData, error) {
	var d wire.Decoder
	req := BlockDataRequest{BatchInbox: d.Address(r.BatchInbox, "batch inbox"), Blobs: r.Blobs}
	switch b := r.Block.(type) {
	case *pb.BlockDataRequest_Hash:
		h := d.Hash(b.Hash, "hash")
		req.Hash = &h
	case *pb.BlockDataRequest_Number:
		req.Number = b.Number
	}
	for _, a := range r.LogAddresses {
		req.LogAddresses = append(req.LogAddresses, d.Address(a, "log address"))
	}
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	data, err := s.impl.BlockData(ctx, req)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	out, err := wire.L1BlockDataToProto(data)
	return out, wire.ToStatus(err)
}

func (s *server) WatchHeads(_ *pb.WatchHeadsRequest, stream pb.L1Source_WatchHeadsServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	var sendErr error
	err := s.impl.WatchHeads(ctx, func(u HeadUpdate) {
		if sendErr != nil {
			return
		}
		if sendErr = stream.Send(&pb.HeadUpdate{Label: wire.LabelToProto(u.Label), Ref: wire.L1RefToProto(u.Ref)}); sendErr != nil {
			cancel()
		}
	})
	if sendErr != nil {
		return sendErr
	}
	return wire.ToStatus(err)
}

func (s *server) StorageAt(ctx context.Context, r *pb.StorageAtRequest) (*pb.StorageAtResponse, error) {
	var d wire.Decoder
	account, slot, block := d.Address(r.Account, "account"), d.Hash(r.Slot, "slot"), d.Hash(r.BlockHash, "block hash")
	if err := d.Err(); err != nil {
		return nil, wire.ToStatus(err)
	}
	v, err := StorageAt(ctx, s.impl, account, slot, block)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.StorageAtResponse{Value: v.Bytes()}, nil
}

type client struct {
	c      pb.L1SourceClient
	broker *plugin.GRPCBroker
}

func (c *client) Info(ctx context.Context) (base.Info, error) {
	p, err := c.c.Info(ctx, &commonv1.InfoRequest{})
	return shim.ClientInfo(ctx, p, err)
}

func (c *client) Configure(ctx context.Context, req base.ConfigureRequest) error {
	return shim.ClientConfigure(ctx, c.broker, req, c.c.Configure)
}

func refResult(ctx context.Context, p *commonv1.L1BlockRef, err error) (eth.L1BlockRef, error) {
	if err != nil {
		return eth.L1BlockRef{}, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	ref := d.L1Ref(p)
	return ref, d.Err()
}

func (c *client) BlockRefByNumber(ctx context.Context, n uint64) (eth.L1BlockRef, error) {
	p, err := c.c.BlockRefByNumber(ctx, &pb.BlockRefByNumberRequest{Number: n})
	return refResult(ctx, p, err)
}

func (c *client) BlockRefByHash(ctx context.Context, h common.Hash) (eth.L1BlockRef, error) {
	p, err := c.c.BlockRefByHash(ctx, &pb.BlockRefByHashRequest{Hash: h.Bytes()})
	return refResult(ctx, p, err)
}

func (c *client) BlockRefByLabel(ctx context.Context, l eth.BlockLabel) (eth.L1BlockRef, error) {
	p, err := c.c.BlockRefByLabel(ctx, &pb.BlockRefByLabelRequest{Label: wire.LabelToProto(l)})
	return refResult(ctx, p, err)
}

func (c *client) BlockData(ctx context.Context, req BlockDataRequest) (*eth.L1BlockData, error) {
	r := &pb.BlockDataRequest{BatchInbox: req.BatchInbox.Bytes(), Blobs: req.Blobs}
	if req.Hash != nil {
		r.Block = &pb.BlockDataRequest_Hash{Hash: req.Hash.Bytes()}
	} else {
		r.Block = &pb.BlockDataRequest_Number{Number: req.Number}
	}
	for _, a := range req.LogAddresses {
		r.LogAddresses = append(r.LogAddresses, a.Bytes())
	}
	p, err := c.c.BlockData(ctx, r)
	if err != nil {
		return nil, wire.FromStatus(ctx, err)
	}
	var d wire.Decoder
	data := d.L1BlockData(p)
	return data, d.Err()
}

func (c *client) WatchHeads(ctx context.Context, fn func(HeadUpdate)) error {
	stream, err := c.c.WatchHeads(ctx, &pb.WatchHeadsRequest{})
	if err != nil {
		return wire.FromStatus(ctx, err)
	}
	for {
		u, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return wire.FromStatus(ctx, err)
		}
		var d wire.Decoder
		upd := HeadUpdate{Label: d.Label(u.Label), Ref: d.L1Ref(u.Ref)}
		if err := d.Err(); err != nil {
			return err
		}
		fn(upd)
	}
}

func (c *client) StorageAt(ctx context.Context, account common.Address, slot, blockHash common.Hash) (common.Hash, error) {
	p, err := c.c.StorageAt(ctx, &pb.StorageAtRequest{Account: account.Bytes(), Slot: slot.Bytes(), BlockHash: blockHash.Bytes()})
	if err != nil {
		return common.Hash{}, storageError(ctx, err)
	}
	var d wire.Decoder
	v := d.Hash(p.Value, "value")
	return v, d.Err()
}

// storageError rebuilds a StorageAt error; every unsupported answer is
// ErrStorageUnsupported. A plugin built for 1.0 has no such method: gRPC
// answers UNIMPLEMENTED without the sdk's error details.
func storageError(ctx context.Context, err error) error {
	st, _ := status.FromError(err)
	out := wire.FromStatus(ctx, err)
	switch {
	case !errors.Is(out, eth.ErrUnsupported):
		return out
	case st.Code() == codes.Unimplemented && len(st.Details()) == 0:
		return fmt.Errorf("%w; the plugin predates it (%s)", ErrStorageUnsupported, st.Message())
	}
	return storageUnsupported{out}
}

// storageUnsupported is a plugin's own unsupported answer: its message, and
// ErrStorageUnsupported besides the sentinels it carried.
type storageUnsupported struct{ err error }

func (e storageUnsupported) Error() string   { return e.err.Error() }
func (e storageUnsupported) Unwrap() []error { return []error{ErrStorageUnsupported, e.err} }
