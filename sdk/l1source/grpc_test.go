package l1source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/internal/bufnet"
	pb "github.com/opalnode/opal/sdk/internal/pb/l1source/v1"
)

// source is a Source written against protocol 1.0: no StorageAt.
type source struct{}

func (source) Info(context.Context) (base.Info, error)                { return base.Info{Name: "t"}, nil }
func (source) Configure(context.Context, base.ConfigureRequest) error { return nil }
func (source) BlockRefByNumber(context.Context, uint64) (eth.L1BlockRef, error) {
	return eth.L1BlockRef{}, eth.ErrNotFound
}
func (source) BlockRefByHash(context.Context, common.Hash) (eth.L1BlockRef, error) {
	return eth.L1BlockRef{}, eth.ErrNotFound
}
func (source) BlockRefByLabel(context.Context, eth.BlockLabel) (eth.L1BlockRef, error) {
	return eth.L1BlockRef{}, eth.ErrNotFound
}
func (source) BlockData(context.Context, BlockDataRequest) (*eth.L1BlockData, error) {
	return nil, eth.ErrNotFound
}
func (source) WatchHeads(ctx context.Context, _ func(HeadUpdate)) error { <-ctx.Done(); return nil }

// storageSource reads storage from a map, or fails with err.
type storageSource struct {
	source
	slots map[[3]common.Hash]common.Hash
	err   error
}

func (s storageSource) StorageAt(_ context.Context, account common.Address, slot, block common.Hash) (common.Hash, error) {
	if s.err != nil {
		return common.Hash{}, s.err
	}
	v, ok := s.slots[[3]common.Hash{common.BytesToHash(account[:]), slot, block}]
	if !ok {
		return common.Hash{}, fmt.Errorf("block %s: %w", block, eth.ErrNotFound)
	}
	return v, nil
}

// dial serves impl in memory and returns the client. With old set, the
// server registers the service as protocol 1.0 had it, without StorageAt,
// as a plugin binary built then does.
func dial(t *testing.T, impl Source, old bool) Source {
	t.Helper()
	conn := bufnet.Dial(t, func(s *grpc.Server) {
		if old {
			desc := pb.L1Source_ServiceDesc
			desc.Methods = slices.DeleteFunc(slices.Clone(desc.Methods), func(m grpc.MethodDesc) bool { return m.MethodName == "StorageAt" })
			s.RegisterService(&desc, &server{impl: impl})
		} else {
			pb.RegisterL1SourceServer(s, &server{impl: impl})
		}
	})
	return NewClient(conn, nil)
}

func TestStorageAtAcrossTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	account := common.HexToAddress("0x5c")
	slot := common.HexToHash("0x65a7ed542fb37fe237fdfbdd70b31598523fe5b32879e307bae27a0bd9581c08")
	block := common.HexToHash("0xb1")
	value := common.BytesToHash(common.HexToAddress("0x5157").Bytes())
	impl := storageSource{slots: map[[3]common.Hash]common.Hash{{common.BytesToHash(account[:]), slot, block}: value}}
	for mode, src := range map[string]Source{"direct": impl, "grpc": dial(t, impl, false)} {
		got, err := StorageAt(ctx, src, account, slot, block)
		if err != nil || got != value {
			t.Fatalf("%s: %s, %v; want %s", mode, got, err, value)
		}
		_, err = StorageAt(ctx, src, account, slot, common.HexToHash("0xb2"))
		if !errors.Is(err, eth.ErrNotFound) || errors.Is(err, ErrStorageUnsupported) {
			t.Fatalf("%s: unknown block: %v", mode, err)
		}
	}
}

// Every way of not reading storage is ErrStorageUnsupported (and so
// eth.ErrUnsupported) on the client: an implementation without
// StorageReader, one that says unsupported itself, and a plugin binary
// built for protocol 1.0.
func TestStorageUnsupported(t *testing.T) {
	t.Parallel()
	own := fmt.Errorf("endpoint lacks eth_getProof: %w", eth.ErrUnsupported)
	cases := []struct {
		name string
		src  Source
		msg  string // a part of the message
	}{
		{"direct, no StorageReader", source{}, ErrStorageUnsupported.Error()},
		{"grpc, no StorageReader", dial(t, source{}, false), ErrStorageUnsupported.Error()},
		{"grpc, the plugin's own unsupported", dial(t, storageSource{err: own}, false), own.Error()},
		{"grpc, a 1.0 plugin", dial(t, storageSource{}, true), "predates"},
	}
	for _, tc := range cases {
		_, err := StorageAt(context.Background(), tc.src, common.Address{}, common.Hash{}, common.Hash{})
		if !errors.Is(err, ErrStorageUnsupported) || !errors.Is(err, eth.ErrUnsupported) {
			t.Fatalf("%s: want ErrStorageUnsupported, got %v", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Fatalf("%s: message %q does not say %q", tc.name, err, tc.msg)
		}
	}
}

// A malformed request is refused by the server shim before the
// implementation sees it.
func TestStorageAtMalformedRequest(t *testing.T) {
	t.Parallel()
	srv := &server{impl: storageSource{err: errors.New("must not be called")}}
	_, err := srv.StorageAt(context.Background(), &pb.StorageAtRequest{Account: []byte{1, 2}})
	if err == nil || !strings.Contains(err.Error(), "account") {
		t.Fatalf("short account accepted: %v", err)
	}
}
