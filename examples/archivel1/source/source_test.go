package source

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1archive"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/rollup"
	"github.com/opalnode/opal/sdk/sdktest"
)

// record writes chain to an archive as `opal archive record` would, for
// its batch inbox and watched contract.
func record(t *testing.T, chain *sdktest.L1Chain) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "l1.archive")
	req := l1source.BlockDataRequest{BatchInbox: chain.Inbox, LogAddresses: []common.Address{chain.Watched}}
	w, err := l1archive.Create(path, l1archive.Header{
		L1ChainID: chain.ChainID.Uint64(), From: 0, To: chain.Head().NumberU64(),
		BatchInbox: chain.Inbox, LogAddresses: req.LogAddresses, CreatedBy: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range chain.Blocks {
		d, err := sdktest.FilterBlockData(b, chain.Receipts[i], req)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func configure(s *Source, path string) error {
	raw, _ := json.Marshal(map[string]any{"archive": path, "rpc": "http://127.0.0.1:8545", "trust_rpc": false, "rpc_kind": "standard"})
	return s.Configure(context.Background(), base.ConfigureRequest{Config: raw})
}

func TestSuite(t *testing.T) {
	chain := sdktest.NewL1Chain(20)
	path := record(t, chain)
	t.Run("in-process", func(t *testing.T) {
		s := New()
		if err := configure(s, path); err != nil {
			t.Fatal(err)
		}
		sdktest.RunL1SourceSuite(t, s, chain)
	})
	t.Run("grpc", func(t *testing.T) {
		s := New()
		if err := configure(s, path); err != nil {
			t.Fatal(err)
		}
		sdktest.RunL1SourceSuite(t, sdktest.L1Source(t, s), chain)
	})
}

// What the archive did not keep is an error, never an answer with it left
// out; an unconfigured source says so.
func TestRefusesWhatItDoesNotHold(t *testing.T) {
	chain := sdktest.NewL1Chain(4)
	s := New()
	ctx := context.Background()
	if _, err := s.BlockRefByNumber(ctx, 1); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("unconfigured: %v", err)
	}
	if err := configure(s, record(t, chain)); err != nil {
		t.Fatal(err)
	}
	other := common.HexToAddress("0x1234")
	for name, req := range map[string]l1source.BlockDataRequest{
		"another inbox":    {Number: 1, BatchInbox: other},
		"another contract": {Number: 1, BatchInbox: chain.Inbox, LogAddresses: []common.Address{other}},
	} {
		if _, err := s.BlockData(ctx, req); !errors.Is(err, eth.ErrUnsupported) {
			t.Errorf("%s: want eth.ErrUnsupported, got %v", name, err)
		}
	}
	// Fewer log addresses than recorded: the receipts narrow to them.
	d, err := s.BlockData(ctx, l1source.BlockDataRequest{Number: 3, BatchInbox: chain.Inbox})
	if err != nil || len(d.Receipts) != 0 || len(d.BatcherTxs) != 1 {
		t.Fatalf("narrowed: %+v, %v", d, err)
	}
}

// The archive must be of the rollup's L1, inbox and contracts.
func TestChecksTheRollup(t *testing.T) {
	chain := sdktest.NewL1Chain(4)
	path := record(t, chain)
	raw, _ := json.Marshal(map[string]any{"archive": path})
	good := &rollup.Config{L1ChainID: chain.ChainID, BatchInboxAddress: chain.Inbox, DepositContractAddress: chain.Watched, L1SystemConfigAddress: chain.Watched}
	for name, tc := range map[string]struct {
		mutate func(c *rollup.Config)
		want   string
	}{
		"ok":           {func(*rollup.Config) {}, ""},
		"l1 chain":     {func(c *rollup.Config) { c.L1ChainID = big.NewInt(999) }, "L1 chain"},
		"inbox":        {func(c *rollup.Config) { c.BatchInboxAddress = common.HexToAddress("0x99") }, "batch inbox"},
		"deposit logs": {func(c *rollup.Config) { c.DepositContractAddress = common.HexToAddress("0x98") }, "did not keep the logs"},
	} {
		c := *good
		tc.mutate(&c)
		err := New().Configure(context.Background(), base.ConfigureRequest{Config: raw, Rollup: &c})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: want an error naming %q, got %v", name, tc.want, err)
		}
	}
}

// A corrupt or truncated archive, or a bad config, is an error at
// Configure that says what and where; the source then serves nothing.
func TestBadArchiveOrConfig(t *testing.T) {
	chain := sdktest.NewL1Chain(8)
	path := record(t, chain)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(b []byte) string {
		p := filepath.Join(t.TempDir(), "bad.archive")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	for name, tc := range map[string]struct {
		config map[string]any
		want   []string
	}{
		"truncated":   {map[string]any{"archive": write(data[:len(data)*2/3])}, []string{"corrupt L1 archive", "offset"}},
		"bit flipped": {map[string]any{"archive": write(flipped)}, []string{"corrupt L1 archive", "offset"}},
		"missing":     {map[string]any{"archive": filepath.Join(t.TempDir(), "nope")}, []string{"no such file"}},
		"no archive":  {map[string]any{}, []string{"config.archive"}},
		"unknown key": {map[string]any{"archive": path, "archiv": "x"}, []string{"archiv"}},
	} {
		raw, _ := json.Marshal(tc.config)
		s := New()
		err := s.Configure(context.Background(), base.ConfigureRequest{Config: raw})
		if err == nil {
			t.Errorf("%s: configured", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", name, err, w)
			}
		}
		if _, err := s.BlockRefByLabel(context.Background(), eth.Unsafe); err == nil {
			t.Errorf("%s: serves a head after a failed configure", name)
		}
	}
}
