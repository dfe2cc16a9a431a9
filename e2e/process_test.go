package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/l2"
	"github.com/opalnode/opal/devnet/stack"
)

func buildOpal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "opal")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/node")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build opal: %v\n%s", err, out)
	}
	return bin
}

// startProcess starts cmd with its output in the test log, and at cleanup
// interrupts it, killing it if it has not exited within 10 s.
func startProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	startProcessTo(t, cmd, testWriter{t})
}

// startProcessTo is startProcess with the output written to out.
func startProcessTo(t *testing.T, cmd *exec.Cmd, out io.Writer) {
	t.Helper()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
}

// opalRun prepares an `opal run` verifier process against the devnet, with
// an op-geth engine of its own: the L1, beacon, engine and chain flags an
// operator gives, the RPC on a free loopback port, then extra. It returns
// the command, the engine and the RPC URL.
func opalRun(t *testing.T, bin string, s *stack.Stack, name string, extra ...string) (*exec.Cmd, *l2.Engine, string) {
	t.Helper()
	eng, err := s.Chain.NewVerifierEngine(name)
	if err != nil {
		t.Fatal(err)
	}
	ep := s.Chain.Endpoints()
	port := freePort(t)
	args := append([]string{"run",
		"--l1", ep.L1WS, "--l1.beacon", ep.L1Beacon,
		"--l2", eng.EngineEndpoint(), "--l2.jwt-secret", eng.JWTSecretPath(),
		"--rollup.config", s.Chain.File(chain.RollupFile), "--rollup.l1-chain-config", s.Chain.File(chain.L1GenesisFile),
		"--rpc.port", fmt.Sprint(port)}, extra...)
	if !slices.ContainsFunc(extra, func(a string) bool { return strings.HasPrefix(a, "--p2p.") }) {
		// Without p2p flags a verifier derives from L1 only (op-node's
		// default would listen on 9222 and dial the public bootnodes).
		args = append(args, "--p2p.disable")
	}
	return exec.Command(bin, args...), eng, fmt.Sprintf("http://127.0.0.1:%d", port)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type l2Ref struct {
	Hash   common.Hash `json:"hash"`
	Number uint64      `json:"number"`
}

func syncStatus(url string) (map[string]l2Ref, error) {
	body := `{"jsonrpc":"2.0","id":1,"method":"optimism_syncStatus","params":[]}`
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Result map[string]l2Ref `json:"result"`
	}
	return out.Result, json.NewDecoder(resp.Body).Decode(&out)
}

// A verifier started as an operator would start it — its own `opal run`
// process with op-node-style flags and its own op-geth — with every default
// plugin out of process, reaches the sequencer's safe chain hash by hash.
func TestVerifierProcessWithProcessPlugins(t *testing.T) {
	bin := buildOpal(t)
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}})
	cmd, eng, url := opalRun(t, bin, s, "process-verifier", "--data-dir", t.TempDir(), "--log.level", "warn")
	cmd.Env = append(os.Environ(),
		"OPAL_PLUGINS_L1SOURCE_MODE=process", "OPAL_PLUGINS_DERIVER_MODE=process", "OPAL_PLUGINS_ENGINE_MODE=process")
	startProcess(t, cmd)
	var safe l2Ref
	waitUntil(t, 60*time.Second, "process verifier safe head 6", func() bool {
		st, err := syncStatus(url)
		if err != nil {
			return false
		}
		safe = st["safe_l2"]
		return safe.Number >= 6
	})
	seqL2, err := ethclient.Dial(s.Chain.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer seqL2.Close()
	want, err := seqL2.HeaderByNumber(context.Background(), bigU(safe.Number))
	if err != nil {
		t.Fatal(err)
	}
	if want.Hash() != safe.Hash {
		t.Fatalf("verifier safe head %d is %s, sequencer has %s", safe.Number, safe.Hash, want.Hash())
	}
	verL2, err := ethclient.Dial(eng.HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer verL2.Close()
	for num := uint64(1); num <= safe.Number; num++ {
		a, err1 := seqL2.HeaderByNumber(context.Background(), bigU(num))
		b, err2 := verL2.HeaderByNumber(context.Background(), bigU(num))
		if err1 != nil || err2 != nil || a.Hash() != b.Hash() {
			t.Fatalf("L2 block %d differs: %v %v", num, err1, err2)
		}
	}
}
