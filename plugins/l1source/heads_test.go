package l1source

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// watch runs WatchHeads until the test ends and returns its updates.
func watch(t *testing.T, src *Source) <-chan sdkl1.HeadUpdate {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	updates := make(chan sdkl1.HeadUpdate, 256)
	done := make(chan error, 1)
	// The callback never blocks: a test that stops reading must not hold up
	// the source (and through it the L1 client).
	go func() {
		done <- src.WatchHeads(ctx, func(u sdkl1.HeadUpdate) {
			select {
			case updates <- u:
			default:
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("WatchHeads: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("WatchHeads did not return after cancel")
		}
	})
	return updates
}

// waitHead waits for an unsafe update to the given hash.
func waitHead(t *testing.T, updates <-chan sdkl1.HeadUpdate, want eth.L1BlockRef) map[eth.BlockLabel]bool {
	t.Helper()
	seen := map[eth.BlockLabel]bool{}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case u := <-updates:
			seen[u.Label] = true
			if u.Label == eth.Unsafe && u.Ref == want {
				return seen
			}
		case <-deadline:
			t.Fatalf("no head update to %s within 10s", want)
		}
	}
}

// newHead reports whether an unsafe update to want arrives within d.
func newHead(updates <-chan sdkl1.HeadUpdate, want eth.L1BlockRef, d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case u := <-updates:
			if u.Label == eth.Unsafe && u.Ref == want {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func TestWatchHeads(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(*testL1) string
		poll string
	}{
		// Over HTTP the head is polled; over websocket it arrives by
		// subscription, so the poll interval is long on purpose.
		{"http", func(l *testL1) string { return l.HTTP }, "100ms"},
		{"websocket", func(l *testL1) string { return l.WS }, "30s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l1 := startL1(t, 2, 1)
			src := configured(t, map[string]any{"rpc": tc.url(l1), "poll_interval": tc.poll})
			updates := watch(t, src)
			seen := waitHead(t, updates, eth.HeaderRef(l1.head().Header()))
			for _, l := range []eth.BlockLabel{eth.Unsafe, eth.Safe, eth.Finalized} {
				if !seen[l] && l != eth.Unsafe {
					// safe and finalized come with the first poll
					select {
					case u := <-updates:
						seen[u.Label] = true
					case <-time.After(5 * time.Second):
					}
				}
			}
			if !seen[eth.Safe] || !seen[eth.Finalized] {
				t.Fatalf("initial updates %v lack safe or finalized", seen)
			}
			// The subscription may start after the first head was read:
			// mine until a new head arrives (the watcher may skip the
			// blocks mined before it was subscribed), then every block
			// must.
			for deadline := time.Now().Add(20 * time.Second); ; {
				if err := l1.mine(1, 1); err != nil {
					t.Fatal(err)
				}
				if newHead(updates, eth.HeaderRef(l1.head().Header()), time.Second) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no head update for newly mined blocks within 20s")
				}
			}
			for i := 0; i < 3; i++ {
				if err := l1.mine(1, 1); err != nil {
					t.Fatal(err)
				}
				waitHead(t, updates, eth.HeaderRef(l1.head().Header()))
			}
		})
	}
}

// An L1 reorg: blocks served by number before it are not served after the
// new head is seen.
func TestReorgInvalidatesNumbers(t *testing.T) {
	l1 := startL1(t, 6, 1)
	src := configured(t, map[string]any{"rpc": l1.HTTP})
	ctx := context.Background()
	old5, err := src.BlockData(ctx, request(5))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.BlockRefByLabel(ctx, eth.Unsafe); err != nil {
		t.Fatal(err)
	}
	parent := l1.backend.BlockChain().GetBlockByNumber(4)
	if err := l1.beacon.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	l1.beacon.Commit()
	l1.beacon.Commit()
	l1.beacon.Commit()
	if l1.head().NumberU64() != 7 {
		t.Fatalf("head after the reorg is %d, want 7", l1.head().NumberU64())
	}
	head, err := src.BlockRefByLabel(ctx, eth.Unsafe)
	if err != nil || head.Hash != l1.head().Hash() {
		t.Fatalf("new head %v, %v", head, err)
	}
	new5, err := src.BlockData(ctx, request(5))
	if err != nil {
		t.Fatal(err)
	}
	if new5.Header.Hash() == old5.Header.Hash() || new5.Header.Hash() != l1.backend.BlockChain().GetBlockByNumber(5).Hash() {
		t.Fatal("block 5 of the old chain was served after the reorg")
	}
	// The old block stays available by hash (it is content-addressed).
	h := old5.Header.Hash()
	if d, err := src.BlockData(ctx, sdkl1.BlockDataRequest{Hash: &h}); err != nil || d.Header.Hash() != h {
		t.Fatalf("old block by hash: %v", err)
	}
}

func TestWatchHeadsNotConfigured(t *testing.T) {
	err := New().WatchHeads(context.Background(), func(sdkl1.HeadUpdate) {})
	if !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("want eth.ErrInvalidArgument, got %v", err)
	}
}

// Reconfiguring ends a running watch (temporarily, so the caller watches
// again on the new configuration), and calls after Close fail cleanly.
func TestReconfigureEndsWatch(t *testing.T) {
	l1 := shared(t)
	src := configured(t, map[string]any{"rpc": l1.HTTP, "poll_interval": "50ms"})
	done := make(chan error, 1)
	first := make(chan struct{}, 1)
	go func() {
		done <- src.WatchHeads(context.Background(), func(sdkl1.HeadUpdate) {
			select {
			case first <- struct{}{}:
			default:
			}
		})
	}()
	<-first
	cfg, _ := json.Marshal(map[string]any{"rpc": l1.WS})
	if err := src.Configure(context.Background(), base.ConfigureRequest{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, eth.ErrTemporary) {
			t.Fatalf("watch after reconfigure: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch kept running on the replaced configuration")
	}
	if _, err := src.BlockRefByNumber(context.Background(), 1); err != nil {
		t.Fatalf("new configuration: %v", err)
	}
	_ = src.Close()
	if _, err := src.BlockRefByNumber(context.Background(), 1); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("after close: %v", err)
	}
}
