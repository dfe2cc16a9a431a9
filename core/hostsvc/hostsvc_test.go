package hostsvc

import (
	"context"
	"errors"
	"testing"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// Before the node is ready (a plugin calling back during Configure) every
// call is ErrUnavailable, never a crash; after, answers come from the L1
// source, the engine and the core's heads.
func TestService(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var s Service
	calls := []func() error{
		func() error { _, err := s.L1BlockRefByNumber(ctx, 0); return err },
		func() error { _, err := s.L1BlockRefByHash(ctx, [32]byte{}); return err },
		func() error { _, err := s.L1BlockRefByLabel(ctx, eth.Unsafe); return err },
		func() error { _, err := s.L2BlockRefByNumber(ctx, 0); return err },
		func() error { _, err := s.L2BlockRefByHash(ctx, [32]byte{}); return err },
		func() error { _, err := s.L2BlockRefByLabel(ctx, eth.Safe); return err },
		func() error { _, err := s.PayloadByNumber(ctx, 0); return err },
		func() error { _, err := s.SystemConfigByL2Hash(ctx, [32]byte{}); return err },
	}
	for i, call := range calls {
		if err := call(); !errors.Is(err, eth.ErrUnavailable) {
			t.Fatalf("call %d before ready: %v", i, err)
		}
	}
	chain := sdktest.NewL1Chain(2)
	genesis := eth.L2BlockRef{Hash: [32]byte{7}, Time: 100}
	st, err := heads.New(heads.At(genesis), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Ready(sdktest.NewFakeL1Source(chain), sdktest.NewFakeEngine(genesis), st)
	if ref, err := s.L1BlockRefByNumber(ctx, 2); err != nil || ref.Hash != chain.Blocks[2].Hash() {
		t.Fatalf("L1 block 2: %v %v", ref, err)
	}
	if ref, err := s.L2BlockRefByLabel(ctx, eth.Safe); err != nil || ref != genesis {
		t.Fatalf("safe label: %v %v", ref, err)
	}
	if _, err := s.L2BlockRefByLabel(ctx, eth.BlockLabel(99)); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("bad label: %v", err)
	}
}
