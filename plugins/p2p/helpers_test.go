package p2p

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/host"
	"github.com/opalnode/opal/sdk/rollup"
)

// testChain is a chain whose block 100 is due about now, with every fork up
// to Isthmus active from genesis (V4 gossip).
type testChain struct {
	cfg    *rollup.Config
	key    *ecdsa.PrivateKey
	signer common.Address
}

func newTestChain(t testing.TB) *testChain {
	t.Helper()
	zero := uint64(0)
	now := uint64(time.Now().Unix())
	cfg := &rollup.Config{
		Genesis: rollup.Genesis{
			L1:     eth.BlockID{Hash: common.HexToHash("0x1111"), Number: 0},
			L2:     eth.BlockID{Hash: common.HexToHash("0x2222"), Number: 0},
			L2Time: now - 200,
		},
		BlockTime: 2, L1ChainID: big.NewInt(900), L2ChainID: big.NewInt(901),
		RegolithTime: &zero, CanyonTime: &zero, DeltaTime: &zero, EcotoneTime: &zero,
		FjordTime: &zero, GraniteTime: &zero, HoloceneTime: &zero, IsthmusTime: &zero,
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &testChain{cfg: cfg, key: key, signer: crypto.PubkeyToAddress(key.PublicKey)}
}

// block builds a valid block at number on parent, at its due time plus
// skew seconds, with extra to make distinct blocks at one height.
func (c *testChain) block(t testing.TB, number uint64, parent common.Hash, extra byte) *eth.ExecutionPayloadEnvelope {
	t.Helper()
	beacon := common.HexToHash("0xbeac")
	wroot := common.HexToHash("0x9876")
	zero := uint64(0)
	p := &eth.ExecutionPayload{
		ParentHash: parent, FeeRecipient: common.HexToAddress("0x4200000000000000000000000000000000000011"),
		StateRoot: common.HexToHash("0x5157"), ReceiptsRoot: types.EmptyReceiptsHash,
		PrevRandao: common.HexToHash("0x7a7d"), BlockNumber: number, GasLimit: 30_000_000,
		Timestamp: c.cfg.Genesis.L2Time + number*c.cfg.BlockTime, ExtraData: []byte{extra},
		BaseFeePerGas: big.NewInt(7), Transactions: [][]byte{{0x7e, 0x01, extra}},
		Withdrawals: []*types.Withdrawal{}, BlobGasUsed: &zero, ExcessBlobGas: &zero, WithdrawalsRoot: &wroot,
	}
	env := &eth.ExecutionPayloadEnvelope{ParentBeaconBlockRoot: &beacon, ExecutionPayload: p}
	p.BlockHash = rebuiltHash(t, env, c.cfg)
	return env
}

// chain builds blocks 1..n linked from a made-up block 0.
func (c *testChain) chain(t testing.TB, n uint64) []*eth.ExecutionPayloadEnvelope {
	out := []*eth.ExecutionPayloadEnvelope{{ExecutionPayload: &eth.ExecutionPayload{BlockHash: c.cfg.Genesis.L2.Hash}}}
	for i := uint64(1); i <= n; i++ {
		out = append(out, c.block(t, i, out[i-1].ExecutionPayload.BlockHash, 0))
	}
	return out
}

// message encodes env as gossip signed with key.
func (c *testChain) message(t testing.TB, env *eth.ExecutionPayloadEnvelope, v blockmsg.Version, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	body, err := blockmsg.MarshalBody(env, v)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := blockmsg.Sign(key, c.cfg.L2ChainID, body)
	if err != nil {
		t.Fatal(err)
	}
	return blockmsg.Encode(sig, body)
}

// blocksHost serves PayloadByNumber from a slice (the req/resp server's
// source); the other Host methods are not used by the plugin.
type blocksHost struct {
	host.Host
	blocks []*eth.ExecutionPayloadEnvelope
}

func (h blocksHost) PayloadByNumber(_ context.Context, n uint64) (*eth.ExecutionPayloadEnvelope, error) {
	if n == 0 || n >= uint64(len(h.blocks)) {
		return nil, eth.ErrNotFound
	}
	return h.blocks[n], nil
}

// startPlugin configures a plugin on loopback with no discovery and
// in-memory stores, plus the given keys.
func startPlugin(t testing.TB, c *testChain, hs host.Host, extra map[string]any) *Plugin {
	t.Helper()
	table := map[string]any{
		"listen_ip": "127.0.0.1", "listen_tcp": 0, "no_discovery": true,
		"peerstore_path": "memory", "discovery_path": "memory",
		"priv_path": filepath.Join(t.TempDir(), "p2p_priv.txt"), "log_level": "warn",
	}
	for k, v := range extra {
		table[k] = v
	}
	raw, err := json.Marshal(table)
	if err != nil {
		t.Fatal(err)
	}
	p := New()
	if err := p.Configure(context.Background(), base.ConfigureRequest{Config: raw, Rollup: c.cfg, Host: hs}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	if err := p.SetUnsafeBlockSigner(context.Background(), c.signer); err != nil {
		t.Fatal(err)
	}
	return p
}

func listenAddr(t testing.TB, p *Plugin) string {
	t.Helper()
	st, err := p.Status(context.Background())
	if err != nil || len(st.ListenAddrs) == 0 {
		t.Fatalf("status: %+v, %v", st, err)
	}
	return st.ListenAddrs[0]
}

func seqKeyHex(k *ecdsa.PrivateKey) string { return common.Bytes2Hex(crypto.FromECDSA(k)) }

// rebuiltHash is the hash of env's header, whatever its claimed hash.
func rebuiltHash(t testing.TB, env *eth.ExecutionPayloadEnvelope, cfg *rollup.Config) common.Hash {
	t.Helper()
	h, err := blockmsg.BlockHash(env, cfg)
	if err != nil && !errors.Is(err, blockmsg.ErrBlockHash) {
		t.Fatal(err)
	}
	return h
}
