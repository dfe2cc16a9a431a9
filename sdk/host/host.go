// Package host is the read-only view of the core that plugins may call back
// into (the way a Vault plugin sees its SystemView): L1 and L2 block
// references, payloads and system configs. In-process plugins get the core's
// implementation directly; out-of-process plugins get a gRPC client dialled
// through go-plugin's broker. Requests should carry what a call needs in
// bulk; callbacks are for extras.
package host

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
)

// Host is what the core offers to plugins.
type Host interface {
	L1BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
	L1BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error)
	L1BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L1BlockRef, error)
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	L2BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L2BlockRef, error)
	L2BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L2BlockRef, error)
	PayloadByNumber(ctx context.Context, number uint64) (*eth.ExecutionPayloadEnvelope, error)
	SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error)
}
