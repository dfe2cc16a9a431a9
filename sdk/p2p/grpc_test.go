package p2p

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/grpc"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/internal/bufnet"
	pb "github.com/opalnode/opal/sdk/internal/pb/p2p/v1"
)

// gossip is a Gossip written against protocol 1.0: no Admin.
type gossip struct{ counters []Counter }

func (gossip) Info(context.Context) (base.Info, error)                      { return base.Info{Name: "t"}, nil }
func (gossip) Configure(context.Context, base.ConfigureRequest) error       { return nil }
func (gossip) Publish(context.Context, *eth.ExecutionPayloadEnvelope) error { return nil }
func (gossip) Payloads(ctx context.Context, _ func(Received)) error         { <-ctx.Done(); return nil }
func (gossip) RequestRange(context.Context, uint64, uint64) error           { return nil }
func (gossip) SetUnsafeBlockSigner(context.Context, common.Address) error   { return nil }
func (g gossip) Status(context.Context) (Status, error) {
	return Status{PeerID: "16Uiu2HAm", ConnectedPeers: 2, Counters: g.counters}, nil
}

// adminGossip answers opp2p methods from a map.
type adminGossip struct {
	gossip
	answers map[string]string
}

func (a adminGossip) Admin(_ context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	v, ok := a.answers[method]
	if !ok {
		return nil, errors.Join(errors.New("opp2p_"+method), eth.ErrNotFound)
	}
	return json.RawMessage(strings.ReplaceAll(v, "$params", string(params))), nil
}

// dial serves impl in memory; with old set, as a 1.0 plugin binary (no
// Admin method).
func dial(t *testing.T, impl Gossip, old bool) Gossip {
	t.Helper()
	conn := bufnet.Dial(t, func(s *grpc.Server) {
		if old {
			desc := pb.P2P_ServiceDesc
			desc.Methods = slices.DeleteFunc(slices.Clone(desc.Methods), func(m grpc.MethodDesc) bool { return m.MethodName == "Admin" })
			s.RegisterService(&desc, &server{impl: impl})
		} else {
			pb.RegisterP2PServer(s, &server{impl: impl})
		}
	})
	return NewClient(conn, nil)
}

func TestAdminAcrossTheWire(t *testing.T) {
	t.Parallel()
	impl := adminGossip{answers: map[string]string{"peers": `{"args":$params}`}}
	for mode, g := range map[string]Gossip{"direct": impl, "grpc": dial(t, impl, false)} {
		got, err := CallAdmin(context.Background(), g, "peers", json.RawMessage(`[true]`))
		if err != nil || string(got) != `{"args":[true]}` {
			t.Fatalf("%s: %s, %v", mode, got, err)
		}
		if _, err := CallAdmin(context.Background(), g, "nope", nil); !errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("%s: unknown method: %v", mode, err)
		}
	}
}

// Every way of having no opp2p API is ErrAdminUnsupported on the client.
func TestAdminUnsupported(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		g    Gossip
		msg  string
	}{
		{"direct, no Admin", gossip{}, ErrAdminUnsupported.Error()},
		{"grpc, no Admin", dial(t, gossip{}, false), "opp2p API"},
		{"grpc, a 1.0 plugin", dial(t, adminGossip{}, true), "predates"},
	}
	for _, tc := range cases {
		_, err := CallAdmin(context.Background(), tc.g, "self", nil)
		if !errors.Is(err, ErrAdminUnsupported) || !errors.Is(err, eth.ErrUnsupported) {
			t.Fatalf("%s: want ErrAdminUnsupported, got %v", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Fatalf("%s: message %q does not say %q", tc.name, err, tc.msg)
		}
	}
}

func TestStatusCountersAcrossTheWire(t *testing.T) {
	t.Parallel()
	want := []Counter{{Name: "gossip_messages", Labels: map[string]string{"topic": "3", "outcome": "reject"}, Value: 7}}
	st, err := dial(t, gossip{counters: want}, false).Status(context.Background())
	if err != nil || st.PeerID != "16Uiu2HAm" || st.ConnectedPeers != 2 {
		t.Fatalf("status %+v, %v", st, err)
	}
	if len(st.Counters) != 1 || st.Counters[0].Name != want[0].Name || st.Counters[0].Value != 7 || st.Counters[0].Labels["outcome"] != "reject" {
		t.Fatalf("counters %+v", st.Counters)
	}
}
