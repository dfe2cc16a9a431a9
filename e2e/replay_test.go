package e2e

import (
	"bufio"
	"bytes"
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
}
