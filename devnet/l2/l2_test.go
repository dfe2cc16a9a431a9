package l2

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/devnet/devkeys"
)

func startEngine(t *testing.T, cfg GenesisConfig) *Engine {
	t.Helper()
	if cfg.Time == 0 {
		cfg.Time = uint64(time.Now().Unix())
	}
	cfg.Alloc = devkeys.Alloc(devkeys.DefaultBalance)
	g, err := NewGenesis(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Start(Config{Genesis: g, JWTSecretPath: filepath.Join(t.TempDir(), "jwt.txt")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestEngineAcceptsForkchoiceWithJWT(t *testing.T) {
	t.Parallel()
	e := startEngine(t, GenesisConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g := e.GenesisBlock().Hash()
	state := engine.ForkchoiceStateV1{HeadBlockHash: g, SafeBlockHash: g, FinalizedBlockHash: g}

	c, err := rpc.DialOptions(ctx, e.EngineEndpoint(), rpc.WithHTTPAuth(node.NewJWTAuth(e.JWTSecret())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var res engine.ForkChoiceResponse
	if err := c.CallContext(ctx, &res, "engine_forkchoiceUpdatedV3", state, nil); err != nil {
		t.Fatal(err)
	}
	if res.PayloadStatus.Status != engine.VALID {
		t.Fatalf("forkchoice status %s", res.PayloadStatus.Status)
	}

	// Without the token the engine refuses.
	bare, err := rpc.DialContext(ctx, e.EngineEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if err := bare.CallContext(ctx, &res, "engine_forkchoiceUpdatedV3", state, nil); err == nil {
		t.Fatal("forkchoice accepted without a JWT")
	}

	// The user RPC serves the chain with the dev accounts funded.
	ec, err := ethclient.DialContext(ctx, e.HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	id, err := ec.ChainID(ctx)
	if err != nil || id.Uint64() != 901 {
		t.Fatalf("chain id %v, %v", id, err)
	}
	bal, err := ec.BalanceAt(ctx, devkeys.Address(devkeys.FirstUser), nil)
	if err != nil || bal.Cmp(devkeys.DefaultBalance) != 0 {
		t.Fatalf("user balance %v, %v", bal, err)
	}
}

// A second engine started from the written genesis file has the same
// genesis block: what a verifier needs.
func TestGenesisFileStartsTheSameChain(t *testing.T) {
	t.Parallel()
	e := startEngine(t, GenesisConfig{MinBaseFee: 1000})
	path := filepath.Join(t.TempDir(), "l2-genesis.json")
	if err := WriteGenesis(e.Genesis(), path); err != nil {
		t.Fatal(err)
	}
	g, err := ReadGenesis(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.ToBlock().Hash() != e.GenesisBlock().Hash() {
		t.Fatal("genesis file hashes differently")
	}
	e2, err := Start(Config{Name: "verifier", Genesis: g, JWTSecretPath: filepath.Join(t.TempDir(), "jwt.txt")})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if e2.GenesisBlock().Hash() != e.GenesisBlock().Hash() {
		t.Fatal("second engine has another genesis")
	}
	if e2.JWTSecret() == e.JWTSecret() {
		t.Fatal("engines share a JWT secret")
	}
	if h := e.GenesisBlock().Header(); h.WithdrawalsHash == nil || *h.WithdrawalsHash == types.EmptyRootHash {
		t.Fatal("Isthmus genesis has no withdrawals root")
	}
	if got := e.GenesisBlock().Extra(); len(got) != 17 || got[0] != 1 {
		t.Fatalf("Jovian genesis extraData %x", got)
	}
}

func TestForksScheduledAfterGenesis(t *testing.T) {
	t.Parallel()
	forks := DefaultForks()
	forks.Isthmus, forks.Jovian = At(4), At(6)
	const genesisTime = 1_800_000_000
	g, err := NewGenesis(GenesisConfig{Time: genesisTime, Forks: &forks})
	if err != nil {
		t.Fatal(err)
	}
	c := g.Config
	if *c.HoloceneTime != 0 || *c.IsthmusTime != genesisTime+4 || *c.PragueTime != genesisTime+4 || *c.JovianTime != genesisTime+6 || c.KarstTime != nil || c.OsakaTime != nil {
		t.Fatal("fork times not placed after genesis")
	}
	if len(g.ExtraData) != 9 {
		t.Fatalf("Holocene genesis extraData %x", g.ExtraData)
	}
	if _, ok := g.Alloc[params.HistoryStorageAddress]; ok {
		t.Fatal("history contract predeployed though Isthmus deploys it later")
	}
	if _, ok := g.Alloc[params.BeaconRootsAddress]; !ok {
		t.Fatal("beacon roots contract missing at an Ecotone genesis")
	}
	bad := DefaultForks()
	bad.Jovian = At(2)
	bad.Isthmus = At(4)
	if _, err := NewGenesis(GenesisConfig{Time: genesisTime, Forks: &bad}); err == nil {
		t.Fatal("Jovian before Isthmus accepted")
	}
	e, err := Start(Config{Genesis: g, JWTSecretPath: filepath.Join(t.TempDir(), "jwt.txt")})
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Close()
}
