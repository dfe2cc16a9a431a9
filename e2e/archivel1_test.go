package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opalnode/opal/internal/vectors"
)

// buildExample builds an example plugin as an outside author would (its
// own module, no workspace) and returns its path and sha256.
func buildExample(t *testing.T, name string) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join("..", "examples", name)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build examples/%s: %v\n%s", name, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return out, hex.EncodeToString(h[:])
}

// The refchain's L1, recorded into an archive, is all a verifier needs: with
// examples/archivel1 as its L1 source (a plugin process an outside author
// could have written, loaded by path and sha256) and no L1 node running,
// `opal run` derives the 600 reference blocks hash for hash. An archive
// damaged on purpose is refused at start with an error naming the plugin
// and the offset; the node's heads are kept, and with the archive repaired
// it starts again where it was.
func TestArchiveL1SourceSyncsRefchain(t *testing.T) {
	dir := filepath.Join(vectors.Dir(t), "refchain")
	want := expectedBlocks(t, dir)
	bin := buildOpal(t)
	plugin, sum := buildExample(t, "archivel1")
	work := t.TempDir()
	archive := filepath.Join(work, "refchain.l1a")
	rollupJSON := filepath.Join(dir, "rollup.json")
	l1Genesis := filepath.Join(dir, "l1-genesis.json")

	l1 := startGeth(t, readGenesis(t, l1Genesis), false)
	l1.importChain(t, filepath.Join(dir, "l1-chain.rlp.gz"))
	head := l1.eth.BlockChain().CurrentBlock().Number.Uint64()
	if out, err := exec.Command(bin, "archive", "record", "--l1", l1.http, "--rollup.config", rollupJSON,
		"--to", fmt.Sprint(head), archive).CombinedOutput(); err != nil {
		t.Fatalf("opal archive record: %v\n%s", err, out)
	}
	// From here on there is no L1 node.
	if err := l1.stack.Close(); err != nil {
		t.Fatal(err)
	}

	l2 := startGeth(t, readGenesis(t, filepath.Join(dir, "l2-genesis.json")), true)
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	conf := filepath.Join(work, "opal.toml")
	toml := fmt.Sprintf(`data_dir = %q

[rollup]
config = %q
l1_chain_config = %q

[l2]
engine = %q
jwt_secret = %q

[rpc]
port = %d

[p2p]
disable = true

[plugins.l1source]
path = %q
sha256 = %q

[plugins.l1source.config]
archive = %q
`, filepath.Join(work, "data"), rollupJSON, l1Genesis, l2.auth, l2.jwtFile, port, plugin, sum, archive)
	if err := os.WriteFile(conf, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	safe := func() uint64 {
		st, err := syncStatus(url)
		if err != nil {
			return 0
		}
		return st["safe_l2"].Number
	}

	start := time.Now()
	cmd := exec.Command(bin, "run", "--config", conf)
	startProcess(t, cmd)
	waitUntil(t, 3*time.Minute, "safe head 600", func() bool { return safe() >= 600 })
	t.Logf("safe head 600 from the archive in %v", time.Since(start).Round(time.Millisecond))
	for n := uint64(1); n <= 600; n++ {
		h := l2.eth.BlockChain().GetHeaderByNumber(n)
		if h == nil || h.Hash() != want[n].Hash {
			t.Fatalf("L2 block %d: %v, reference %s", n, h, want[n].Hash)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("opal run after an interrupt: %v", err)
	}

	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"truncated": good[:len(good)/2],
		"corrupted": func() []byte { b := bytes.Clone(good); b[len(b)/3] ^= 0x01; return b }(),
	} {
		if err := os.WriteFile(archive, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "run", "--config", conf).CombinedOutput()
		if err == nil {
			t.Fatalf("%s archive: opal run exited cleanly:\n%s", name, out)
		}
		text := string(out)
		if !strings.Contains(text, "plugins.l1source") || !strings.Contains(text, "corrupt L1 archive") || !strings.Contains(text, "offset") {
			t.Fatalf("%s archive: the error does not name the plugin, the corruption and where:\n%s", name, text)
		}
		if strings.Contains(text, "panic:") || strings.Contains(text, "goroutine ") {
			t.Fatalf("%s archive: opal crashed:\n%s", name, text)
		}
		t.Logf("%s archive: %s", name, lastLine(text))
	}

	// The heads were kept: repaired, the node starts at safe head 600.
	if err := os.WriteFile(archive, good, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, "run", "--config", conf)
	startProcess(t, cmd)
	waitUntil(t, 30*time.Second, "the RPC", func() bool { _, err := syncStatus(url); return err == nil })
	if got := safe(); got < 600 {
		t.Fatalf("restarted at safe head %d, want the 600 it had", got)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
