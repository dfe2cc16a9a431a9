package reqresp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/golang/snappy"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// chainCfg has Canyon from genesis and Ecotone and Isthmus later, so that
// all three response layouts occur: V2 payloads (version 0) below block
// 10, V3 envelopes from 10, V4 envelopes from 20.
func chainCfg() *rollup.Config {
	zero := uint64(0)
	g := uint64(1_700_000_000)
	eco, ist := g+20, g+40
	return &rollup.Config{
		Genesis:   rollup.Genesis{L2: eth.BlockID{Number: 0, Hash: common.HexToHash("0x2222")}, L2Time: g},
		BlockTime: 2, L2ChainID: big.NewInt(901),
		RegolithTime: &zero, CanyonTime: &zero, DeltaTime: &zero, EcotoneTime: &eco, FjordTime: &eco,
		GraniteTime: &eco, HoloceneTime: &eco, IsthmusTime: &ist,
	}
}

func block(t *testing.T, cfg *rollup.Config, n uint64) *eth.ExecutionPayloadEnvelope {
	t.Helper()
	ts := cfg.Genesis.L2Time + n*cfg.BlockTime
	p := &eth.ExecutionPayload{
		ParentHash: common.BigToHash(new(big.Int).SetUint64(n)), StateRoot: common.HexToHash("0x5157"),
		ReceiptsRoot: types.EmptyReceiptsHash, BlockNumber: n, GasLimit: 30_000_000, Timestamp: ts,
		BaseFeePerGas: big.NewInt(7), Transactions: [][]byte{{0x7e, byte(n)}}, Withdrawals: []*types.Withdrawal{},
	}
	env := &eth.ExecutionPayloadEnvelope{ExecutionPayload: p}
	if cfg.IsEcotone(ts) {
		zero := uint64(0)
		root := common.HexToHash("0xbeac")
		p.BlobGasUsed, p.ExcessBlobGas, env.ParentBeaconBlockRoot = &zero, &zero, &root
	}
	if cfg.IsIsthmus(ts) {
		w := common.HexToHash("0x9876")
		p.WithdrawalsRoot = &w
	}
	h, err := blockmsg.BlockHash(env, cfg)
	if err != nil && !errors.Is(err, blockmsg.ErrBlockHash) {
		t.Fatal(err)
	}
	p.BlockHash = h
	return env
}

type blocks map[uint64]*eth.ExecutionPayloadEnvelope

func (b blocks) PayloadByNumber(_ context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	if env, ok := b[n]; ok {
		return env, nil
	}
	return nil, eth.ErrNotFound
}

// stream is a request already written, and the response collected.
type stream struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (s *stream) Read(p []byte) (int, error)       { return s.in.Read(p) }
func (s *stream) Write(p []byte) (int, error)      { return s.out.Write(p) }
func (s *stream) SetReadDeadline(time.Time) error  { return nil }
func (s *stream) SetWriteDeadline(time.Time) error { return nil }

func request(n uint64) *stream { return &stream{in: bytes.NewReader(putU64(n))} }

// The server's answers: op-node's result codes and response versions, and
// a client decoding them back to the same block.
func TestServerAnswers(t *testing.T) {
	t.Parallel()
	cfg := chainCfg()
	have := blocks{}
	for _, n := range []uint64{5, 15, 25} {
		have[n] = block(t, cfg, n)
	}
	now := time.Unix(int64(cfg.Genesis.L2Time+30*cfg.BlockTime), 0) // block 30 is due
	srv := newServer(cfg, have, hclog.NewNullLogger(), nil, func() time.Time { return now })
	cases := []struct {
		name    string
		req     *stream
		code    byte
		version uint32
	}{
		{"V2 payload is version 0", request(5), ResultOK, 0},
		{"Ecotone envelope is version 1", request(15), ResultOK, 1},
		{"Isthmus envelope is version 1 too", request(25), ResultOK, 1},
		{"unknown block", request(7), ResultNotFound, 0},
		{"above the wall clock", request(31), ResultInvalid, 0},
		{"short request", &stream{in: bytes.NewReader([]byte{1, 2, 3})}, ResultInvalid, 0},
	}
	for _, tc := range cases {
		code := srv.serve("peer", tc.req)
		out := tc.req.out.Bytes()
		if code != tc.code || len(out) == 0 || out[0] != tc.code {
			t.Fatalf("%s: result %d (wire %x), want %d", tc.name, code, out[:min(len(out), 1)], tc.code)
		}
		if tc.code != ResultOK {
			if len(out) != 1 {
				t.Fatalf("%s: an error answer is one byte, got %d", tc.name, len(out))
			}
			continue
		}
		if v := binary.LittleEndian.Uint32(out[1:5]); v != tc.version {
			t.Fatalf("%s: version %d, want %d", tc.name, v, tc.version)
		}
		n := binary.LittleEndian.Uint64(tc.req.in2())
		env, err := DecodeResponse(cfg, bytes.NewReader(out[1:]), n)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if env.ExecutionPayload.BlockHash != have[n].ExecutionPayload.BlockHash {
			t.Fatalf("%s: decoded another block", tc.name)
		}
	}
}

func (s *stream) in2() []byte {
	_, _ = s.in.Seek(0, 0)
	b := make([]byte, 8)
	_, _ = s.in.Read(b)
	return b
}

// A response that is not the asked block, not in its fork's layout, or not
// hashing to its claimed hash is refused.
func TestDecodeResponseRefuses(t *testing.T) {
	t.Parallel()
	cfg := chainCfg()
	encode := func(version uint32, env *eth.ExecutionPayloadEnvelope, v blockmsg.Version) []byte {
		body, err := blockmsg.MarshalBody(env, v)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_ = binary.Write(&buf, binary.LittleEndian, version)
		w := snappy.NewBufferedWriter(&buf)
		_, _ = w.Write(body)
		_ = w.Close()
		return buf.Bytes()
	}
	bad := block(t, cfg, 15)
	bad.ExecutionPayload.BlockHash[0] ^= 1
	cases := []struct {
		name   string
		number uint64
		data   []byte
		want   string
	}{
		{"another number", 16, encode(1, block(t, cfg, 15), blockmsg.V3), "asked for block 16"},
		{"wrong version word", 15, encode(0, block(t, cfg, 15), blockmsg.V3), "version"},
		{"bad hash", 15, encode(1, bad, blockmsg.V3), "invalid block hash"},
		{"truncated", 15, encode(1, block(t, cfg, 15), blockmsg.V3)[:20], "block 15"},
		{"below genesis", 0, []byte{1, 0, 0, 0}, "version"},
	}
	for _, tc := range cases {
		_, err := DecodeResponse(cfg, bytes.NewReader(tc.data), tc.number)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

func TestProtocolID(t *testing.T) {
	t.Parallel()
	if got := ProtocolID(big.NewInt(10)); got != "/opstack/req/payload_by_number/10/0" {
		t.Fatalf("protocol id %s", got)
	}
}
