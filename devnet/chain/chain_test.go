package chain

import (
	"bytes"
	"context"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/devnet/contracts"
	"github.com/opalnode/opal/devnet/l2"
	"github.com/opalnode/opal/sdk/rollup"
)

func TestNewWritesTheChainFiles(t *testing.T) {
	t.Parallel()
	c, l1c := startChain(t)
	ctx := context.Background()

	rcfg, err := rollup.Load(c.File(RollupFile))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := c.Rollup.Marshal()
	got, _ := rcfg.Marshal()
	if !bytes.Equal(got, want) {
		t.Fatalf("rollup.json differs from the chain's config:\n%s", got)
	}
	if rcfg.BatchInboxAddress != common.HexToAddress("0xff00000000000000000000000000000000000901") {
		t.Fatalf("batch inbox %s", rcfg.BatchInboxAddress)
	}
	if rcfg.Genesis.L1.Number != 0 || rcfg.Genesis.L2Time != c.L1.GenesisBlock().Time() || !rcfg.IsJovian(rcfg.Genesis.L2Time) || rcfg.KarstTime != nil {
		t.Fatalf("genesis anchor or forks: %+v", rcfg.Genesis)
	}

	l1g, err := l2.ReadGenesis(c.File(L1GenesisFile)) // plain geth genesis JSON
	if err != nil {
		t.Fatal(err)
	}
	if l1g.ToBlock().Hash() != rcfg.Genesis.L1.Hash {
		t.Fatal("l1-genesis.json does not hash to the rollup's genesis L1 block")
	}
	l2g, err := l2.ReadGenesis(c.File(L2GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	if l2g.ToBlock().Hash() != rcfg.Genesis.L2.Hash {
		t.Fatal("l2-genesis.json does not hash to the rollup's genesis L2 block")
	}
	jwt, err := os.ReadFile(c.File(JWTFile))
	if err != nil {
		t.Fatal(err)
	}
	secret := c.L2.JWTSecret()
	if strings.TrimSpace(string(jwt)) != common.Bytes2Hex(secret[:]) && strings.TrimSpace(string(jwt)) != "0x"+common.Bytes2Hex(secret[:]) {
		t.Fatal("jwt.txt does not hold the engine's secret")
	}

	// The system config on L1 holds what the rollup's genesis says.
	call := func(method string) common.Hash {
		out, err := l1c.CallContract(ctx, ethereum.CallMsg{To: &SystemConfigAddress, Data: mustPack(t, method)}, nil)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return common.BytesToHash(out)
	}
	sys := rcfg.Genesis.SystemConfig
	for method, want := range map[string]common.Address{
		"owner":             Address(c.Keys.Admin),
		"unsafeBlockSigner": Address(c.Keys.Sequencer),
		"batcherHash":       sys.BatcherAddr,
	} {
		if got := common.BytesToAddress(call(method).Bytes()); got != want {
			t.Errorf("%s() = %s, want %s", method, got, want)
		}
	}
	if got := call("scalar"); got != common.Hash(sys.Scalar) {
		t.Errorf("scalar() = %s", got)
	}

	ep := c.Endpoints()
	for url, want := range map[string]uint64{ep.L1HTTP: 900, ep.L1WS: 900, ep.L2HTTP: 901, ep.L2WS: 901} {
		cl, err := ethclient.Dial(url)
		if err != nil {
			t.Fatal(err)
		}
		id, err := cl.ChainID(ctx)
		cl.Close()
		if err != nil || id.Uint64() != want {
			t.Errorf("%s: chain id %v, %v", url, id, err)
		}
	}
}

func mustPack(t *testing.T, method string) []byte {
	t.Helper()
	data, err := contracts.SystemConfig.ABI.Pack(method)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A verifier's engine starts from the same genesis, with its own secret,
// and answers the Engine API.
func TestVerifierEngine(t *testing.T) {
	t.Parallel()
	c, _ := startChain(t)
	v, err := c.NewVerifierEngine("")
	if err != nil {
		t.Fatal(err)
	}
	if v.GenesisBlock().Hash() != c.Rollup.Genesis.L2.Hash || v.JWTSecret() == c.L2.JWTSecret() || v.EngineEndpoint() == c.L2.EngineEndpoint() {
		t.Fatal("verifier engine shares the sequencer's secret or endpoint, or has another genesis")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := rpc.DialOptions(ctx, v.EngineEndpoint(), rpc.WithHTTPAuth(node.NewJWTAuth(v.JWTSecret())))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	g := c.Rollup.Genesis.L2.Hash
	var res engine.ForkChoiceResponse
	if err := cl.CallContext(ctx, &res, "engine_forkchoiceUpdatedV3", engine.ForkchoiceStateV1{HeadBlockHash: g, SafeBlockHash: g, FinalizedBlockHash: g}, nil); err != nil {
		t.Fatal(err)
	}
	if res.PayloadStatus.Status != engine.VALID {
		t.Fatalf("status %s", res.PayloadStatus.Status)
	}
}

// The L1 block clock runs when the chain is not on demand, and the
// finalized label trails the head.
func TestL1FinalizedLagsHead(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := New(ctx, Config{L1BlockTime: 1, L1SafeLag: 1, L1FinalizedLag: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := ethclient.Dial(c.Endpoints().L1HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for {
		// Finalized first: a block landing between the two reads can only
		// widen the lag seen.
		fin, err := cl.HeaderByNumber(ctx, bigTag(rpc.FinalizedBlockNumber))
		if err != nil {
			t.Fatal(err)
		}
		head, err := cl.HeaderByNumber(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if head.Number.Uint64() >= 4 {
			if lag := head.Number.Uint64() - fin.Number.Uint64(); lag < 2 || lag > 3 { // a block may land in between
				t.Fatalf("head %d, finalized %d", head.Number, fin.Number)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("L1 made no blocks")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func bigTag(n rpc.BlockNumber) *big.Int { return big.NewInt(int64(n)) }
