package originselector

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	sdkos "github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/sdktest"
)

func ref(n, t uint64, parent common.Hash) eth.L1BlockRef {
	return eth.L1BlockRef{Hash: common.BigToHash(new(bigInt).SetUint64(n + 0x100)), Number: n, ParentHash: parent, Time: t}
}

func TestRule(t *testing.T) {
	t.Parallel()
	cur := ref(10, 1000, common.HexToHash("0x9"))
	next := ref(11, 1012, cur.Hash)
	orphan := ref(11, 1012, common.HexToHash("0xbad"))
	head := func(time uint64) eth.L2BlockRef { return eth.L2BlockRef{Number: 3, Time: time, L1Origin: cur.ID()} }
	tip := func(n uint64) eth.L1BlockRef { return eth.L1BlockRef{Number: n} }
	cfgFjord := sdktest.TestRollupConfig(cur)
	zero := uint64(0)
	cfgFjord.FjordTime = &zero
	cases := []struct {
		name    string
		confs   uint64
		fjord   bool
		req     sdkos.Request
		want    eth.L1BlockRef
		wantErr error
	}{
		{name: "stay-next-unknown", req: sdkos.Request{UnsafeHead: head(1000), CurrentOrigin: cur, L1Head: cur}, want: cur},
		{name: "stay-next-in-future", req: sdkos.Request{UnsafeHead: head(1000), CurrentOrigin: cur, NextOrigin: &next, L1Head: next}, want: cur},
		{name: "advance-at-next-time", req: sdkos.Request{UnsafeHead: head(1010), CurrentOrigin: cur, NextOrigin: &next, L1Head: next}, want: next},
		{name: "conf-depth-hides-next", confs: 4, req: sdkos.Request{UnsafeHead: head(1010), CurrentOrigin: cur, NextOrigin: &next, L1Head: tip(14)}, want: cur},
		{name: "conf-depth-reached", confs: 4, req: sdkos.Request{UnsafeHead: head(1010), CurrentOrigin: cur, NextOrigin: &next, L1Head: tip(15)}, want: next},
		{name: "forced-at-drift", confs: 4, req: sdkos.Request{UnsafeHead: head(1600), CurrentOrigin: cur, NextOrigin: &next, L1Head: tip(11)}, want: next},
		{name: "drift-next-required", req: sdkos.Request{UnsafeHead: head(1600), CurrentOrigin: cur, L1Head: cur}, wantErr: sdkos.ErrNextOriginRequired},
		{name: "within-drift-just-below", req: sdkos.Request{UnsafeHead: head(1598), CurrentOrigin: cur, L1Head: cur}, want: cur},
		{name: "fjord-drift-1800", fjord: true, req: sdkos.Request{UnsafeHead: head(1600), CurrentOrigin: cur, L1Head: cur}, want: cur},
		{name: "fjord-drift-exceeded", fjord: true, req: sdkos.Request{UnsafeHead: head(2800), CurrentOrigin: cur, L1Head: cur}, wantErr: sdkos.ErrNextOriginRequired},
		{name: "reorged-origin", req: sdkos.Request{UnsafeHead: head(1010), CurrentOrigin: cur, NextOrigin: &orphan, L1Head: orphan}, wantErr: sdkos.ErrNextOriginOrphaned},
		{name: "recover-ignores-confs", confs: 10, req: sdkos.Request{UnsafeHead: head(1010), CurrentOrigin: cur, NextOrigin: &next, L1Head: next, Recover: true}, want: next},
		{name: "recover-at-tip-stays", req: sdkos.Request{UnsafeHead: head(1600), CurrentOrigin: cur, L1Head: cur, Recover: true}, want: cur},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New()
			cfg := sdktest.TestRollupConfig(cur)
			if tc.fjord {
				cfg = cfgFjord
			}
			conf := []byte(`{"l1_confs":` + itoa(tc.confs) + `}`)
			if err := s.Configure(context.Background(), base.ConfigureRequest{Rollup: cfg, Config: conf}); err != nil {
				t.Fatal(err)
			}
			got, err := s.NextL1Origin(context.Background(), tc.req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("want %v, got %v (%+v)", tc.wantErr, err, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// The default passes the conformance suite in-process and through gRPC.
func TestConformance(t *testing.T) {
	t.Parallel()
	sdktest.RunOriginSelectorSuite(t, New())
	sdktest.RunOriginSelectorSuite(t, sdktest.OriginSelector(t, New()))
}

func TestBadConfig(t *testing.T) {
	t.Parallel()
	err := New().Configure(context.Background(), base.ConfigureRequest{Rollup: sdktest.TestRollupConfig(eth.L1BlockRef{Hash: common.HexToHash("0x1")}), Config: []byte(`{"l1_confs":"many"}`)})
	if !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("want eth.ErrInvalidArgument, got %v", err)
	}
}
