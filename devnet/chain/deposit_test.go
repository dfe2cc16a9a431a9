package chain

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/devnet/contracts"
	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/l1info"
)

// Deposits through the portal, from an account and from a contract, decode
// with the deriver into the deposits that were asked for, and an L2 block
// built from them on the devnet's engine mints and transfers as they say.
func TestDepositsThroughThePortal(t *testing.T) {
	t.Parallel()
	c, l1c := startChain(t)
	user := c.Keys.Users[0]
	recipient := Address(c.Keys.Users[1])
	mint := big.NewInt(3e18)
	d := contracts.Deposit{To: recipient, Value: big.NewInt(1e18), GasLimit: 100_000, Data: []byte("hi")}

	// From an account: the sender is the account.
	rec, _ := send(t, c, l1c, user, &PortalAddress, mint, contracts.PackDepositTransaction(d))
	checkDeposit(t, rec, Address(user), mint, d)

	// From a contract: the sender is the contract's aliased address.
	deploy, err := contracts.DepositRelay.Deploy(PortalAddress)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ = send(t, c, l1c, user, nil, nil, deploy)
	if rec.Status != 1 {
		t.Fatal("relay deployment failed")
	}
	relay := rec.ContractAddress
	rec, l1Block := send(t, c, l1c, user, &relay, mint, contracts.PackRelayDepositTransaction(d))
	relayed := checkDeposit(t, rec, contracts.ApplyAlias(relay), mint, d)
	if relayed.From == relay {
		t.Fatal("contract deposit not aliased")
	}

	// A creation must not name a recipient.
	bad := contracts.Deposit{To: recipient, GasLimit: 100_000, IsCreation: true}
	if rec, _ := send(t, c, l1c, user, &PortalAddress, nil, contracts.PackDepositTransaction(bad)); rec.Status != 0 {
		t.Fatal("creation deposit with a recipient accepted")
	}

	buildL2Block(t, c, l1Block)
	l2c, err := ethclient.Dial(c.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l2c.Close()
	got, err := l2c.BalanceAt(context.Background(), recipient, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The recipient's genesis balance plus the relayed deposit's value.
	if want := new(big.Int).Add(c.L2Genesis().Alloc[recipient].Balance, d.Value); got.Cmp(want) != 0 {
		t.Fatalf("recipient L2 balance %s, want %s", got, want)
	}
	aliased, err := l2c.BalanceAt(context.Background(), relayed.From, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := new(big.Int).Sub(mint, d.Value); aliased.Cmp(want) != 0 {
		t.Fatalf("aliased sender L2 balance %s, want %s", aliased, want)
	}
}

// checkDeposit decodes the receipt's one portal log with the deriver and
// compares it with the deposit asked for.
func checkDeposit(t *testing.T, rec *types.Receipt, from common.Address, mint *big.Int, d contracts.Deposit) *deposit.Tx {
	t.Helper()
	if rec.Status != 1 || len(rec.Logs) != 1 || rec.Logs[0].Address != PortalAddress {
		t.Fatalf("deposit tx: status %d, %d logs", rec.Status, len(rec.Logs))
	}
	tx, err := deposit.FromLog(toEthLog(rec.Logs[0]), rec.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	if tx.From != from || tx.To == nil || *tx.To != d.To || tx.Mint.Cmp(mint) != 0 || tx.Value.Cmp(d.Value) != 0 ||
		tx.Gas != d.GasLimit || string(tx.Data) != string(d.Data) || tx.IsSystemTx {
		t.Fatalf("decoded deposit %+v", tx)
	}
	if tx.SourceHash != deposit.UserDepositSource(rec.BlockHash, uint64(rec.Logs[0].Index)) {
		t.Fatal("source hash")
	}
	return tx
}

// buildL2Block makes L2 block 1 on the engine with l1Block as its origin:
// the L1-info deposit and the block's user deposits, through the
// authenticated Engine API, as a sequencer would.
func buildL2Block(t *testing.T, c *Chain, l1Block *types.Block) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l1c, err := ethclient.Dial(c.Endpoints().L1HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l1c.Close()
	recs, err := l1c.BlockReceipts(ctx, rpc.BlockNumberOrHashWithHash(l1Block.Hash(), true))
	if err != nil {
		t.Fatal(err)
	}
	userDeposits, err := deposit.UserDeposits(toEthReceipts(recs), PortalAddress, l1Block.Hash())
	if err != nil || len(userDeposits) != 1 {
		t.Fatalf("%d user deposits, %v", len(userDeposits), err)
	}
	sys := c.Rollup.Genesis.SystemConfig
	l2Time := max(l1Block.Time(), c.Rollup.Genesis.L2Time+c.Rollup.BlockTime)
	info, err := l1info.DepositBytes(c.Rollup, c.L1.ChainConfig(), sys, 0, l1Block.Header(), l2Time)
	if err != nil {
		t.Fatal(err)
	}
	txs := [][]byte{info}
	for _, d := range userDeposits {
		txs = append(txs, d)
	}

	cl, err := rpc.DialOptions(ctx, c.Endpoints().L2Engine, rpc.WithHTTPAuth(node.NewJWTAuth(c.L2.JWTSecret())))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	g := c.Rollup.Genesis.L2.Hash
	state := engine.ForkchoiceStateV1{HeadBlockHash: g, SafeBlockHash: g, FinalizedBlockHash: g}
	gasLimit := sys.GasLimit
	minBaseFee := sys.MinBaseFee
	attrs := &engine.PayloadAttributes{
		Timestamp:             l2Time,
		Random:                l1Block.MixDigest(),
		SuggestedFeeRecipient: common.HexToAddress("0x4200000000000000000000000000000000000011"),
		Withdrawals:           types.Withdrawals{},
		BeaconRoot:            l1Block.BeaconRoot(),
		Transactions:          txs,
		NoTxPool:              true,
		GasLimit:              &gasLimit,
		EIP1559Params:         sys.EIP1559Params[:],
		MinBaseFee:            &minBaseFee,
	}
	var fcu engine.ForkChoiceResponse
	if err := cl.CallContext(ctx, &fcu, "engine_forkchoiceUpdatedV3", state, attrs); err != nil {
		t.Fatal(err)
	}
	if fcu.PayloadID == nil {
		t.Fatalf("no payload: %s", fcu.PayloadStatus.Status)
	}
	var env engine.ExecutionPayloadEnvelope
	if err := cl.CallContext(ctx, &env, "engine_getPayloadV4", fcu.PayloadID); err != nil {
		t.Fatal(err)
	}
	var status engine.PayloadStatusV1
	if err := cl.CallContext(ctx, &status, "engine_newPayloadV4", env.ExecutionPayload, []common.Hash{}, l1Block.BeaconRoot(), []hexutil.Bytes{}); err != nil {
		t.Fatal(err)
	}
	if status.Status != engine.VALID {
		t.Fatalf("new payload: %s %v", status.Status, status.ValidationError)
	}
	state.HeadBlockHash = env.ExecutionPayload.BlockHash
	if err := cl.CallContext(ctx, &fcu, "engine_forkchoiceUpdatedV3", state, nil); err != nil {
		t.Fatal(err)
	}
	if len(env.ExecutionPayload.Transactions) != 2 {
		t.Fatalf("L2 block has %d txs", len(env.ExecutionPayload.Transactions))
	}
}
