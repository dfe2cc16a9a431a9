package interop

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

func chain(lagoon uint64, depset *rollup.DependencySet) *rollup.Config {
	return &rollup.Config{BlockTime: 2, L2ChainID: big.NewInt(10), LagoonTime: &lagoon, DependencySet: depset}
}

type denyList map[common.Hash]bool

func (d denyList) Denied(_ context.Context, b eth.BlockID) (bool, error) {
	if d == nil {
		return false, errors.New("checker unreachable")
	}
	return d[b.Hash], nil
}

func TestGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bad := eth.BlockID{Hash: common.Hash{1}, Number: 7}
	deny := denyList{bad.Hash: true}
	cases := []struct {
		name    string
		cfg     *rollup.Config
		checker MessageChecker
		t       uint64
		denied  bool
		err     bool
	}{
		{"before lagoon", chain(100, rollup.NewDependencySet(10, 130)), deny, 98, false, false},
		{"after lagoon, interop chain", chain(100, rollup.NewDependencySet(10, 130)), deny, 100, true, false},
		{"after lagoon, chain in no set", chain(100, rollup.NewDependencySet(10)), deny, 100, false, false},
		{"after lagoon, no set", chain(100, nil), deny, 100, false, false},
		{"default is optimistic", chain(100, rollup.NewDependencySet(10, 130)), nil, 100, false, false},
		{"checker error", chain(100, rollup.NewDependencySet(10, 130)), denyList(nil), 100, false, true},
	}
	for _, tc := range cases {
		g := NewGate(tc.cfg, tc.checker)
		denied, err := g.Denied(ctx, bad, tc.t)
		if denied != tc.denied || (err != nil) != tc.err {
			t.Errorf("%s: denied %v err %v", tc.name, denied, err)
		}
	}
	var nilGate *Gate
	if nilGate.Applies(1000) {
		t.Error("a nil gate applies")
	}
}

type fixedHeads struct{ h heads.Heads }

func (f *fixedHeads) Get() heads.Heads { return f.h }

func TestNotice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, follow, want string
		depset             *rollup.DependencySet
	}{
		{"optimistic", "", "derives optimistically", rollup.NewDependencySet(10, 130)},
		{"follow", "http://127.0.0.1:9545", "come from the follow source", rollup.NewDependencySet(10, 130)},
		{"no interop", "", "", rollup.NewDependencySet(10)},
	} {
		var buf bytes.Buffer
		log := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Info})
		h := &fixedHeads{heads.Heads{Unsafe: eth.L2BlockRef{Number: 4, Time: 98}}}
		n := NewNotice(chain(100, tc.depset), h, log, tc.follow)
		n.OnEvent(context.Background(), loop.Step{})
		if buf.Len() != 0 {
			t.Fatalf("%s: notice before activation: %s", tc.name, buf.String())
		}
		h.h.Unsafe = eth.L2BlockRef{Number: 5, Time: 100}
		n.OnEvent(context.Background(), loop.Step{})
		n.OnEvent(context.Background(), loop.Step{})
		out := buf.String()
		if tc.want == "" {
			if out != "" {
				t.Fatalf("%s: notice on a chain without interop: %s", tc.name, out)
			}
			continue
		}
		if strings.Count(out, "interop (Lagoon) is active") != 1 || !strings.Contains(out, tc.want) {
			t.Fatalf("%s: notice %q", tc.name, out)
		}
	}
}
