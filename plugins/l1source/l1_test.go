package l1source

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	gethEth "github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	gethlog "github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/sdk/sdktest"
)

// The test L1: a dev-mode go-ethereum node in-process with HTTP and
// websocket JSON-RPC on loopback, blocks sealed on demand by the simulated
// beacon. The chain carries batcher txs to an inbox and logs from a
// watched contract, like sdktest.NewL1Chain.
var (
	l1ChainID   = big.NewInt(900)
	testInbox   = common.HexToAddress("0xff00000000000000000000000000000000000901")
	testWatched = common.HexToAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3")
	eventTopic  = crypto.Keccak256Hash([]byte("Event(bytes)"))
	testKey, _  = crypto.ToECDSA(common.FromHex("0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63"))

	// testSysConfig stands in for a SystemConfig: it holds an unsafe block
	// signer in op-node's slot, and a call stores its first calldata word
	// there (a rotation).
	testSysConfig = common.HexToAddress("0x00000000000000000000000000000000005c0f19")
	signerSlot    = crypto.Keccak256Hash([]byte("systemconfig.unsafeblocksigner"))
	testSigner    = common.HexToAddress("0x0000000000000000000000000000000000005157")
	ownerSlot     = common.Hash{}
	testOwner     = common.HexToHash("0x0a")
)

// signerSetterCode is the runtime code of testSysConfig: SSTORE(signerSlot,
// CALLDATALOAD(0)), then STOP.
func signerSetterCode() []byte {
	code := []byte{0x60, 0x00, 0x35, 0x7f} // PUSH1 0, CALLDATALOAD, PUSH32 slot
	code = append(code, signerSlot.Bytes()...)
	return append(code, 0x55, 0x00) // SSTORE, STOP
}

// testStorage is the storage of testSysConfig at genesis.
func testStorage() map[common.Hash]common.Hash {
	return map[common.Hash]common.Hash{signerSlot: common.BytesToHash(testSigner[:]), ownerSlot: testOwner}
}

// emitterCode is the runtime code of the watched contract: it logs its
// calldata with one topic (LOG1) and stops.
func emitterCode() []byte {
	code := []byte{
		0x36, 0x60, 0x00, 0x60, 0x00, 0x37, // CALLDATACOPY(0, 0, CALLDATASIZE)
		0x7f, // PUSH32 topic
	}
	code = append(code, eventTopic.Bytes()...)
	return append(code,
		0x36, 0x60, 0x00, // CALLDATASIZE, PUSH1 0
		0xa1, // LOG1(offset 0, size, topic)
		0x00, // STOP
	)
}

type testL1 struct {
	stack   *node.Node
	backend *gethEth.Ethereum
	beacon  *catalyst.SimulatedBeacon
	HTTP    string
	WS      string
	key     *ecdsa.PrivateKey
	signer  types.Signer
	nonce   uint64
}

// startL1 runs the node until the test ends and seals n blocks.
func startL1(t testing.TB, n, txsPerBlock int) *testL1 {
	t.Helper()
	l1, err := newL1()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l1.close)
	if err := l1.mine(n, txsPerBlock); err != nil {
		t.Fatal(err)
	}
	return l1
}

func newL1() (*testL1, error) {
	gethlog.SetDefault(gethlog.NewLogger(gethlog.DiscardHandler()))
	cfg := *params.AllDevChainProtocolChanges
	cfg.ChainID = l1ChainID
	cfg.OsakaTime = nil
	cfg.BlobScheduleConfig = &params.BlobScheduleConfig{Cancun: params.DefaultCancunBlobConfig, Prague: params.DefaultPragueBlobConfig}
	stack, err := node.New(&node.Config{
		Name:        "opal-l1test",
		HTTPHost:    "127.0.0.1",
		HTTPModules: []string{"eth", "net", "web3", "debug"},
		WSHost:      "127.0.0.1",
		WSModules:   []string{"eth", "net", "web3"},
		P2P:         p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""},
	})
	if err != nil {
		return nil, err
	}
	ecfg := ethconfig.Defaults
	ecfg.NetworkId = l1ChainID.Uint64()
	ecfg.SyncMode = ethconfig.FullSync
	ecfg.TxPool.NoLocals = true
	ecfg.Genesis = &core.Genesis{
		Config:     &cfg,
		GasLimit:   60_000_000,
		BaseFee:    big.NewInt(params.InitialBaseFee),
		Difficulty: new(big.Int),
		Alloc: types.GenesisAlloc{
			crypto.PubkeyToAddress(testKey.PublicKey): {Balance: new(big.Int).Lsh(big.NewInt(1), 100)},
			testWatched:   {Code: emitterCode(), Balance: new(big.Int)},
			testSysConfig: {Code: signerSetterCode(), Balance: new(big.Int), Nonce: 1, Storage: testStorage()},
		},
	}
	backend, err := gethEth.New(stack, &ecfg)
	if err != nil {
		stack.Close()
		return nil, err
	}
	fs := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(fs)}})
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, err
	}
	beacon, err := catalyst.NewSimulatedBeacon(0, common.Address{}, backend)
	if err != nil {
		stack.Close()
		return nil, err
	}
	return &testL1{
		stack: stack, backend: backend, beacon: beacon,
		HTTP: stack.HTTPEndpoint(), WS: stack.WSEndpoint(),
		key: testKey, signer: types.LatestSignerForChainID(l1ChainID),
	}, nil
}

