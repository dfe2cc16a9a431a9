package sdktest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
)

// RunL1SourceSuite checks an L1 source against the chain it is expected to
// serve. The newest block of chain must be the source's head. A source
// that reads storage (l1source.StorageReader, optional) must serve the
// chain's Storage at the head; one that does not answers
// l1source.ErrStorageUnsupported, and that part is skipped.
func RunL1SourceSuite(t *testing.T, src l1source.Source, chain *L1Chain) {
	t.Helper()
	ctx := context.Background()
	t.Run("info", func(t *testing.T) {
		info, err := src.Info(ctx)
		if err != nil || info.Name == "" {
			t.Fatalf("info: %+v, %v", info, err)
		}
	})
	t.Run("refs", func(t *testing.T) {
		for _, b := range chain.Blocks {
			want := eth.HeaderRef(b.Header())
			got, err := src.BlockRefByNumber(ctx, b.NumberU64())
			if err != nil || got != want {
				t.Fatalf("by number %d: got %+v, %v; want %+v", b.NumberU64(), got, err, want)
			}
			got, err = src.BlockRefByHash(ctx, b.Hash())
			if err != nil || got != want {
				t.Fatalf("by hash %s: got %+v, %v; want %+v", b.Hash(), got, err, want)
			}
		}
		head, err := src.BlockRefByLabel(ctx, eth.Unsafe)
		if err != nil || head.Hash != chain.Head().Hash() {
			t.Fatalf("head: got %+v, %v; want %s", head, err, chain.Head().Hash())
		}
		for _, l := range []eth.BlockLabel{eth.Safe, eth.Finalized} {
			ref, err := src.BlockRefByLabel(ctx, l)
			if err != nil {
				t.Fatalf("%v: %v", l, err)
			}
			if ref.Number > head.Number {
				t.Fatalf("%v %d is above the head %d", l, ref.Number, head.Number)
			}
		}
	})
	t.Run("not-found", func(t *testing.T) {
		if _, err := src.BlockRefByNumber(ctx, chain.Head().NumberU64()+1000); !errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("unknown number: want eth.ErrNotFound, got %v", err)
		}
		if _, err := src.BlockRefByHash(ctx, common.HexToHash("0xdead")); !errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("unknown hash: want eth.ErrNotFound, got %v", err)
		}
		if _, err := src.BlockData(ctx, l1source.BlockDataRequest{Number: chain.Head().NumberU64() + 1000}); !errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("unknown block data: want eth.ErrNotFound, got %v", err)
		}
	})
	t.Run("block-data", func(t *testing.T) {
		for i, b := range chain.Blocks {
			req := l1source.BlockDataRequest{Number: b.NumberU64(), BatchInbox: chain.Inbox, LogAddresses: []common.Address{chain.Watched}}
			if i%2 == 0 {
				h := b.Hash()
				req.Hash = &h
			}
			got, err := src.BlockData(ctx, req)
			if err != nil {
				t.Fatalf("block %d: %v", i, err)
			}
			want, err := FilterBlockData(b, chain.Receipts[i], req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Header.Hash() != b.Hash() {
				t.Fatalf("block %d: header hash %s, want %s", i, got.Header.Hash(), b.Hash())
			}
			if len(got.BatcherTxs) != len(want.BatcherTxs) {
				t.Fatalf("block %d: %d batcher txs, want %d", i, len(got.BatcherTxs), len(want.BatcherTxs))
			}
			for j := range want.BatcherTxs {
				if got.BatcherTxs[j].Index != want.BatcherTxs[j].Index || string(got.BatcherTxs[j].Raw) != string(want.BatcherTxs[j].Raw) {
					t.Fatalf("block %d: batcher tx %d differs", i, j)
				}
			}
			if len(got.Receipts) != len(want.Receipts) {
				t.Fatalf("block %d: %d receipts, want %d", i, len(got.Receipts), len(want.Receipts))
			}
			for j, r := range want.Receipts {
				g := got.Receipts[j]
				if g.TxIndex != r.TxIndex || g.Status != r.Status || len(g.Logs) != len(r.Logs) {
					t.Fatalf("block %d: receipt %d: got %+v, want %+v", i, j, g, r)
				}
				for k, l := range r.Logs {
					gl := g.Logs[k]
					if gl.Address != l.Address || gl.Index != l.Index || string(gl.Data) != string(l.Data) || len(gl.Topics) != len(l.Topics) {
						t.Fatalf("block %d: receipt %d log %d: got %+v, want %+v", i, j, k, gl, l)
					}
				}
			}
		}
	})
	t.Run("storage", func(t *testing.T) {
		head := chain.Head().Hash()
		read := func(account common.Address, slot common.Hash, block common.Hash) (common.Hash, error) {
			v, err := l1source.StorageAt(ctx, src, account, slot, block)
			if errors.Is(err, l1source.ErrStorageUnsupported) {
				t.Skipf("the source does not read storage: %v", err)
			}
			return v, err
		}
		var some common.Address
		for account, slots := range chain.Storage {
			some = account
			for slot, want := range slots {
				if got, err := read(account, slot, head); err != nil || got != want {
					t.Fatalf("account %s slot %s: got %s, %v; want %s", account, slot, got, err, want)
				}
			}
		}
		unset := common.HexToHash("0x5d5d5d5d")
		if got, err := read(some, unset, head); err != nil || got != (common.Hash{}) {
			t.Fatalf("unset slot of %s: got %s, %v; want zero", some, got, err)
		}
		nobody := common.HexToAddress("0x00000000000000000000000000000000000dead1")
		if got, err := read(nobody, unset, head); err != nil || got != (common.Hash{}) {
			t.Fatalf("slot of an account that does not exist: got %s, %v; want zero", got, err)
		}
		if _, err := read(some, unset, common.HexToHash("0xdead")); !errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("unknown block: want eth.ErrNotFound, got %v", err)
		}
	})
	t.Run("watch-heads", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		heads := make(chan l1source.HeadUpdate, 16)
		done := make(chan error, 1)
		go func() {
			done <- src.WatchHeads(ctx, func(u l1source.HeadUpdate) {
				select {
				case heads <- u:
				default:
				}
			})
		}()
		select {
		case u := <-heads:
			if u.Ref.Number > chain.Head().NumberU64() {
				t.Fatalf("head update above the chain: %+v", u)
			}
		case err := <-done:
			t.Fatalf("WatchHeads returned before any update: %v", err)
		case <-ctx.Done():
			t.Fatal("no head update within 10s")
		}
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("WatchHeads after cancel: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WatchHeads did not return after its context was cancelled")
		}
	})
}
