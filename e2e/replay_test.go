package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/l1archive"
)

// opal records the reference chain's L1 from a live node into an archive,
// then replays it with no L1 and no engine: the 600 derived blocks'
// transactions and timestamps are the reference chain's, two replays print
// the same bytes, and the default deriver against itself diverges nowhere.
func TestRecordAndReplayRefchain(t *testing.T) {
	dir := filepath.Join(vectors.Dir(t), "refchain")
	var exp struct {
		Blocks []struct {
			Number    uint64        `json:"number"`
			Timestamp uint64        `json:"timestamp"`
			TxHashes  []common.Hash `json:"txHashes"`
		} `json:"l2Blocks"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	l1 := startGeth(t, readGenesis(t, filepath.Join(dir, "l1-genesis.json")), false)
	l1.importChain(t, filepath.Join(dir, "l1-chain.rlp.gz"))
	head := l1.eth.BlockChain().CurrentBlock().Number.Uint64()
	bin := buildOpal(t)
	rollupJSON := filepath.Join(dir, "rollup.json")
	archive := filepath.Join(t.TempDir(), "refchain.l1a")

	opal := func(args ...string) []byte {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("opal %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		t.Logf("opal %s: %s", args[0], strings.TrimSpace(stderr.String()))
		return stdout.Bytes()
	}
	// The L1 chain config comes from the node (debug_chainConfig) into the
	// archive, so replay needs no flag for it.
	opal("archive", "record", "--l1", l1.http, "--rollup.config", rollupJSON, "--to", fmt.Sprint(head), archive)
	h, err := l1archive.Verify(archive)
	if err != nil {
		t.Fatal(err)
	}
	// --from defaults to the chain's genesis L1 block.
	if h.To != head || h.From == 0 || h.From > h.To || len(h.L1ChainConfig) == 0 {
		t.Fatalf("archive holds L1 blocks %d..%d (want ..%d), L1 chain config %d bytes", h.From, h.To, head, len(h.L1ChainConfig))
	}

	out := opal("replay", "--archive", archive, "--rollup.config", rollupJSON)
	type line struct {
		L2Block   uint64        `json:"l2_block"`
		Timestamp uint64        `json:"timestamp"`
		TxHashes  []common.Hash `json:"tx_hashes"`
	}
	var got []line
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", len(got)+1, err)
		}
		got = append(got, l)
	}
	if len(got) < 600 {
		t.Fatalf("replay derived %d blocks, want at least 600", len(got))
	}
	bad := 0
	for i, want := range exp.Blocks[:600] {
		g := got[i]
		if g.L2Block != want.Number || g.Timestamp != want.Timestamp || fmt.Sprint(g.TxHashes) != fmt.Sprint(want.TxHashes) {
			if bad++; bad <= 5 {
				t.Errorf("L2 block %d: got block %d at %d with %d txs, reference %d at %d with %d txs",
					want.Number, g.L2Block, g.Timestamp, len(g.TxHashes), want.Number, want.Timestamp, len(want.TxHashes))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of 600 blocks differ from the reference", bad)
	}
	if again := opal("replay", "--archive", archive, "--rollup.config", rollupJSON); !bytes.Equal(again, out) {
		t.Fatal("two replays of the same archive printed different output")
	}

	ab := opal("replay", "--archive", archive, "--rollup.config", rollupJSON, "--deriver", "default", "--deriver", "default")
	lines := strings.Split(strings.TrimSpace(string(ab)), "\n")
	if len(lines) != 2 {
		t.Fatalf("default against itself: want a run line at each end and nothing between, got %d lines:\n%s", len(lines), ab)
	}
	var run struct {
		Compared, Diverged uint64
	}
	if err := json.Unmarshal([]byte(lines[1]), &run); err != nil {
		t.Fatal(err)
	}
	if run.Compared < 600 || run.Diverged != 0 {
		t.Fatalf("default against itself: %d compared, %d diverged", run.Compared, run.Diverged)
	}

	// Against the example variant with a shorter sequencing window W: a
	// batch included more than W L1 blocks after its epoch is dropped, so
	// the chains part at or after the first block the default derived from
	// data that late, never before; with W no shorter than the latest
	// batch, the changed rule never binds and nothing diverges.
	variant, sum := buildVariant(t)
	lateness := map[uint64]uint64{}
	// late[n]: how many L1 blocks after the epoch of block n's parent the
	// data of block n was complete: the shadow is stepped on the primary's
	// parent, so that is the window its batch must make.
	late := map[uint64]uint64{}
	var rc struct {
		Genesis struct {
			L1 struct{ Number uint64 } `json:"l1"`
		} `json:"genesis"`
	}
	if b, err := os.ReadFile(rollupJSON); err != nil || json.Unmarshal(b, &rc) != nil {
		t.Fatalf("rollup.json: %v", err)
	}
	origin := map[uint64]uint64{0: rc.Genesis.L1.Number}
	var maxLate uint64
	sc = bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l struct {
			L2Block     uint64                  `json:"l2_block"`
			L1Origin    struct{ Number uint64 } `json:"l1_origin"`
			DerivedFrom struct{ Number uint64 } `json:"derived_from"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		lateness[l.L2Block] = l.DerivedFrom.Number - l.L1Origin.Number
		origin[l.L2Block] = l.L1Origin.Number
		late[l.L2Block] = l.DerivedFrom.Number - origin[l.L2Block-1]
		maxLate = max(maxLate, late[l.L2Block])
	}
	against := func(window uint64) []uint64 {
		abOut := opal("replay", "--archive", archive, "--rollup.config", rollupJSON, "--deriver", "default",
			"--deriver", variant+"@"+sum, "--deriver.config", "", "--deriver.config", fmt.Sprintf(`{"seq_window_size": %d}`, window))
		var diverged []uint64
		for _, l := range strings.Split(strings.TrimSpace(string(abOut)), "\n") {
			var d struct {
				Kind    string
				L2Block uint64 `json:"l2_block"`
			}
			if err := json.Unmarshal([]byte(l), &d); err != nil {
				t.Fatal(err)
			}
			if d.Kind == "divergence" {
				diverged = append(diverged, d.L2Block)
			}
		}
		return diverged
	}
	if maxLate < 3 {
		t.Fatalf("the reference's batches are at most %d L1 blocks late: no window to test", maxLate)
	}
	// With a window W shorter than the latest batch, batches included more
	// than W L1 blocks after their epoch are dropped and the variant
	// derives other blocks there, never before the first such block. The
	// shadow is stepped on the primary's chain, so a divergence is a block
	// the rule changes on the same parent, not the echo of an earlier one:
	// blocks between divergences agree. With W no shorter than the latest
	// batch the rule never binds.
	window := maxLate - 2
	firstLate := uint64(0)
	for n := uint64(1); n <= 600 && firstLate == 0; n++ {
		if min(lateness[n], late[n]) > window {
			firstLate = n
		}
	}
	diverged := against(window)
	if len(diverged) == 0 || diverged[0] < firstLate {
		t.Fatalf("window %d: first late block %d, divergences from %v", window, firstLate, diverged[:min(len(diverged), 5)])
	}
	if len(diverged) >= 600-int(diverged[0])+1 {
		t.Fatalf("window %d: every block from %d on diverges: the shadow follows its own chain", window, diverged[0])
	}
	t.Logf("window %d: first late block %d, %d divergences from block %d", window, firstLate, len(diverged), diverged[0])
	if d := against(maxLate); len(d) != 0 {
		t.Fatalf("window %d (the latest batch's lateness): %d divergences from block %d", maxLate, len(d), d[0])
	}
}

// buildVariant builds examples/variantderiver as an outside author would
// (its own module, no workspace) and returns its path and sha256.
func buildVariant(t *testing.T) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "variantderiver")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join("..", "examples", "variantderiver")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the variant: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return out, hex.EncodeToString(h[:])
}
