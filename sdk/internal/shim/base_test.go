package shim

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk/base"
	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"
	"github.com/opalnode/opal/sdk/rollup"
)

type capture struct{ req base.ConfigureRequest }

func (c *capture) Info(context.Context) (base.Info, error) { return base.Info{}, nil }
func (c *capture) Configure(_ context.Context, req base.ConfigureRequest) error {
	c.req = req
	return nil
}

// The Lagoon fields of the rollup config, the dependency set included,
// reach a plugin process unchanged.
func TestConfigureCarriesLagoonFields(t *testing.T) {
	t.Parallel()
	lagoon, karst, zero := uint64(5000), uint64(4000), uint64(0)
	cfg := &rollup.Config{BlockTime: 2, MaxSequencerDrift: 600, SeqWindowSize: 3600, ChannelTimeout: 300,
		L1ChainID: big.NewInt(1), L2ChainID: big.NewInt(10), BatchInboxAddress: common.Address{1},
		DepositContractAddress: common.Address{2}, L1SystemConfigAddress: common.Address{3},
		RegolithTime: &zero, CanyonTime: &zero, DeltaTime: &zero, EcotoneTime: &zero, FjordTime: &zero, GraniteTime: &zero,
		HoloceneTime: &zero, IsthmusTime: &zero, JovianTime: &zero, KarstTime: &karst, LagoonTime: &lagoon,
		DependencySet: rollup.NewDependencySet(10, 130)}
	cfg.Genesis.L1.Hash, cfg.Genesis.L2.Hash = common.Hash{1}, common.Hash{2}
	cfg.Genesis.SystemConfig.GasLimit = 30_000_000
	impl := &capture{}
	err := ClientConfigure(context.Background(), nil, base.ConfigureRequest{Rollup: cfg},
		func(ctx context.Context, r *commonv1.ConfigureRequest, _ ...grpc.CallOption) (*commonv1.ConfigureResponse, error) {
			return ServerConfigure(ctx, impl, nil, r)
		})
	if err != nil {
		t.Fatal(err)
	}
	got := impl.req.Rollup
	if got == nil || got.LagoonTime == nil || *got.LagoonTime != lagoon || !got.DependencySet.Interop() || !got.DependencySet.Contains(130) {
		t.Fatalf("rollup config across the wire: %+v", got)
	}
}
