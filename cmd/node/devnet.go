package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/pflag"

	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
)

// devnetCmd runs a whole OP chain in this process: L1, op-geth, opal as the
// sequencer, and the batcher.
func devnetCmd(args []string) error {
	fs := pflag.NewFlagSet("devnet", pflag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "where the chain's files (rollup.json, geneses, jwt) and opal's state go (default: a temporary dir)")
	rpcPort := fs.Int("rpc.port", 9545, "opal RPC port")
	metricsPort := fs.Int("metrics.port", 7300, "opal metrics port (0: off)")
	l1Time := fs.Uint64("l1.block-time", 2, "L1 block time in seconds")
	l2Time := fs.Uint64("l2.block-time", 2, "L2 block time in seconds")
	calldata := fs.Bool("batcher.calldata", false, "post batches as calldata instead of blobs")
	p2pPort := fs.Int("p2p.port", 0, "the sequencer's libp2p TCP port on 127.0.0.1 (0: any free port)")
	noP2P := fs.Bool("p2p.disable", false, "run the sequencer without p2p gossip")
	level := fs.String("log.level", "info", "log level")
	progress := fs.Duration("progress", 4*time.Second, "interval of the progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("devnet: unexpected arguments %v", fs.Args())}
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "opal", Level: hclog.LevelFromString(*level), Output: os.Stderr})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := stack.Start(ctx, stack.Options{
		Chain:   chain.Config{L1BlockTime: *l1Time, L2BlockTime: *l2Time},
		DataDir: *dataDir, RPCPort: *rpcPort, MetricsPort: *metricsPort, Calldata: *calldata, Logger: log,
		P2PPort: *p2pPort, NoP2P: *noP2P,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	printDevnet(ctx, s, *metricsPort)
	tick := time.NewTicker(*progress)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down the devnet")
			return nil
		case <-tick.C:
			h := s.Sequencer.Heads()
			var posted string
			if s.Batcher != nil {
				st := s.Batcher.Stats()
				posted = fmt.Sprintf("%d channels / %d txs (L2 up to %d)", st.Channels, st.Txs, st.LastL2Block.Number)
			}
			fmt.Printf("unsafe %-6d safe %-6d finalized %-6d | L1 head %-6d | batches posted: %s\n",
				h.Unsafe.Number, h.Safe.Number, h.Finalized.Number, s.L1Head(), posted)
		}
	}
}

func keyLine(name string, k *ecdsa.PrivateKey) string {
	return fmt.Sprintf("  %-10s %s  key %s", name, crypto.PubkeyToAddress(k.PublicKey), hexutil.Encode(crypto.FromECDSA(k)))
}

func printDevnet(ctx context.Context, s *stack.Stack, metricsPort int) {
	ep := s.Chain.Endpoints()
	fmt.Println("opal devnet is running (Ctrl-C stops it)")
	fmt.Println("endpoints:")
	fmt.Printf("  L1 RPC     %s  (ws %s)\n", ep.L1HTTP, ep.L1WS)
	fmt.Printf("  L1 beacon  %s\n", ep.L1Beacon)
	fmt.Printf("  L2 RPC     %s  (ws %s)\n", ep.L2HTTP, ep.L2WS)
	fmt.Printf("  L2 engine  %s  (jwt %s)\n", ep.L2Engine, ep.L2JWTSecret)
	fmt.Printf("  opal RPC   http://%s\n", s.Sequencer.RPCAddr())
	if metricsPort != 0 {
		fmt.Printf("  metrics    http://127.0.0.1:%d/metrics\n", metricsPort)
		fmt.Printf("  status     http://127.0.0.1:%d/\n", metricsPort)
	}
	if addr := s.P2PAddr(ctx); addr != "" {
		fmt.Printf("  p2p        %s  (a verifier follows with --p2p.static %s)\n", addr, addr)
	}
	fmt.Println("files (for a verifier: opal run --rollup.config ... --rollup.l1-chain-config ...):")
	for _, f := range []string{chain.RollupFile, chain.L1GenesisFile, chain.L2GenesisFile, chain.JWTFile} {
		fmt.Printf("  %s\n", s.Chain.File(f))
	}
	fmt.Println("prefunded dev accounts (L1 and L2):")
	k := s.Chain.Keys
	fmt.Println(keyLine("admin", k.Admin))
	fmt.Println(keyLine("batcher", k.Batcher))
	fmt.Println(keyLine("sequencer", k.Sequencer))
	for i, u := range k.Users {
		fmt.Println(keyLine(fmt.Sprintf("user%d", i), u))
	}
}
