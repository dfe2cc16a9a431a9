package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/devnet/batcher"
	"github.com/opalnode/opal/devnet/chain"
)

// logBuffer keeps a process's output and passes it to the test log.
type logBuffer struct {
	t  *testing.T
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.b.Write(p)
	l.mu.Unlock()
	return testWriter{l.t}.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLogged is startProcess, keeping the output for the test to read.
func startLogged(t *testing.T, cmd *exec.Cmd) *logBuffer {
	t.Helper()
	out := &logBuffer{t: t}
	startProcessTo(t, cmd, out)
	return out
}

// opNodeNode is one `opal run` started with an op-node command line.
type opNodeNode struct {
	rpc, metrics, safeDB string
	log                  *logBuffer
}

// opNodeArgs is the op-node command line of a node on the chain c with
// the engine at engine (its JWT secret in jwt), as an operator of op-node
// writes it: no beacon (the batcher posts calldata), an http L1 polled
// every second, no p2p, the RPC and metrics on loopback, a safe-head DB.
func opNodeArgs(c *chain.Chain, engine, jwt string, rpcPort, metricsPort int, safeDB string) []string {
	return []string{
		"--l1", c.Endpoints().L1HTTP, "--l1.beacon.ignore", "--l1.rpckind", "standard",
		"--l1.http-poll-interval", "1s", "--l1.epoch-poll-interval", "4s",
		"--l2", engine, "--l2.jwt-secret", jwt, "--l2.enginekind", "geth",
		"--rollup.config", c.File(chain.RollupFile), "--rollup.l1-chain-config", c.File(chain.L1GenesisFile),
		"--sequencer.l1-confs", "0", "--verifier.l1-confs", "0", "--p2p.disable",
		"--rpc.addr", "127.0.0.1", "--rpc.port", fmt.Sprint(rpcPort), "--rpc.enable-admin",
		"--safedb.path", safeDB, "--log.level", "info",
		"--metrics.enabled", "--metrics.addr", "127.0.0.1", "--metrics.port", fmt.Sprint(metricsPort),
	}
}

// startOpNodeCLI runs `opal run` with op-node's command line (and extra
// before it, for --sequencer.enabled).
func startOpNodeCLI(t *testing.T, bin string, c *chain.Chain, engine, jwt string, extra ...string) opNodeNode {
	t.Helper()
	rpcPort, metricsPort := freePort(t), freePort(t)
	n := opNodeNode{
		rpc:     fmt.Sprintf("http://127.0.0.1:%d", rpcPort),
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort),
		safeDB:  filepath.Join(t.TempDir(), "safedb"),
	}
	args := append(append([]string{"run"}, extra...), opNodeArgs(c, engine, jwt, rpcPort, metricsPort, n.safeDB)...)
	n.log = startLogged(t, exec.Command(bin, args...))
	return n
}

// checkNoEffectLogged asserts that the node logged each op-node flag
// without effect in opal exactly once.
func checkNoEffectLogged(t *testing.T, name string, log string, flags ...string) {
	t.Helper()
	for _, f := range flags {
		n := 0
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, "accepted, has no effect in opal: ") && strings.Contains(line, "flag=--"+f) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s logged --%s as without effect %d times, want once", name, f, n)
		}
	}
}

// checkMetrics asserts that the metrics listener op-node's flags asked for
// serves opal's metrics.
func checkMetrics(t *testing.T, name, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("%s metrics: %v", name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "opal_up 1") {
		t.Fatalf("%s metrics at %s: %s, opal_up 1 missing", name, url, resp.Status)
	}
}

// op-node's own command lines start opal unchanged. The devnet's chain
// (L1 and the L2 engine, without its in-process sequencer) is sequenced by
// `opal run --sequencer.enabled <op-node's flags>`; the devnet batcher
// posts those blocks to L1 in calldata; and `opal run <the same flags>`
// on an engine of its own, without a beacon, derives them: its safe head
// is the sequencer's chain, block hash by block hash. Both nodes log the
// flags without effect once, serve their metrics where the flags say and
// keep their state in the --safedb.path directory.
func TestOpNodeCommandLinesSequenceAndVerify(t *testing.T) {
	bin := buildOpal(t)
	c, err := chain.New(context.Background(), chain.Config{L1BlockTime: 1, L2BlockTime: 1,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ep := c.Endpoints()

	seq := startOpNodeCLI(t, bin, c, ep.L2Engine, ep.L2JWTSecret, "--sequencer.enabled")
	waitUntil(t, 60*time.Second, "the sequencer's unsafe head 3", func() bool {
		st, err := syncStatus(seq.rpc)
		return err == nil && st["unsafe_l2"].Number >= 3
	})

	bc := batcher.DefaultConfig()
	bc.Rollup, bc.L1RPC, bc.L2RPC, bc.Key = c.Rollup, ep.L1HTTP, ep.L2HTTP, c.Keys.Batcher
	bc.L1ChainConfig = c.L1.ChainConfig()
	bc.UseBlobs = false // no beacon: the nodes run with --l1.beacon.ignore
	bc.Logger = hclog.New(&hclog.LoggerOptions{Name: "batcher", Level: hclog.Warn, Output: testWriter{t}})
	b, err := batcher.New(bc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	batcherDone := make(chan struct{})
	go func() {
		defer close(batcherDone)
		if err := b.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("batcher stopped: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-batcherDone; b.Close() })

	eng, err := c.NewVerifierEngine("opnode-verifier")
	if err != nil {
		t.Fatal(err)
	}
	ver := startOpNodeCLI(t, bin, c, eng.EngineEndpoint(), eng.JWTSecretPath())

	var safe l2Ref
	waitUntil(t, 90*time.Second, "the verifier's safe head 6", func() bool {
		st, err := syncStatus(ver.rpc)
		if err != nil {
			return false
		}
		safe = st["safe_l2"]
		return safe.Number >= 6
	}, func() string {
		st, _ := syncStatus(seq.rpc)
		return fmt.Sprintf("sequencer heads %v, batcher %+v", st, b.Stats())
	})
	seqL2, err := ethclient.Dial(ep.L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer seqL2.Close()
	verL2, err := ethclient.Dial(eng.HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer verL2.Close()
	for num := uint64(1); num <= safe.Number; num++ {
		want, err1 := seqL2.HeaderByNumber(context.Background(), bigU(num))
		got, err2 := verL2.HeaderByNumber(context.Background(), bigU(num))
		if err1 != nil || err2 != nil || want.Hash() != got.Hash() {
			t.Fatalf("L2 block %d differs between the sequencer and the verifier: %v %v", num, err1, err2)
		}
	}
	if want, err := seqL2.HeaderByNumber(context.Background(), bigU(safe.Number)); err != nil || want.Hash() != safe.Hash {
		t.Fatalf("verifier safe head %d is %s, the sequencer's chain has %v (%v)", safe.Number, safe.Hash, want, err)
	}
	t.Logf("verifier safe head %d is the sequencer's block", safe.Number)

	for name, n := range map[string]opNodeNode{"sequencer": seq, "verifier": ver} {
		checkNoEffectLogged(t, name, n.log.String(), "l1.beacon.ignore", "l1.epoch-poll-interval", "l2.enginekind")
		checkMetrics(t, name, n.metrics)
		if _, err := os.Stat(filepath.Join(n.safeDB, "opal.db")); err != nil {
			t.Errorf("%s keeps no state in --safedb.path: %v", name, err)
		}
	}
}
