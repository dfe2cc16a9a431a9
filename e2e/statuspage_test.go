package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
)

// chromium finds Debian's chromium (or another build of it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on this machine (Debian: apt install chromium): the status page is not checked in a browser")
	return ""
}

var unsafeCell = regexp.MustCompile(`<tr><td>unsafe</td><td class="num">(\d+)</td>`)

// The devnet sequencer's status page, opened in headless Chromium, shows
// its heads, and they move: the page's script polls the node and redraws.
// A screenshot is kept ($OPAL_ARTIFACTS, default e2e/artifacts).
func TestStatusPageInChromium(t *testing.T) {
	browser := chromium(t)
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}, MetricsPort: freePort(t)})
	url := "http://" + s.Sequencer.MetricsAddr() + "/"
	profile := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
			"--user-data-dir=" + profile, "--virtual-time-budget=4000"}
		out, err := exec.CommandContext(ctx, browser, append(append(base, args...), url)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}
	shown := func() uint64 {
		t.Helper()
		dom := run("--dump-dom")
		m := unsafeCell.FindSubmatch(dom)
		if m == nil {
			t.Fatalf("the page shows no unsafe head:\n%.3000s", dom)
		}
		n, _ := strconv.ParseUint(string(m[1]), 10, 64)
		return n
	}
	waitUntil(t, 30*time.Second, "unsafe head 2", func() bool { return s.Sequencer.Heads().Unsafe.Number >= 2 })
	first := shown()
	waitUntil(t, 30*time.Second, "the sequencer to move on", func() bool { return s.Sequencer.Heads().Unsafe.Number >= first+3 })
	second := shown()
	if second <= first {
		t.Fatalf("the page showed unsafe head %d, then %d: it does not move", first, second)
	}
	t.Logf("the page showed unsafe head %d, then %d", first, second)

	dir := os.Getenv("OPAL_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := filepath.Abs(filepath.Join(dir, "statuspage.png"))
	if err != nil {
		t.Fatal(err)
	}
	run("--window-size=1400,1000", "--screenshot="+shot)
	if st, err := os.Stat(shot); err != nil || st.Size() < 1000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}
