package chain

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/opalnode/opal/sdk/eth"
)

// startChain runs a devnet whose L1 makes blocks only on Commit, so tests
// decide what each block holds.
func startChain(t *testing.T) (*Chain, *ethclient.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	began := time.Now()
	c, err := New(ctx, Config{DataDir: t.TempDir(), L1OnDemand: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("chain started in %s", time.Since(began))
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	l1c, err := ethclient.Dial(c.Endpoints().L1HTTP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l1c.Close)
	return c, l1c
}

// send signs a dynamic-fee transaction, mines it in a new L1 block and
// returns its receipt and the block.
func send(t *testing.T, c *Chain, cl *ethclient.Client, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte) (*types.Receipt, *types.Block) {
	t.Helper()
	ctx := context.Background()
	from := Address(key)
	nonce, err := cl.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	if value == nil {
		value = new(big.Int)
	}
	gas, err := cl.EstimateGas(ctx, ethereum.CallMsg{From: from, To: to, Value: value, Data: data})
	if err != nil {
		gas = 3_000_000 // let a reverting call be mined, to see the revert
	}
	signer := types.LatestSignerForChainID(c.Rollup.L1ChainID)
	tx := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{
		ChainID:   c.Rollup.L1ChainID,
		Nonce:     nonce,
		GasTipCap: big.NewInt(1e9),
		GasFeeCap: big.NewInt(50e9),
		Gas:       gas,
		To:        to,
		Value:     value,
		Data:      data,
	})
	if err := cl.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	block, err := c.L1.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := cl.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		t.Fatalf("tx not mined in block %d: %v", block.NumberU64(), err)
	}
	return rec, block
}

func toEthLog(l *types.Log) eth.Log {
	return eth.Log{Address: l.Address, Topics: l.Topics, Data: l.Data, Index: uint32(l.Index)}
}

func toEthReceipts(recs []*types.Receipt) []eth.Receipt {
	out := make([]eth.Receipt, len(recs))
	for i, r := range recs {
		out[i] = eth.Receipt{TxIndex: uint32(r.TransactionIndex), Status: r.Status}
		for _, l := range r.Logs {
			out[i].Logs = append(out[i].Logs, toEthLog(l))
		}
	}
	return out
}
