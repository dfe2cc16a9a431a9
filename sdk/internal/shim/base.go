// Package shim holds the parts of the gRPC client and server shims that all
// plugin kinds share: Info and Configure, with the host service offered over
// go-plugin's broker.
package shim

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/params"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/host"
	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"
	"github.com/opalnode/opal/sdk/internal/wire"
	"github.com/opalnode/opal/sdk/rollup"
)

// ServerInfo answers Info for impl, stamping the contract version.
func ServerInfo(ctx context.Context, impl base.Plugin, protocolVersion string) (*commonv1.PluginInfo, error) {
	info, err := impl.Info(ctx)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &commonv1.PluginInfo{Name: info.Name, Version: info.Version, ProtocolVersion: protocolVersion}, nil
}

// ClientInfo decodes an Info answer.
func ClientInfo(ctx context.Context, p *commonv1.PluginInfo, err error) (base.Info, error) {
	if err != nil {
		return base.Info{}, wire.FromStatus(ctx, err)
	}
	return base.Info{Name: p.Name, Version: p.Version, ProtocolVersion: p.ProtocolVersion}, nil
}

// ServerConfigure decodes a Configure request, dials the host service when
// one is offered, and configures impl.
func ServerConfigure(ctx context.Context, impl base.Plugin, broker *plugin.GRPCBroker, r *commonv1.ConfigureRequest) (*commonv1.ConfigureResponse, error) {
	req := base.ConfigureRequest{Config: r.Config}
	if len(r.RollupConfig) > 0 {
		cfg, err := rollup.Parse(r.RollupConfig)
		if err != nil {
			return nil, wire.ToStatus(fmt.Errorf("%w: rollup config: %v", eth.ErrInvalidArgument, err))
		}
		req.Rollup = cfg
	}
	if len(r.L1ChainConfig) > 0 {
		var cc params.ChainConfig
		if err := json.Unmarshal(r.L1ChainConfig, &cc); err != nil {
			return nil, wire.ToStatus(fmt.Errorf("%w: l1 chain config: %v", eth.ErrInvalidArgument, err))
		}
		req.L1ChainConfig = &cc
	}
	if r.HostBrokerId != 0 && broker != nil {
		conn, err := broker.Dial(r.HostBrokerId)
		if err != nil {
			return nil, wire.ToStatus(fmt.Errorf("%w: dial host service: %v", eth.ErrUnavailable, err))
		}
		req.Host = host.NewClient(conn)
	}
	return &commonv1.ConfigureResponse{}, wire.ToStatus(impl.Configure(ctx, req))
}

// ClientConfigure encodes a Configure request and, when the request offers a
// host, serves it over the broker for the plugin to dial.
func ClientConfigure(ctx context.Context, broker *plugin.GRPCBroker, req base.ConfigureRequest,
	call func(context.Context, *commonv1.ConfigureRequest, ...grpc.CallOption) (*commonv1.ConfigureResponse, error),
) error {
	p := &commonv1.ConfigureRequest{Config: req.Config}
	if req.Rollup != nil {
		b, err := json.Marshal(req.Rollup)
		if err != nil {
			return fmt.Errorf("encode rollup config: %w", err)
		}
		p.RollupConfig = b
	}
	if req.L1ChainConfig != nil {
		b, err := json.Marshal(req.L1ChainConfig)
		if err != nil {
			return fmt.Errorf("encode l1 chain config: %w", err)
		}
		p.L1ChainConfig = b
	}
	if req.Host != nil && broker != nil {
		id := broker.NextId()
		go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			host.RegisterServer(s, req.Host)
			return s
		})
		p.HostBrokerId = id
	}
	_, err := call(ctx, p)
	return wire.FromStatus(ctx, err)
}
