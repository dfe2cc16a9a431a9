package deriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/plugins/deriver"
	"github.com/opalnode/opal/sdk/base"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
	"github.com/opalnode/opal/sdk/sdktest"
)

func TestSuiteInProcess(t *testing.T) {
	t.Parallel()
	sdktest.RunDeriverSuite(t, func(*testing.T) sdkderiver.Deriver { return deriver.New() })
}

func TestSuiteOverGRPC(t *testing.T) {
	t.Parallel()
	sdktest.RunDeriverSuite(t, func(t *testing.T) sdkderiver.Deriver { return sdktest.Deriver(t, deriver.New()) })
}

func TestInfo(t *testing.T) {
	t.Parallel()
	info, err := deriver.New().Info(context.Background())
	if err != nil || info.Name != "default" {
		t.Fatalf("info %+v, %v", info, err)
	}
}

func ecotoneConfig(l1ChainID int64) *rollup.Config {
	cfg := sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x01"), Time: 1000})
	zero := uint64(0)
	cfg.CanyonTime, cfg.DeltaTime, cfg.EcotoneTime = &zero, &zero, &zero
	cfg.L1ChainID = big.NewInt(l1ChainID)
	return cfg
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name    string
		req     base.ConfigureRequest
		wantErr string // substring; "" means success
	}{
		{"no rollup config", base.ConfigureRequest{}, "rollup config required"},
		{"pre-ecotone unknown L1", base.ConfigureRequest{Rollup: sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x01")})}, ""},
		{"ecotone unknown L1", base.ConfigureRequest{Rollup: ecotoneConfig(1337)}, "rollup.l1_chain_config"},
		{"ecotone L1 config given", base.ConfigureRequest{Rollup: ecotoneConfig(1337), L1ChainConfig: params.AllDevChainProtocolChanges}, ""},
		{"ecotone mainnet", base.ConfigureRequest{Rollup: ecotoneConfig(1)}, ""},
		{"ecotone sepolia", base.ConfigureRequest{Rollup: ecotoneConfig(11155111)}, ""},
		{"empty table", base.ConfigureRequest{Rollup: ecotoneConfig(1), Config: json.RawMessage(`{}`)}, ""},
		{"unknown key", base.ConfigureRequest{Rollup: ecotoneConfig(1), Config: json.RawMessage(`{"speed":"fast"}`)}, `"speed"`},
		{"not a table", base.ConfigureRequest{Rollup: ecotoneConfig(1), Config: json.RawMessage(`[1]`)}, "deriver config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := deriver.New().Configure(ctx, tc.req)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("configure: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, eth.ErrInvalidArgument) {
				t.Fatalf("configure error %v, want ErrInvalidArgument mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestNotConfigured(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := deriver.New()
	if err := d.Reset(ctx, sdkderiver.ResetRequest{}); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Errorf("reset: %v", err)
	}
	if _, err := d.Step(ctx, eth.L2BlockRef{}); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Errorf("step: %v", err)
	}
	if _, err := d.BuildAttributes(ctx, sdkderiver.BuildRequest{}); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Errorf("build: %v", err)
	}
}

type rollupConfig = rollup.Config
