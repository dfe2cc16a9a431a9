package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/core/ab"
	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/node"
	"github.com/opalnode/opal/core/rpc"
	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
	"github.com/opalnode/opal/sdk"
)

func abStatus(t *testing.T, v *node.Node) ab.Status {
	t.Helper()
	st, ok := v.ABStatus()
	if !ok {
		t.Fatal("A/B is off")
	}
	return st
}

// A verifier with a shadow deriver (the default deriver again, as a plugin
// process) compares every block it derives and finds no divergence. The
// shadow is killed: the verifier's heads keep moving, the shadow restarts,
// is resynced at the safe head and compares again.
func TestShadowDeriverOnDevnet(t *testing.T) {
	bin := buildOpal(t)
	s := startStack(t, stack.Options{
		Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1},
		SelfCommand: func(kind sdk.Kind, name string) (*exec.Cmd, error) {
			return exec.Command(bin, "plugin", "serve", string(kind), "--name", name), nil
		},
	})
	dir := t.TempDir()
	v, err := s.StartVerifier(context.Background(), "verifier", func(c *config.Config) {
		c.DataDir = dir
		c.AB.Deriver = config.Plugin{Builtin: "default", Mode: "process"}
	})
	if err != nil {
		t.Fatal(err)
	}
	// OPAL_AB_BLOCKS=500 runs it as the 500-block check (about 9 minutes).
	blocks := uint64(12)
	if n, err := strconv.ParseUint(os.Getenv("OPAL_AB_BLOCKS"), 10, 64); err == nil && n > 0 {
		blocks = n
	}
	waitUntil(t, time.Duration(blocks)*2*time.Second+60*time.Second, fmt.Sprintf("%d blocks compared", blocks), func() bool {
		return abStatus(t, v).Compared >= blocks
	})

	cl, err := gethrpc.Dial("http://" + v.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var st rpc.ABStatus
	if err := cl.Call(&st, "opal_abStatus"); err != nil {
		t.Fatal(err)
	}
	if !st.Enabled || st.Diverged != 0 || st.Compared < blocks || st.State != "following" || st.Shadow == "" || st.Primary != st.Shadow {
		t.Fatalf("opal_abStatus: %+v", st)
	}

	inst := v.ShadowPlugin()
	if !inst.Kill() {
		t.Fatal("the shadow deriver is not a process")
	}
	killedAt, compared := v.Heads().Safe.Number, abStatus(t, v).Compared
	waitUntil(t, 30*time.Second, "the shadow restarted", func() bool { return inst.Status().Restarts == 1 && inst.Status().Up })
	waitUntil(t, 60*time.Second, "the primary to go on", func() bool { return v.Heads().Safe.Number >= killedAt+5 })
	waitUntil(t, 60*time.Second, "the shadow to compare again", func() bool {
		st := abStatus(t, v)
		return st.Resyncs >= 1 && st.State == "following" && st.Compared >= compared+5
	})
	final := abStatus(t, v)
	if final.Diverged != 0 {
		t.Fatalf("the default deriver diverged from itself: %+v", final)
	}
	var divs []ab.Divergence
	if err := cl.Call(&divs, "opal_abDivergences", "0x0"); err != nil || len(divs) != 0 {
		t.Fatalf("opal_abDivergences: %v %+v", err, divs)
	}
	sameChain(t, s, v, v.Heads().Safe.Number)

	// The report names the run; the store is in the data dir.
	b, err := os.ReadFile(filepath.Join(dir, "ab-report.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ab.ReadReport(bytes.NewReader(b))
	if err != nil || len(r.Runs) == 0 || r.Runs[0].Shadow != final.Shadow {
		t.Fatalf("report %q: %v", b, err)
	}
}

// The example variant (a shorter sequencing window) as the shadow of a
// devnet verifier: it diverges where the window binds, and the blocks it
// diverges at are exactly those an offline replay of the devnet's own L1
// (recorded with opal archive record) finds for the same two derivers.
// The live run reads real L1 and real engine blocks, the replay an archive
// and stand-in hashes: agreeing block for block, they show the shadow is
// given the primary's inputs and compared on the primary's chain.
func TestShadowVariantOnDevnet(t *testing.T) {
	bin := buildOpal(t)
	variant, sum := buildVariant(t)
	const window = 4
	// The batcher starts only once L1 is well past the window: the first
	// batches land more than window L1 blocks after their epochs, so the
	// window binds for the variant on every run, however fast the batcher
	// posts afterwards (the primary's window is the devnet's 200).
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}, NoBatcher: true})
	v, err := s.StartVerifier(context.Background(), "verifier", func(c *config.Config) {
		c.AB.Deriver = config.Plugin{Path: variant, SHA256: sum, Config: map[string]any{"seq_window_size": window}}
	})
	if err != nil {
		t.Fatal(err)
	}
	// User transactions in the blocks of those epochs: where the variant
	// drops their batches it derives deposits-only blocks, which then
	// differ from the primary's in their transactions.
	for i := 0; i < 3; i++ {
		sendL2Transfer(t, s, s.Chain.Keys.Users[2])
	}
	waitUntil(t, 60*time.Second, "L1 past three sequencing windows of the variant", func() bool { return s.L1Head() >= 3*window+2 })
	if err := s.StartBatcher(s.Chain.Keys.Batcher); err != nil {
		t.Fatal(err)
	}
	var st ab.Status
	waitUntil(t, 180*time.Second, "40 blocks compared and a divergence", func() bool {
		st = abStatus(t, v)
		return st.Compared >= 40 && st.Diverged > 0
	}, func() string { return fmt.Sprintf("A/B status %+v, verifier heads %v", st, v.Heads()) })
	st = abStatus(t, v)
	if st.Resyncs != 0 || st.Diverged == 0 || st.Shadow != "variant 0.1.0" {
		t.Fatalf("status %+v", st)
	}
	var live []uint64
	cl, err := gethrpc.Dial("http://" + v.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var divs []ab.Divergence
	if err := cl.Call(&divs, "opal_abDivergences", "0x0"); err != nil {
		t.Fatal(err)
	}
	for _, d := range divs {
		if d.L2Block <= st.LastL2 {
			live = append(live, d.L2Block)
		}
	}

	// Record the devnet's L1 up to its head and replay it.
	dir := t.TempDir()
	rollupJSON := filepath.Join(dir, "rollup.json")
	b, err := s.Chain.Rollup.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rollupJSON, b, 0o644); err != nil {
		t.Fatal(err)
	}
	l1Genesis := filepath.Join(dir, "l1-genesis.json")
	b, err = json.Marshal(map[string]any{"config": s.Chain.L1.ChainConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l1Genesis, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ep := s.Chain.Endpoints()
	l1, err := ethclient.Dial(ep.L1HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	head, err := l1.BlockNumber(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("opal %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		t.Logf("opal %s: %s", args[0], strings.TrimSpace(stderr.String()))
		return out
	}
	archive := filepath.Join(dir, "devnet.l1a")
	run("archive", "record", "--l1", ep.L1HTTP, "--l1.beacon", ep.L1Beacon, "--rollup.config", rollupJSON,
		"--rollup.l1-chain-config", l1Genesis, "--to", fmt.Sprint(head), archive)
	report := run("replay", "--archive", archive, "--rollup.config", rollupJSON, "--limit", fmt.Sprint(st.LastL2),
		"--deriver", "default", "--deriver", variant+"@"+sum, "--deriver.config", "", "--deriver.config", fmt.Sprintf(`{"seq_window_size": %d}`, window))
	r, err := ab.ReadReport(bytes.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	var offline []uint64
	for _, d := range r.Divergences {
		if d.L2Block >= st.FirstL2 {
			offline = append(offline, d.L2Block)
		}
	}
	if fmt.Sprint(live) != fmt.Sprint(offline) {
		t.Fatalf("blocks %d..%d: the live shadow diverged at %v, the offline replay at %v", st.FirstL2, st.LastL2, live, offline)
	}
	t.Logf("blocks %d..%d: %d divergences, the same live and offline", st.FirstL2, st.LastL2, len(live))
}

// sendL2Transfer sends 1 gwei from key to itself on L2 and waits until the
// sequencer has included it.
func sendL2Transfer(t *testing.T, s *stack.Stack, key *ecdsa.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	l2, err := ethclient.Dial(s.Chain.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := l2.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	id := s.Chain.Rollup.L2ChainID
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{
		ChainID: id, Nonce: nonce, To: &from, Value: big.NewInt(params.GWei), Gas: 21_000,
		GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(100 * params.GWei),
	})
	if err := l2.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "an L2 transfer included", func() bool {
		_, err := l2.TransactionReceipt(ctx, tx.Hash())
		return err == nil
	})
}
