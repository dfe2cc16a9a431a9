package sdktest

import (
	"crypto/ecdsa"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"
)

// L1Chain is a small, deterministic L1 chain: what a fake L1 source serves
// and what the L1 source suite expects a real one to serve.
type L1Chain struct {
	ChainID  *big.Int
	Blocks   []*types.Block
	Receipts [][]*types.Receipt
	// Inbox receives one batcher tx in every odd block.
	Inbox common.Address
	// Watched emits one log in every block divisible by 3.
	Watched common.Address
	// Storage is contract storage the chain holds at its head: account →
	// slot → value, for the sources that read storage (StorageReader). The
	// fake serves it at every block.
	Storage map[common.Address]map[common.Hash]common.Hash

	base  uint64
	nonce uint64
}

// Block time of generated chains.
const L1BlockTime = 12

// NewL1Chain builds n+1 blocks (genesis included) with batcher txs to an
// inbox and logs from a watched contract, with valid roots and hashes.
func NewL1Chain(n int) *L1Chain { return NewL1ChainAt(n, 1_700_000_000, 0) }

// NewL1ChainAt builds a chain whose genesis has time base; fork salts the
// blocks so that chains with different forks share nothing (see Fork).
func NewL1ChainAt(n int, base uint64, fork byte) *L1Chain {
	key := chainKey()
	c := &L1Chain{
		ChainID: big.NewInt(900),
		Inbox:   common.HexToAddress("0xff00000000000000000000000000000000000901"),
		Watched: common.HexToAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
	}
	c.Storage = map[common.Address]map[common.Hash]common.Hash{
		c.Watched: {common.HexToHash("0x01"): common.HexToHash("0xfeed")},
	}
	signer := types.LatestSignerForChainID(c.ChainID)
	c.base = base
	c.extend(key, signer, n, fork)
	return c
}

// extend appends blocks up to number n, salting new blocks' extra data.
func (c *L1Chain) extend(key *ecdsa.PrivateKey, signer types.Signer, n int, fork byte) {
	parent := common.Hash{}
	var nonce uint64
	if len(c.Blocks) > 0 {
		parent = c.Head().Hash()
		nonce = c.nonce
	}
	for i := len(c.Blocks); i <= n; i++ {
		var txs []*types.Transaction
		var receipts []*types.Receipt
		if i%2 == 1 {
			txs = append(txs, signedTx(key, signer, nonce, c.Inbox, []byte{0, byte(i)}))
			nonce++
			receipts = append(receipts, &types.Receipt{Type: types.DynamicFeeTxType, Status: 1, CumulativeGasUsed: 21000})
		}
		txs = append(txs, signedTx(key, signer, nonce, common.HexToAddress("0x1234"), nil))
		nonce++
		rcpt := &types.Receipt{Type: types.DynamicFeeTxType, Status: 1, CumulativeGasUsed: uint64(21000 * (len(receipts) + 1))}
		if i%3 == 0 {
			rcpt.Logs = []*types.Log{{Address: c.Watched, Topics: []common.Hash{crypto.Keccak256Hash([]byte("Event()"))}, Data: []byte{byte(i)}}}
			rcpt.Bloom = types.CreateBloom(rcpt)
		}
		receipts = append(receipts, rcpt)
		var logIndex uint
		for ti, r := range receipts {
			r.TxHash = txs[ti].Hash()
			r.TransactionIndex = uint(ti)
			for _, l := range r.Logs {
				l.Index = logIndex
				l.TxIndex = uint(ti)
				logIndex++
			}
		}
		header := &types.Header{
			ParentHash: parent,
			Number:     big.NewInt(int64(i)),
			Time:       c.base + uint64(i)*L1BlockTime,
			GasLimit:   30_000_000,
			BaseFee:    big.NewInt(params.InitialBaseFee),
			Difficulty: common.Big0,
			MixDigest:  common.BigToHash(big.NewInt(int64(1000 + i))),
			Extra:      []byte{fork},
		}
		// Roots computed here rather than by types.NewBlock, whose signature
		// differs between go-ethereum and op-geth.
		header.TxHash = types.DeriveSha(types.Transactions(txs), trie.NewStackTrie(nil))
		header.ReceiptHash = types.DeriveSha(types.Receipts(receipts), trie.NewStackTrie(nil))
		for _, r := range receipts {
			for b := range header.Bloom {
				header.Bloom[b] |= r.Bloom[b]
			}
		}
		header.UncleHash = types.EmptyUncleHash
		block := types.NewBlockWithHeader(header).WithBody(types.Body{Transactions: txs})
		for _, r := range receipts {
			r.BlockHash = block.Hash()
			r.BlockNumber = block.Number()
			for _, l := range r.Logs {
				l.BlockHash = block.Hash()
				l.BlockNumber = block.NumberU64()
			}
		}
		c.Blocks = append(c.Blocks, block)
		c.Receipts = append(c.Receipts, receipts)
		parent = block.Hash()
	}
	c.nonce = nonce
}

func chainKey() *ecdsa.PrivateKey {
	key, _ := crypto.ToECDSA(common.FromHex("0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63"))
	return key
}

// Extend returns a copy of the chain grown to head number n.
func (c *L1Chain) Extend(n int) *L1Chain {
	cp := *c
	cp.Blocks = append([]*types.Block(nil), c.Blocks...)
	cp.Receipts = append([][]*types.Receipt(nil), c.Receipts...)
	cp.extend(chainKey(), types.LatestSignerForChainID(c.ChainID), n, 0)
	return &cp
}

// Fork returns a chain that shares blocks 0..at-1 with c and has different
// blocks from at up to head number n (an L1 reorg).
func (c *L1Chain) Fork(at, n int, salt byte) *L1Chain {
	cp := *c
	cp.Blocks = append([]*types.Block(nil), c.Blocks[:at]...)
	cp.Receipts = append([][]*types.Receipt(nil), c.Receipts[:at]...)
	cp.nonce = uint64(at) + uint64(at)/2 + 100 // any nonce: the fake never executes
	cp.extend(chainKey(), types.LatestSignerForChainID(c.ChainID), n, salt)
	return &cp
}

func signedTx(key *ecdsa.PrivateKey, signer types.Signer, nonce uint64, to common.Address, data []byte) *types.Transaction {
	return types.MustSignNewTx(key, signer, &types.DynamicFeeTx{
		ChainID: signer.ChainID(), Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(params.InitialBaseFee * 2),
		Gas: 21000 + uint64(len(data))*16, To: &to, Data: data,
	})
}

// Head returns the newest block.
func (c *L1Chain) Head() *types.Block { return c.Blocks[len(c.Blocks)-1] }
