package sdktest_test

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/originselector"
)

// hostProbe is a selector that reads the L1 head through the host service
// while being configured.
type hostProbe struct {
	got eth.L1BlockRef
}

func (p *hostProbe) Info(context.Context) (base.Info, error) { return base.Info{Name: "probe"}, nil }

func (p *hostProbe) Configure(ctx context.Context, req base.ConfigureRequest) error {
	if req.Host == nil {
		return fmt.Errorf("no host offered")
	}
	ref, err := req.Host.L1BlockRefByLabel(ctx, eth.Unsafe)
	p.got = ref
	return err
}

func (p *hostProbe) NextL1Origin(context.Context, originselector.Request) (eth.L1BlockRef, error) {
	return eth.L1BlockRef{}, eth.ErrUnsupported
}

type staticHost struct{ ref eth.L1BlockRef }

func (h *staticHost) L1BlockRefByNumber(context.Context, uint64) (eth.L1BlockRef, error) {
	return h.ref, nil
}
func (h *staticHost) L1BlockRefByHash(context.Context, common.Hash) (eth.L1BlockRef, error) {
	return h.ref, nil
}
func (h *staticHost) L1BlockRefByLabel(context.Context, eth.BlockLabel) (eth.L1BlockRef, error) {
	return h.ref, nil
}
func (h *staticHost) L2BlockRefByNumber(context.Context, uint64) (eth.L2BlockRef, error) {
	return eth.L2BlockRef{}, eth.ErrNotFound
}
func (h *staticHost) L2BlockRefByHash(context.Context, common.Hash) (eth.L2BlockRef, error) {
	return eth.L2BlockRef{}, eth.ErrNotFound
}
func (h *staticHost) L2BlockRefByLabel(context.Context, eth.BlockLabel) (eth.L2BlockRef, error) {
	return eth.L2BlockRef{}, eth.ErrNotFound
}
func (h *staticHost) PayloadByNumber(context.Context, uint64) (*eth.ExecutionPayloadEnvelope, error) {
	return nil, eth.ErrNotFound
}
func (h *staticHost) SystemConfigByL2Hash(context.Context, common.Hash) (eth.SystemConfig, error) {
	return eth.SystemConfig{}, eth.ErrNotFound
}
