package sdk_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/originselector"
	"github.com/opalnode/opal/sdk/sdktest"
)

// Each .proto states "protocol: M.m" in its header; the Go constant of the
// kind must say the same, so that a contract change is a version change.
func TestProtocolVersionsMatchProtos(t *testing.T) {
	t.Parallel()
	for _, kind := range sdk.Kinds {
		path := filepath.Join("proto", "opal", string(kind), "v1", string(kind)+".proto")
		got := protoVersion(t, path)
		if got != kind.ProtocolVersion() {
			t.Errorf("%s: proto says %q, Go constant says %q", path, got, kind.ProtocolVersion())
		}
		if major := strings.Split(got, ".")[0]; major != fmt.Sprint(sdk.ProtocolMajor) {
			t.Errorf("%s: major version %s differs from sdk.ProtocolMajor %d", path, major, sdk.ProtocolMajor)
		}
	}
}

func protoVersion(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "// protocol: "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s: no \"// protocol: M.m\" header", path)
	return ""
}

// errSelector returns a fixed error from every call.
type errSelector struct{ err error }

func (s errSelector) Info(context.Context) (base.Info, error)                { return base.Info{Name: "err"}, nil }
func (s errSelector) Configure(context.Context, base.ConfigureRequest) error { return nil }
func (s errSelector) NextL1Origin(context.Context, originselector.Request) (eth.L1BlockRef, error) {
	return eth.L1BlockRef{}, s.err
}

// errors.Is answers the same in-process and through the gRPC shims, for
// plain sentinels, wrapped ones and errors matching several sentinels.
func TestErrorIdentityAcrossTheWire(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		err  error
		is   []error
		isnt []error
	}{
		"not-found":     {eth.ErrNotFound, []error{eth.ErrNotFound}, []error{eth.ErrTemporary}},
		"wrapped":       {fmt.Errorf("block 7: %w", eth.ErrTemporary), []error{eth.ErrTemporary}, []error{eth.ErrNotFound}},
		"kind-specific": {fmt.Errorf("at drift: %w", originselector.ErrNextOriginRequired), []error{originselector.ErrNextOriginRequired}, []error{originselector.ErrNextOriginOrphaned}},
		"engine":        {engine.ErrUnknownPayload, []error{engine.ErrUnknownPayload}, []error{eth.ErrReset}},
		"joined":        {errors.Join(eth.ErrReset, eth.ErrCritical), []error{eth.ErrReset, eth.ErrCritical}, []error{eth.ErrNotFound}},
		"plain":         {errors.New("boom"), nil, []error{eth.ErrNotFound, eth.ErrTemporary, eth.ErrReset}},
		"invalid-arg":   {fmt.Errorf("key x: %w", eth.ErrInvalidArgument), []error{eth.ErrInvalidArgument}, nil},
		"unsupported":   {eth.ErrUnsupported, []error{eth.ErrUnsupported}, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for mode, sel := range map[string]originselector.Selector{
				"direct": errSelector{tc.err},
				"grpc":   sdktest.OriginSelector(t, errSelector{tc.err}),
			} {
				_, err := sel.NextL1Origin(context.Background(), originselector.Request{})
				if err == nil {
					t.Fatalf("%s: no error", mode)
				}
				if err.Error() != tc.err.Error() {
					t.Errorf("%s: message %q, want %q", mode, err.Error(), tc.err.Error())
				}
				for _, s := range tc.is {
					if !errors.Is(err, s) {
						t.Errorf("%s: errors.Is(%v, %v) = false", mode, err, s)
					}
				}
				for _, s := range tc.isnt {
					if errors.Is(err, s) {
						t.Errorf("%s: errors.Is(%v, %v) = true", mode, err, s)
					}
				}
			}
		})
	}
}

// A cancelled call returns the caller's context error, not a plugin error.
func TestCancelledCallReturnsContextError(t *testing.T) {
	t.Parallel()
	sel := sdktest.OriginSelector(t, errSelector{eth.ErrNotFound})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := sel.NextL1Origin(ctx, originselector.Request{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}
