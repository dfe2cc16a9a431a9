// Package refchain loads the reference chain of the shared vectors
// (vectors/refchain): an L1 chain made by the reference OP Stack and the L2
// blocks the reference op-node derived from it. Tests and benchmarks replay
// it through the deriver and compare with the reference.
//
// The L1 file holds blocks but not receipts, so Load re-executes the L1
// blocks in an in-memory go-ethereum blockchain initialised from the L1
// genesis and reads the receipts from it.
package refchain

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Chain is the loaded reference chain.
type Chain struct {
	Rollup   *rollup.Config
	L1Config *params.ChainConfig
	// L1 holds every L1 block from genesis on, as an L1 source would serve
	// it to the deriver (batch inbox txs, deposit and system config logs).
	L1 []*eth.L1BlockData
	// L2 holds the reference's L2 blocks 1..N; L2[i] is block i+1.
	L2 []Block
	// Genesis is the L2 genesis block.
	Genesis eth.L2BlockRef
}

// Block is one reference L2 block, as expected.json lists it.
type Block struct {
	Number         uint64         `json:"number"`
	Hash           common.Hash    `json:"hash"`
	ParentHash     common.Hash    `json:"parentHash"`
	Timestamp      uint64         `json:"timestamp"`
	GasLimit       uint64         `json:"gasLimit"`
	ExtraData      hexutil.Bytes  `json:"extraData"`
	TxHashes       []common.Hash  `json:"txHashes"`
	L1Origin       eth.BlockID    `json:"l1Origin"`
	SequenceNumber uint64         `json:"sequenceNumber"`
	DepositCount   int            `json:"depositCount"`
	TxTypes        []hexutil.Uint `json:"txTypes"`
}

// Ref returns the block's reference.
func (b Block) Ref() eth.L2BlockRef {
	return eth.L2BlockRef{Hash: b.Hash, Number: b.Number, ParentHash: b.ParentHash, Time: b.Timestamp, L1Origin: b.L1Origin, SequenceNumber: b.SequenceNumber}
}

// Parent returns the reference of the block before L2 block n (n >= 1).
func (c *Chain) Parent(n uint64) eth.L2BlockRef {
	if n <= 1 {
		return c.Genesis
	}
	return c.L2[n-2].Ref()
}

// L1Index returns the position in L1 of the block with the given number.
func (c *Chain) L1Index(number uint64) int { return int(number - c.L1[0].Header.Number.Uint64()) }

// ErrMissing is returned when the vectors directory lacks the chain.
var ErrMissing = errors.New("refchain vectors not found")

// Load reads the chain from dir (vectors/refchain).
func Load(dir string) (*Chain, error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %v", ErrMissing, err)
		}
		return b, err
	}
	rollupJSON, err := read("rollup.json")
	if err != nil {
		return nil, err
	}
	cfg, err := rollup.Parse(rollupJSON)
	if err != nil {
		return nil, fmt.Errorf("rollup.json: %w", err)
	}
	genesisJSON, err := read("l1-genesis.json")
	if err != nil {
		return nil, err
	}
	var genesis core.Genesis
	if err := json.Unmarshal(genesisJSON, &genesis); err != nil {
		return nil, fmt.Errorf("l1-genesis.json: %w", err)
	}
	chainGz, err := read("l1-chain.rlp.gz")
	if err != nil {
		return nil, err
	}
	blocks, err := decodeBlocks(chainGz)
	if err != nil {
		return nil, err
	}
	l1, err := replay(&genesis, blocks, cfg)
	if err != nil {
		return nil, err
	}
	expJSON, err := read("expected.json")
	if err != nil {
		return nil, err
	}
	var exp struct {
		L2Blocks []Block `json:"l2Blocks"`
	}
	if err := json.Unmarshal(expJSON, &exp); err != nil {
		return nil, fmt.Errorf("expected.json: %w", err)
	}
	for i, b := range exp.L2Blocks {
		if b.Number != uint64(i+1) {
			return nil, fmt.Errorf("expected.json: block %d at position %d", b.Number, i)
		}
	}
	return &Chain{
		Rollup:   cfg,
		L1Config: genesis.Config,
		L1:       l1,
		L2:       exp.L2Blocks,
		Genesis:  eth.L2BlockRef{Hash: cfg.Genesis.L2.Hash, Number: cfg.Genesis.L2.Number, Time: cfg.Genesis.L2Time, L1Origin: cfg.Genesis.L1},
	}, nil
}

func decodeBlocks(gz []byte) ([]*types.Block, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("l1-chain.rlp.gz: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("l1-chain.rlp.gz: %w", err)
	}
	s := rlp.NewStream(bytes.NewReader(raw), uint64(len(raw)))
	var out []*types.Block
	for {
		var b types.Block
		if err := s.Decode(&b); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("l1-chain.rlp.gz block %d: %w", len(out), err)
		}
		out = append(out, &b)
	}
}

// replay executes the blocks on top of the genesis and returns the L1
// block data of genesis and every block.
func replay(genesis *core.Genesis, blocks []*types.Block, cfg *rollup.Config) ([]*eth.L1BlockData, error) {
	db := rawdb.NewMemoryDatabase()
	bc, err := core.NewBlockChain(db, genesis, beacon.New(ethash.NewFaker()), core.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("L1 blockchain: %w", err)
	}
	defer bc.Stop()
	// The export may start with the genesis block itself.
	for len(blocks) > 0 && blocks[0].NumberU64() == 0 {
		if blocks[0].Hash() != bc.Genesis().Hash() {
			return nil, fmt.Errorf("L1 file genesis %s differs from l1-genesis.json's %s", blocks[0].Hash(), bc.Genesis().Hash())
		}
		blocks = blocks[1:]
	}
	if n, err := bc.InsertChain(blocks); err != nil {
		return nil, fmt.Errorf("importing L1 block %d: %w", n, err)
	}
	watched := []common.Address{cfg.DepositContractAddress, cfg.L1SystemConfigAddress}
	var out []*eth.L1BlockData
	add := func(b *types.Block) error {
		d, err := blockData(b, bc.GetReceiptsByHash(b.Hash()), cfg.BatchInboxAddress, watched)
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}
	if err := add(bc.Genesis()); err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if err := add(b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// blockData is what an L1 source hands the deriver for one block.
func blockData(b *types.Block, receipts types.Receipts, inbox common.Address, watched []common.Address) (*eth.L1BlockData, error) {
	if len(receipts) != len(b.Transactions()) {
		return nil, fmt.Errorf("L1 block %d: %d receipts for %d txs", b.NumberU64(), len(receipts), len(b.Transactions()))
	}
	d := &eth.L1BlockData{Header: b.Header()}
	for i, tx := range b.Transactions() {
		if to := tx.To(); to == nil || *to != inbox {
			continue
		}
		raw, err := tx.MarshalBinary()
		if err != nil {
			return nil, err
		}
		d.BatcherTxs = append(d.BatcherTxs, eth.L1Tx{Index: uint32(i), Raw: raw})
	}
	for i, r := range receipts {
		var logs []eth.Log
		for _, l := range r.Logs {
			if slices.Contains(watched, l.Address) {
				logs = append(logs, eth.Log{Address: l.Address, Topics: l.Topics, Data: l.Data, Index: uint32(l.Index)})
			}
		}
		if len(logs) > 0 {
			d.Receipts = append(d.Receipts, eth.Receipt{TxIndex: uint32(i), Status: r.Status, Logs: logs})
		}
	}
	return d, nil
}
