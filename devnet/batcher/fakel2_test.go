package batcher

import (
	"fmt"
	"math/big"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// fakeL2 serves an L2 chain over JSON-RPC on a loopback port, with just
// what the batcher reads: eth_getBlockByNumber by number, "latest" and
// "safe", with or without full transactions. Every block starts with an
// L1-info deposit and holds a user deposit and a user transaction.
type fakeL2 struct {
	URL    string
	cfg    *rollup.Config
	l1Cfg  *params.ChainConfig
	origin *types.Header

	mu     sync.Mutex
	blocks []*fakeBlock // by number; blocks[0] is the genesis
	safe   uint64
}

type fakeBlock struct {
	hash, parent common.Hash
	number, time uint64
	txs          []*types.Transaction
}

// startL2 serves a chain holding only the rollup's genesis block. All
// blocks take origin as their L1 origin.
func startL2(t *testing.T, cfg *rollup.Config, l1Cfg *params.ChainConfig, origin *types.Header) *fakeL2 {
	t.Helper()
	f := &fakeL2{cfg: cfg, l1Cfg: l1Cfg, origin: origin}
	f.blocks = []*fakeBlock{{hash: cfg.Genesis.L2.Hash, number: cfg.Genesis.L2.Number, time: cfg.Genesis.L2Time}}
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", &fakeEthAPI{f}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Stop()
	})
	f.URL = hs.URL
	return f
}

// extend appends n blocks and returns them as the batcher should read
// them. seed makes the blocks differ from an earlier branch at the same
// heights.
func (f *fakeL2) extend(t *testing.T, n int, seed string) []Block {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Block
	for range n {
		parent := f.blocks[len(f.blocks)-1]
		num, ts := parent.number+1, parent.time+f.cfg.BlockTime
		seq := num - f.cfg.Genesis.L2.Number // one epoch: the genesis L1 origin
		info, err := l1info.DepositBytes(f.cfg, f.l1Cfg, f.cfg.Genesis.SystemConfig, seq, f.origin, ts)
		if err != nil {
			t.Fatal(err)
		}
		var infoTx types.Transaction
		if err := infoTx.UnmarshalBinary(info); err != nil {
			t.Fatal(err)
		}
		to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
		userDeposit := types.NewTx(&types.DepositTx{SourceHash: crypto.Keccak256Hash([]byte(seed), big.NewInt(int64(num)).Bytes()),
			From: to, To: &to, Mint: big.NewInt(5), Value: big.NewInt(5), Gas: 50_000, Data: []byte(seed)})
		raw := userTx(t, types.DynamicFeeTxType, num, 64+len(seed))
		var user types.Transaction
		if err := user.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		b := &fakeBlock{
			hash:   crypto.Keccak256Hash(parent.hash[:], []byte(seed), big.NewInt(int64(num)).Bytes()),
			parent: parent.hash, number: num, time: ts,
			txs: []*types.Transaction{&infoTx, userDeposit, &user},
		}
		f.blocks = append(f.blocks, b)
		out = append(out, Block{
			Hash: b.hash, ParentHash: b.parent, Number: num, Time: ts,
			L1Origin:     eth.BlockID{Hash: f.origin.Hash(), Number: f.origin.Number.Uint64()},
			L1OriginTime: f.origin.Time, SeqNum: seq, Txs: [][]byte{raw},
		})
	}
	return out
}

// rewind drops the blocks above number, as an L2 reorg would before the
// new branch is built with extend.
func (f *fakeL2) rewind(number uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocks = f.blocks[:number-f.cfg.Genesis.L2.Number+1]
	f.safe = min(f.safe, number)
}

// setSafe moves the safe head.
func (f *fakeL2) setSafe(number uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.safe = number
}

type fakeEthAPI struct{ f *fakeL2 }

// GetBlockByNumber is eth_getBlockByNumber.
func (a *fakeEthAPI) GetBlockByNumber(n rpc.BlockNumber, full bool) (map[string]any, error) {
	f := a.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var idx int64
	switch n {
	case rpc.LatestBlockNumber, rpc.PendingBlockNumber:
		idx = int64(len(f.blocks) - 1)
	case rpc.SafeBlockNumber, rpc.FinalizedBlockNumber:
		idx = int64(f.safe)
	default:
		if n < 0 {
			return nil, fmt.Errorf("unsupported block tag %d", n)
		}
		idx = n.Int64()
	}
	if idx >= int64(len(f.blocks)) {
		return nil, nil
	}
	b := f.blocks[idx]
	var txs any
	if full {
		txs = b.txs
	} else {
		hashes := make([]common.Hash, len(b.txs))
		for i, tx := range b.txs {
			hashes[i] = tx.Hash()
		}
		txs = hashes
	}
	return map[string]any{
		"hash":         b.hash,
		"parentHash":   b.parent,
		"number":       hexutil.Uint64(b.number),
		"timestamp":    hexutil.Uint64(b.time),
		"transactions": txs,
	}, nil
}
