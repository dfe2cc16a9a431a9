package batcher

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	gethlog "github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/params"

	"github.com/opalnode/opal/devnet/devkeys"
	"github.com/opalnode/opal/devnet/internal/gethnode"
	"github.com/opalnode/opal/devnet/l1"
)

const testL1ChainID = 900

// testL1 is a real go-ethereum L1 in the test process, with JSON-RPC over
// HTTP on a loopback port and the dev accounts funded. It seals a block
// whenever its pool holds transactions, so a batcher round takes
// milliseconds, and it hands out the blobs of included transactions, as a
// beacon node does.
type testL1 struct {
	URL    string
	Config *params.ChainConfig
	// blobs returns the blobs of blob transaction tx in block.
	blobs func(block common.Hash, tx *types.Transaction) ([]kzg4844.Blob, error)
}

// startL1 runs the devnet's own L1 (Cancun and Prague), or with osaka an
// Osaka L1, which the devnet does not offer, built on the same geth node.
func startL1(t *testing.T, osaka bool) *testL1 {
	t.Helper()
	gethlog.SetDefault(gethlog.NewLogger(gethlog.DiscardHandler()))
	if osaka {
		return startOsakaL1(t)
	}
	n, err := l1.New(l1.Config{ChainID: testL1ChainID, OnDemand: true, Alloc: devkeys.Alloc(devkeys.DefaultBalance)})
	if err != nil {
		t.Fatal(err)
	}
	stopSealing := seal(n.Eth(), func() error { _, err := n.Commit(context.Background()); return err })
	t.Cleanup(func() {
		stopSealing()
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testL1{
		URL:    n.HTTPEndpoint(),
		Config: n.ChainConfig(),
		blobs: func(block common.Hash, tx *types.Transaction) ([]kzg4844.Blob, error) {
			byHash := map[common.Hash]l1.Sidecar{}
			for _, s := range n.Sidecars(block) {
				byHash[s.VersionedHash] = s
			}
			var out []kzg4844.Blob
			for _, h := range tx.BlobHashes() {
				s, ok := byHash[h]
				if !ok {
					return nil, fmt.Errorf("block %s has no blob %s", block, h)
				}
				if err := checkBlob(&s.Blob, s.Commitment, h); err != nil {
					return nil, err
				}
				out = append(out, s.Blob)
			}
			return out, nil
		},
	}
}

// startOsakaL1 runs a dev chain with Osaka active, sealed by catalyst's
// simulated beacon. It keeps the sidecars of pending blob transactions
// just before sealing them.
func startOsakaL1(t *testing.T) *testL1 {
	gen := core.DeveloperGenesisBlock(30_000_000, nil)
	gen.Config.ChainID = big.NewInt(testL1ChainID)
	for addr, acc := range devkeys.Alloc(devkeys.DefaultBalance) {
		gen.Alloc[addr] = acc
	}
	stack, backend, err := gethnode.Start(gethnode.Config{Name: "opal-batcher-test-osaka", Genesis: gen})
	if err != nil {
		t.Fatal(err)
	}
	beacon, err := catalyst.NewSimulatedBeacon(0, common.Address{}, backend)
	if err != nil {
		stack.Close()
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		sidecars = map[common.Hash]*types.BlobTxSidecar{}
	)
	pool := backend.TxPool()
	stopSealing := seal(backend, func() error {
		for _, v := range []byte{types.BlobSidecarVersion0, types.BlobSidecarVersion1} {
			pending, _ := pool.Pending(txpool.PendingFilter{BlobTxs: true, BlobVersion: v})
			for _, lazies := range pending {
				for _, lazy := range lazies {
					if tx := pool.Get(lazy.Hash); tx != nil && tx.BlobTxSidecar() != nil {
						mu.Lock()
						sidecars[tx.Hash()] = tx.BlobTxSidecar()
						mu.Unlock()
					}
				}
			}
		}
		beacon.Commit()
		return nil
	})
	t.Cleanup(func() {
		stopSealing()
		_ = beacon.Stop()
		_ = stack.Close()
	})
	return &testL1{
		URL:    stack.HTTPEndpoint(),
		Config: gen.Config,
		blobs: func(_ common.Hash, tx *types.Transaction) ([]kzg4844.Blob, error) {
			mu.Lock()
			sc := sidecars[tx.Hash()]
			mu.Unlock()
			if sc == nil {
				return nil, fmt.Errorf("no sidecar kept for blob tx %s", tx.Hash())
			}
			if err := sc.ValidateBlobCommitmentHashes(tx.BlobHashes()); err != nil {
				return nil, err
			}
			return sc.Blobs, nil
		},
	}
}

// seal calls commit whenever the pool holds pending transactions, until
// the returned stop function is called.
func seal(backend *eth.Ethereum, commit func() error) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			if pending, _ := backend.TxPool().Stats(); pending > 0 {
				_ = commit() // a failed seal shows up as a batcher timeout
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// checkBlob checks that a blob matches its commitment and versioned hash,
// as derivation does before decoding it.
func checkBlob(b *kzg4844.Blob, c kzg4844.Commitment, h common.Hash) error {
	got, err := kzg4844.BlobToCommitment(b)
	if err != nil {
		return err
	}
	if got != c || kzg4844.CalcBlobHashV1(sha256.New(), &c) != h {
		return fmt.Errorf("blob does not match commitment and versioned hash %s", h)
	}
	return nil
}
