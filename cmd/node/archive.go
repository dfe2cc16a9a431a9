package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/pflag"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/plugins/l1source"
	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/l1archive"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/rollup"
)

// chainFlags select the chain of an offline command: a known network or a
// rollup.json, and the L1's chain config.
type chainFlags struct {
	network, rollupPath, l1ChainConfig *string
}

func addChainFlags(fs *pflag.FlagSet) chainFlags {
	return chainFlags{
		network:       fs.String("network", "", "known network (see opal rollup-config --help)"),
		rollupPath:    fs.String("rollup.config", "", "the chain's rollup.json"),
		l1ChainConfig: fs.String("rollup.l1-chain-config", "", "the L1's chain config or genesis JSON (known for mainnet and sepolia)"),
	}
}

// load returns the rollup config and the L1 chain config (nil when unknown).
func (c chainFlags) load(cmd string) (*rollup.Config, *params.ChainConfig, error) {
	var (
		rc  *rollup.Config
		err error
	)
	switch {
	case *c.network != "" && *c.rollupPath != "":
		return nil, nil, usageError{cmd + ": give --network or --rollup.config, not both"}
	case *c.network != "":
		rc, err = config.NetworkRollup(*c.network)
	case *c.rollupPath != "":
		rc, err = rollup.Load(*c.rollupPath)
	default:
		return nil, nil, usageError{cmd + ": the chain is required: --network N or --rollup.config F"}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	var l1 *params.ChainConfig
	switch {
	case *c.l1ChainConfig != "":
		if l1, err = loadL1ChainConfig(*c.l1ChainConfig); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cmd, err)
		}
	case rc.L1ChainID.Uint64() == 1:
		l1 = params.MainnetChainConfig
	case rc.L1ChainID.Uint64() == 11155111:
		l1 = params.SepoliaChainConfig
	}
	return rc, l1, nil
}

// archiveCmd runs "opal archive record".
func archiveCmd(args []string) error {
	if len(args) == 0 || args[0] != "record" {
		return usageError{"archive: want 'archive record --l1 URL --to N [flags] OUT'"}
	}
	return archiveRecordCmd(args[1:])
}

func archiveRecordCmd(args []string) error {
	fs := pflag.NewFlagSet("archive record", pflag.ContinueOnError)
	chain := addChainFlags(fs)
	l1URL := fs.String("l1", "", "L1 execution RPC to record from")
	beacon := fs.String("l1.beacon", "", "L1 beacon API for blobs (needed when the range holds blob batches)")
	trust := fs.Bool("l1.trustrpc", false, "do not verify the L1 RPC's answers against block hashes (as opal run's --l1.trustrpc)")
	// The spelling of the first release of this command.
	fs.BoolVar(trust, "l1.trust-rpc", false, "")
	_ = fs.MarkHidden("l1.trust-rpc")
	from := fs.Uint64("from", 0, "first L1 block (default: the chain's genesis L1 block)")
	to := fs.Uint64("to", 0, "last L1 block, inclusive (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"archive record: want exactly one OUT file"}
	}
	if *l1URL == "" {
		return usageError{"archive record: --l1 URL is required"}
	}
	if !fs.Changed("to") {
		return usageError{"archive record: --to N is required"}
	}
	rc, l1cc, err := chain.load("archive record")
	if err != nil {
		return err
	}
	if !fs.Changed("from") {
		*from = rc.Genesis.L1.Number
	}
	if *to < *from {
		return usageError{fmt.Sprintf("archive record: --to %d is before --from %d", *to, *from)}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if l1cc == nil {
		// geth serves its chain config; other clients may not, and replay
		// then needs --rollup.l1-chain-config.
		l1cc = fetchChainConfig(ctx, *l1URL)
	}
	srcCfg, _ := json.Marshal(map[string]any{"rpc": *l1URL, "beacon": *beacon, "trust_rpc": *trust})
	src := l1source.New()
	if err := src.Configure(ctx, base.ConfigureRequest{Config: srcCfg, Rollup: rc, L1ChainConfig: l1cc}); err != nil {
		return fmt.Errorf("archive record: L1 source: %w", err)
	}
	defer src.Close()

	hdr := l1archive.Header{
		L1ChainID: rc.L1ChainID.Uint64(), From: *from, To: *to, BatchInbox: rc.BatchInboxAddress,
		LogAddresses: []common.Address{rc.DepositContractAddress, rc.L1SystemConfigAddress},
		Blobs:        true, L2ChainID: rc.L2ChainID.Uint64(), CreatedBy: versionString(),
	}
	if l1cc != nil {
		if hdr.L1ChainConfig, err = json.Marshal(l1cc); err != nil {
			return fmt.Errorf("archive record: L1 chain config: %w", err)
		}
	}
	out := fs.Arg(0)
	w, err := l1archive.Create(out, hdr)
	if err != nil {
		return fmt.Errorf("archive record: %w", err)
	}
	start := time.Now()
	bar := newProgress("L1 blocks", hdr.Blocks())
	var txs, blobs int
	for n := *from; n <= *to; n++ {
		d, err := src.BlockData(ctx, sdkl1.BlockDataRequest{Number: n, BatchInbox: hdr.BatchInbox, LogAddresses: hdr.LogAddresses, Blobs: true})
		if err == nil {
			err = w.Add(d)
		}
		if err != nil {
			w.Abort()
			bar.done()
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("archive record: interrupted at L1 block %d; nothing written", n)
			}
			return fmt.Errorf("archive record: L1 block %d: %w", n, err)
		}
		txs += len(d.BatcherTxs)
		blobs += len(d.Blobs)
		bar.set(n-*from+1, fmt.Sprintf("(%d batcher txs, %d blobs)", txs, blobs))
	}
	if err := w.Close(); err != nil {
		bar.done()
		return fmt.Errorf("archive record: %w", err)
	}
	bar.done()
	size := int64(0)
	if st, err := os.Stat(out); err == nil {
		size = st.Size()
	}
	took := time.Since(start)
	fmt.Fprintf(os.Stderr, "recorded L1 blocks %d..%d (%d blocks, %d batcher txs, %d blobs) to %s: %d bytes in %v (%.0f blocks/s)\n",
		*from, *to, hdr.Blocks(), txs, blobs, out, size, took.Round(time.Millisecond), float64(hdr.Blocks())/took.Seconds())
	return nil
}

// fetchChainConfig asks the L1 node for its chain config (geth's
// debug_chainConfig); nil when it does not answer.
func fetchChainConfig(ctx context.Context, url string) *params.ChainConfig {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil
	}
	defer c.Close()
	var cc params.ChainConfig
	if err := c.CallContext(ctx, &cc, "debug_chainConfig"); err != nil || cc.ChainID == nil {
		return nil
	}
	return &cc
}
