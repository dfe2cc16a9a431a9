package heads

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
)

func ref(n uint64) eth.L2BlockRef {
	return eth.L2BlockRef{Hash: common.BigToHash(new(bigInt).SetUint64(n + 1)), Number: n}
}

func at(u, ps, s, f uint64) Heads {
	return Heads{Unsafe: ref(u), CrossUnsafe: ref(u), PendingSafe: ref(ps), LocalSafe: ref(s), Safe: ref(s), Finalized: ref(f)}
}

func TestInvariants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		op   func(s *State) error
		ok   bool
	}{
		{"unsafe-forward", func(s *State) error { return s.SetUnsafe(ref(11), "test") }, true},
		{"unsafe-below-pending-safe", func(s *State) error { return s.SetUnsafe(ref(7), "test") }, false},
		{"pending-safe-above-unsafe", func(s *State) error { return s.SetPendingSafe(ref(11), "test") }, false},
		{"promote-safe", func(s *State) error { return s.PromoteSafe(ref(9), "test") }, true},
		{"promote-safe-above-unsafe", func(s *State) error { return s.PromoteSafe(ref(12), "test") }, false},
		{"finalized-forward", func(s *State) error { return s.SetFinalized(ref(6), "test") }, true},
		{"finalized-above-safe", func(s *State) error { return s.SetFinalized(ref(7), "test") }, false},
		{"finalized-backwards", func(s *State) error { return s.SetFinalized(ref(4), "test") }, false},
		{"reset-finalized-backwards", func(s *State) error { return s.Reset(at(3, 3, 3, 3), "test") }, false},
		{"reset-valid", func(s *State) error { return s.Reset(at(20, 20, 19, 5), "test") }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := New(at(10, 8, 6, 5), nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			before := s.Get()
			err = tc.op(s)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok {
				if !errors.Is(err, ErrInvariant) {
					t.Fatalf("want ErrInvariant, got %v", err)
				}
				if s.Get() != before {
					t.Fatal("a refused change altered the heads")
				}
			}
		})
	}
}

func TestCountsAndPersists(t *testing.T) {
	t.Parallel()
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts := map[string]int{}
	s, err := New(at(1, 1, 1, 0), st, nil, func(head, reason string) { counts[head+"/"+reason]++ })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetUnsafe(ref(2), "gossip"); err != nil {
		t.Fatal(err)
	}
	if err := s.PromoteSafe(ref(2), "derived"); err != nil {
		t.Fatal(err)
	}
	if counts["unsafe/gossip"] != 1 || counts["safe/derived"] != 1 || counts["local_safe/derived"] != 1 {
		t.Fatalf("counts: %v", counts)
	}
	got, ok, err := st.LoadHeads()
	if err != nil || !ok || got != s.Get() {
		t.Fatalf("stored %+v, %v, %v; want %+v", got, ok, err, s.Get())
	}
}

func TestSafeDB(t *testing.T) {
	t.Parallel()
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SafeHeadAt(5); !errors.Is(err, eth.ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	for _, n := range []uint64{10, 12, 15, 16, 17, 18} {
		if err := st.RecordSafeHead(eth.BlockID{Number: n}, eth.BlockID{Number: n * 10}); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[uint64]uint64{10: 100, 11: 100, 12: 120, 14: 120, 15: 150, 99: 180} {
		e, err := st.SafeHeadAt(q)
		if err != nil || e.SafeL2.Number != want {
			t.Fatalf("at %d: %+v, %v; want %d", q, e, err, want)
		}
	}
	if _, err := st.SafeHeadAt(9); !errors.Is(err, eth.ErrNotFound) {
		t.Fatalf("below the first entry: %v", err)
	}
	if err := st.TruncateSafeHeads(11); err != nil {
		t.Fatal(err)
	}
	if e, _ := st.SafeHeadAt(99); e.SafeL2.Number != 100 {
		t.Fatalf("after truncate: %+v", e)
	}
}

// FirstSafeAtLeast finds the lowest L1 block whose safe head reaches an L2
// block, over gaps in the L1 keys and equal safe heads.
func TestFirstSafeAtLeast(t *testing.T) {
	t.Parallel()
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.FirstSafeAtLeast(1); !errors.Is(err, eth.ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	// L1 -> safe L2: 3->5, 7->5, 8->9, 20->9, 21->14, 40->30, 41->31
	entries := [][2]uint64{{3, 5}, {7, 5}, {8, 9}, {20, 9}, {21, 14}, {40, 30}, {41, 31}}
	for _, e := range entries {
		if err := st.RecordSafeHead(eth.BlockID{Number: e[0]}, eth.BlockID{Number: e[1]}); err != nil {
			t.Fatal(err)
		}
	}
	for l2, wantL1 := range map[uint64]uint64{0: 3, 5: 3, 6: 8, 9: 8, 10: 21, 14: 21, 15: 40, 30: 40, 31: 41} {
		e, err := st.FirstSafeAtLeast(l2)
		if err != nil || e.L1.Number != wantL1 {
			t.Errorf("L2 %d: %+v, %v; want L1 %d", l2, e, err, wantL1)
		}
	}
	if _, err := st.FirstSafeAtLeast(32); !errors.Is(err, eth.ErrNotFound) {
		t.Fatalf("past the last safe head: %v", err)
	}
}

const crashEnv = "OPAL_HEADS_CRASH_DIR"

// TestMain lets the test binary act as a writer that is killed mid-write.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		st, err := Open(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// The node's way of writing: group commit through a Writer.
		w := NewWriter(st)
		s, err := New(at(0, 0, 0, 0), w, nil, nil)
		if err != nil {
			os.Exit(1)
		}
		for n := uint64(1); ; n++ {
			if err := s.Reset(at(n, n, n-n/3, n/2), "crash test "+strconv.FormatUint(n, 10)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			_ = w.RecordSafeHead(eth.BlockID{Number: n}, eth.BlockID{Number: n - n/3})
			if n == 1 {
				_ = w.Flush()
				fmt.Println("writing") // the test kills only after this
			}
		}
	}
	os.Exit(m.Run())
}

// A writer killed with SIGKILL at arbitrary moments always leaves a store
// that opens and holds heads satisfying the invariants.
func TestKillDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns writers")
	}
	dir := t.TempDir()
	var last uint64
	for round := 0; round < 5; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line := make([]byte, 8)
		if _, err := out.Read(line); err != nil {
			t.Fatalf("round %d: writer never started: %v", round, err)
		}
		time.Sleep(time.Duration(20+round*37) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		st, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		h, ok, err := st.LoadHeads()
		if err != nil || !ok {
			t.Fatalf("round %d: heads after kill: %+v, %v, %v", round, h, ok, err)
		}
		if err := h.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if _, err := New(h, st, nil, nil); err != nil {
			t.Fatalf("round %d: restart from stored heads: %v", round, err)
		}
		last = h.Unsafe.Number
		st.Close()
	}
	if last == 0 {
		t.Fatal("the writer never wrote")
	}
}
