package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
)

// childPlugin finds the process of `opal plugin serve <kind>` started by
// the process parent.
func childPlugin(parent int, kind string) (int, bool) {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ')'.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		dir := filepath.Dir(p)
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		if strings.Contains(string(cmdline), "plugin\x00serve\x00"+kind) {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			return pid, true
		}
	}
	return 0, false
}

// syncBuffer is an io.Writer safe for the process's output goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	t   *testing.T
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.t.Log(strings.TrimSpace(string(p)))
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// With on_failure = "stop", a deriver process killed with SIGKILL makes
// `opal run` exit non-zero within 10 s, naming the plugin and its config
// key, after persisting its heads.
func TestStopPolicyExitsTheNode(t *testing.T) {
	bin := buildOpal(t)
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}})
	dataDir := t.TempDir()
	cmd, _, url := opalRun(t, bin, s, "stop-policy", "--data-dir", dataDir, "--log.level", "info")
	cmd.Env = append(os.Environ(), "OPAL_PLUGINS_DERIVER_MODE=process", "OPAL_PLUGINS_DERIVER_ON_FAILURE=stop")
	out := &syncBuffer{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	waitUntil(t, 60*time.Second, "a derived safe head", func() bool {
		st, err := syncStatus(url)
		return err == nil && st["safe_l2"].Number >= 2
	})
	pid, ok := childPlugin(cmd.Process.Pid, "deriver")
	if !ok {
		t.Fatal("no deriver plugin process found")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	select {
	case <-exited:
		err := waitErr
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Fatalf("opal exited with %v, want a non-zero exit", err)
		}
		t.Logf("opal exited %v after the kill with %v", time.Since(killed).Round(time.Millisecond), err)
	case <-time.After(10 * time.Second):
		t.Fatal("opal still running 10 s after its stop-policy deriver was killed")
	}
	if msg := out.String(); !strings.Contains(msg, "plugin deriver") || !strings.Contains(msg, "plugins.deriver.on_failure") {
		t.Fatalf("the exit does not name the plugin and its key:\n%s", msg)
	}
	// The heads it had were persisted.
	st, err := heads.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, ok, err := st.LoadHeads()
	if err != nil || !ok || h.Safe.Number < 2 {
		t.Fatalf("stored heads after the exit: %+v %v %v", h, ok, err)
	}
}