func (l *testL1) close() {
	_ = l.beacon.Stop()
	_ = l.stack.Close()
}

func (l *testL1) send(to common.Address, data []byte, gas uint64) error {
	return l.add([]*types.Transaction{l.sign(to, data, gas)})
}

func (l *testL1) sign(to common.Address, data []byte, gas uint64) *types.Transaction {
	tx := types.MustSignNewTx(l.key, l.signer, &types.DynamicFeeTx{
		ChainID: l1ChainID, Nonce: l.nonce, GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(20 * params.GWei),
		Gas: gas, To: &to, Data: data,
	})
	l.nonce++
	return tx
}

// add puts txs into the pool and has it promote them before it returns:
// added one by one in the background, a transaction can sit queued behind
// a stale nonce and miss the next block.
func (l *testL1) add(txs []*types.Transaction) error {
	return errors.Join(l.backend.TxPool().Add(txs, true)...)
}

// mine seals n blocks. Block i carries a batcher tx when odd, a call of the
// watched contract (one log) when divisible by 3, and extra transfers up
// to txsPerBlock transactions. The tests read that layout, so a block
// sealed without all of them is an error.
func (l *testL1) mine(n, txsPerBlock int) error {
	bc := l.backend.BlockChain()
	for k := 0; k < n; k++ {
		i := bc.CurrentBlock().Number.Uint64() + 1
		var txs []*types.Transaction
		if i%2 == 1 {
			txs = append(txs, l.sign(testInbox, []byte{0, byte(i), byte(i >> 8)}, 30_000))
		}
		if i%3 == 0 {
			txs = append(txs, l.sign(testWatched, []byte{byte(i), 0xee}, 60_000))
		}
		for len(txs) < txsPerBlock {
			txs = append(txs, l.sign(common.BigToAddress(big.NewInt(int64(0x1000+len(txs)))), nil, 21_000))
		}
		if err := l.add(txs); err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
		l.beacon.Commit()
		head := bc.GetBlockByNumber(bc.CurrentBlock().Number.Uint64())
		if head.NumberU64() != i || head.Transactions().Len() != len(txs) {
			return fmt.Errorf("block %d: sealed block %d with %d of its %d transactions", i, head.NumberU64(), head.Transactions().Len(), len(txs))
		}
	}
	return nil
}

// chain describes the served blocks for sdktest.RunL1SourceSuite, with the
// receipts as go-ethereum stored them (logs carry their block-wide index),
// and testSysConfig's storage as long as nothing rotated the signer.
func (l *testL1) chain() *sdktest.L1Chain {
	bc := l.backend.BlockChain()
	c := &sdktest.L1Chain{ChainID: l1ChainID, Inbox: testInbox, Watched: testWatched,
		Storage: map[common.Address]map[common.Hash]common.Hash{testSysConfig: testStorage()}}
	head := bc.CurrentBlock().Number.Uint64()
	for i := uint64(0); i <= head; i++ {
		b := bc.GetBlockByNumber(i)
		c.Blocks = append(c.Blocks, b)
		c.Receipts = append(c.Receipts, bc.GetReceiptsByHash(b.Hash()))
	}
	return c
}

func (l *testL1) head() *types.Block {
	bc := l.backend.BlockChain()
	return bc.GetBlockByNumber(bc.CurrentBlock().Number.Uint64())
}
