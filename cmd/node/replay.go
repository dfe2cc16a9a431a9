package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/pflag"

	"github.com/opalnode/opal/core/ab"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/core/replay"
	"github.com/opalnode/opal/plugins/deriver/blob"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/plugins/deriver/l1info"
	"github.com/opalnode/opal/sdk"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1archive"
	"github.com/opalnode/opal/sdk/rollup"
)

// replayCmd runs "opal replay": derivers over an L1 archive, no L1, no
// engine.
func replayCmd(args []string) error {
	fs := pflag.NewFlagSet("replay", pflag.ContinueOnError)
	chain := addChainFlags(fs)
	archive := fs.String("archive", "", "L1 archive to replay (opal archive record)")
	derivers := fs.StringArray("deriver", nil, "deriver to run: a built-in name (default: \"default\") or PATH@SHA256 of a plugin binary; twice for A/B")
	configs := fs.StringArray("deriver.config", nil, "the config table (JSON) of the deriver at the same position")
	limit := fs.Uint64("limit", 0, "stop after this many L2 blocks (0: the whole archive)")
	out := fs.String("out", "-", "where to write the JSON lines")
	logLevel := fs.String("log.level", "warn", "log level of the derivers (what they drop and why goes to stderr)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("replay: unexpected arguments %v", fs.Args())}
	}
	if *archive == "" {
		return usageError{"replay: --archive FILE is required"}
	}
	if len(*derivers) > 2 {
		return usageError{"replay: at most two --deriver (A and B)"}
	}
	if len(*configs) > max(len(*derivers), 1) {
		return usageError{"replay: more --deriver.config than --deriver"}
	}
	if len(*derivers) == 0 {
		*derivers = []string{"default"}
	}
	rc, l1cc, err := chain.load("replay")
	if err != nil {
		return err
	}
	ar, err := l1archive.Open(*archive)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer ar.Close()
	h := ar.Header()
	if err := archiveFits(h, rc); err != nil {
		return fmt.Errorf("replay: %s: %w", *archive, err)
	}
	if l1cc == nil && len(h.L1ChainConfig) > 0 {
		l1cc = new(params.ChainConfig)
		if err := json.Unmarshal(h.L1ChainConfig, l1cc); err != nil {
			return fmt.Errorf("replay: %s: the archive's L1 chain config: %w", *archive, err)
		}
	}
	if l1cc == nil {
		return usageError{fmt.Sprintf("replay: the L1 chain config of chain %d is not known and not in the archive: give --rollup.l1-chain-config", h.L1ChainID)}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := hclog.New(&hclog.LoggerOptions{Name: "opal", Level: hclog.LevelFromString(*logLevel), Output: os.Stderr})
	var loaded []loadedDeriver
	for i, spec := range *derivers {
		var cfg string
		if i < len(*configs) {
			cfg = (*configs)[i]
		}
		d, err := loadDeriver(ctx, i, spec, cfg, rc, l1cc, logger)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		defer d.host.Close()
		loaded = append(loaded, d)
	}

	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	counter := &channelCounter{l1: ar, inbox: h.BatchInbox, seen: map[frame.ChannelID]bool{}}
	bar := newProgress("L1 blocks", h.To-max(h.From, rc.Genesis.L1.Number)+1)
	opts := replay.Options{
		Rollup: rc, L1: counter, Chain: standInChain(rc), Primary: loaded[0].d, Limit: *limit,
		Progress: func(s replay.Stats) {
			bar.set(s.L1Blocks, fmt.Sprintf("(%d L2 blocks, %d channels, %d diverged)", s.L2Blocks, len(counter.seen), s.Diverged))
		},
	}
	run := ab.Run{Kind: ab.KindRun, Primary: loaded[0].name}
	if len(loaded) == 2 {
		opts.Shadow = loaded[1].d
		run.Shadow = loaded[1].name
		if err := enc.Encode(run); err != nil {
			return err
		}
		opts.Diverged = func(d ab.Divergence) error { return enc.Encode(d) }
	} else {
		opts.Derived = func(res *sdkderiver.DerivedAttributes, ref eth.L2BlockRef) error {
			return enc.Encode(attributesLine(res, ref))
		}
	}
	start := time.Now()
	st, err := replay.Run(ctx, opts)
	took := time.Since(start)
	bar.done()
	if len(loaded) == 2 {
		run.FirstL2, run.LastL2, run.Compared, run.Diverged = st.FirstL2, st.LastL2, st.Compared, st.Diverged
		if encErr := enc.Encode(run); err == nil {
			err = encErr
		}
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	summary := fmt.Sprintf("replayed %d L1 blocks (up to %d): %d channels, %d batches, %d L2 blocks (%d..%d) in %v, %.0f L2 blocks/s",
		st.L1Blocks, st.Origin.Number, len(counter.seen), st.Batches, st.L2Blocks, st.FirstL2, st.LastL2,
		took.Round(time.Millisecond), float64(st.L2Blocks)/max(took.Seconds(), 1e-9))
	if len(loaded) == 2 {
		summary += fmt.Sprintf("; A/B: %d compared, %d diverged", st.Compared, st.Diverged)
		if st.ShadowStopped != "" {
			summary += "; the shadow stopped: " + st.ShadowStopped
		}
	}
	fmt.Fprintln(os.Stderr, summary)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

// archiveFits checks that the archive holds what the chain's derivation
// reads.
func archiveFits(h l1archive.Header, rc *rollup.Config) error {
	if h.L1ChainID != rc.L1ChainID.Uint64() {
		return fmt.Errorf("recorded from L1 chain %d, the chain's L1 is %d", h.L1ChainID, rc.L1ChainID)
	}
	if h.BatchInbox != rc.BatchInboxAddress {
		return fmt.Errorf("holds the transactions to %s, the chain's batch inbox is %s", h.BatchInbox, rc.BatchInboxAddress)
	}
	for _, want := range []common.Address{rc.DepositContractAddress, rc.L1SystemConfigAddress} {
		found := false
		for _, a := range h.LogAddresses {
			found = found || a == want
		}
		if !found {
			return fmt.Errorf("holds no receipts of %s, which the chain's derivation reads", want)
		}
	}
	if h.To < rc.Genesis.L1.Number || h.From > rc.Genesis.L1.Number {
		return fmt.Errorf("covers L1 blocks %d..%d; replay starts at the chain's genesis L1 block %d", h.From, h.To, rc.Genesis.L1.Number)
	}
	return nil
}

type loadedDeriver struct {
	name string
	d    sdkderiver.Deriver
	host *pluginhost.Host
}

// loadDeriver loads a deriver from its command-line spec: a built-in name
// (in-process) or PATH@SHA256 (a plugin process). Replay needs the Offline
// reset of contract 1.1.
func loadDeriver(ctx context.Context, i int, spec, cfg string, rc *rollup.Config, l1cc *params.ChainConfig, logger hclog.Logger) (loadedDeriver, error) {
	key := fmt.Sprintf("--deriver[%d]", i)
	s := pluginhost.Spec{Kind: sdk.Deriver, Key: key, Mode: pluginhost.InProcess, OnFailure: pluginhost.Stop, StartTimeout: 30 * time.Second}
	if path, sum, ok := strings.Cut(spec, "@"); ok {
		s.Path, s.SHA256, s.Mode = path, sum, pluginhost.Process
	} else {
		s.Builtin = spec
	}
	if cfg != "" {
		if !json.Valid([]byte(cfg)) {
			return loadedDeriver{}, fmt.Errorf("%s: --deriver.config is not JSON: %s", key, cfg)
		}
		s.Config = json.RawMessage(cfg)
	}
	host := pluginhost.New(pluginhost.Options{Catalog: builtins(), Logger: logger.Named(fmt.Sprintf("deriver%d", i)), Rollup: rc, L1ChainConfig: l1cc})
	insts, err := host.Load(ctx, []pluginhost.Spec{s})
	if err != nil {
		return loadedDeriver{}, err
	}
	inst := insts[sdk.Deriver]
	if !atLeast(inst.ProtocolVersion, 1, 1) {
		host.Close()
		return loadedDeriver{}, fmt.Errorf("%s (%s): implements deriver protocol %s; replay needs 1.1 or later (offline reset)", key, s.Name(), inst.ProtocolVersion)
	}
	return loadedDeriver{name: inst.Info.Name + " " + inst.Info.Version, d: inst.Components().Deriver, host: host}, nil
}

// atLeast reports whether the "major.minor" version v is at least
// major.minor.
func atLeast(v string, major, minor int) bool {
	a, b, _ := strings.Cut(v, ".")
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// standInChain gives each derived block a stand-in hash: Keccak-256 of the
// parent's hash, the timestamp and the hashes of the transactions. Equal
// attributes on equal parents give equal hashes, so two replays give the
// same chain; the L1 origin and sequence number are read from the L1-info
// deposit as an engine would.
func standInChain(rc *rollup.Config) replay.Chain {
	return func(parent eth.L2BlockRef, a *eth.PayloadAttributes) (eth.L2BlockRef, error) {
		if len(a.Transactions) == 0 {
			return eth.L2BlockRef{}, errors.New("attributes without the L1-info deposit")
		}
		h := crypto.NewKeccakState()
		h.Write(parent.Hash[:])
		h.Write(binary.BigEndian.AppendUint64(nil, a.Timestamp))
		for _, tx := range a.Transactions {
			h.Write(crypto.Keccak256(tx))
		}
		var hash common.Hash
		h.Read(hash[:])
		var gas uint64
		if a.GasLimit != nil {
			gas = *a.GasLimit
		}
		return l1info.BlockRef(rc, l1info.L2Block{Hash: hash, ParentHash: parent.Hash, Number: parent.Number + 1, Time: a.Timestamp, GasLimit: gas}, a.Transactions[0])
	}
}

// attributesJSON is one line of replay's output: a derived block.
type attributesJSON struct {
	L2Block        uint64          `json:"l2_block"`
	Timestamp      uint64          `json:"timestamp"`
	L1Origin       eth.BlockID     `json:"l1_origin"`
	SequenceNumber uint64          `json:"sequence_number"`
	DerivedFrom    eth.BlockID     `json:"derived_from"`
	LastInSpan     bool            `json:"last_in_span"`
	GasLimit       *uint64         `json:"gas_limit"`
	EIP1559Params  *eth.Bytes8     `json:"eip1559_params,omitempty"`
	MinBaseFee     *uint64         `json:"min_base_fee,omitempty"`
	NoTxPool       bool            `json:"no_tx_pool"`
	PrevRandao     common.Hash     `json:"prev_randao"`
	FeeRecipient   common.Address  `json:"suggested_fee_recipient"`
	BeaconRoot     *common.Hash    `json:"parent_beacon_block_root,omitempty"`
	Withdrawals    int             `json:"withdrawals"`
	TxHashes       []common.Hash   `json:"tx_hashes"`
	Transactions   []hexutil.Bytes `json:"transactions"`
}

func attributesLine(res *sdkderiver.DerivedAttributes, ref eth.L2BlockRef) attributesJSON {
	a := res.Attributes
	line := attributesJSON{
		L2Block: ref.Number, Timestamp: a.Timestamp, L1Origin: ref.L1Origin, SequenceNumber: ref.SequenceNumber,
		DerivedFrom: res.DerivedFrom.ID(), LastInSpan: res.IsLastInSpan, GasLimit: a.GasLimit,
		EIP1559Params: a.EIP1559Params, MinBaseFee: a.MinBaseFee, NoTxPool: a.NoTxPool, PrevRandao: a.PrevRandao,
		FeeRecipient: a.SuggestedFeeRecipient, BeaconRoot: a.ParentBeaconBlockRoot, Withdrawals: len(a.Withdrawals),
	}
	for _, tx := range a.Transactions {
		line.TxHashes = append(line.TxHashes, crypto.Keccak256Hash(tx))
		line.Transactions = append(line.Transactions, tx)
	}
	return line
}

// channelCounter passes the archive's blocks on and counts the channels
// whose frames reach the batch inbox (for the summary; derivation itself
// authenticates senders and may ignore some).
type channelCounter struct {
	l1    replay.L1
	inbox common.Address
	seen  map[frame.ChannelID]bool
}

func (c *channelCounter) Next() (*eth.L1BlockData, error) {
	d, err := c.l1.Next()
	if err != nil {
		return d, err
	}
	blobs := map[common.Hash]*eth.Blob{}
	for i := range d.Blobs {
		blobs[d.Blobs[i].VersionedHash] = &d.Blobs[i]
	}
	for _, raw := range d.BatcherTxs {
		var tx types.Transaction
		if tx.UnmarshalBinary(raw.Raw) != nil {
			continue
		}
		datas := [][]byte{tx.Data()}
		if tx.Type() == types.BlobTxType {
			datas = datas[:0]
			for _, vh := range tx.BlobHashes() {
				if b, ok := blobs[vh]; ok {
					if data, err := blob.Decode(b.Data); err == nil {
						datas = append(datas, data)
					}
				}
			}
		}
		for _, data := range datas {
			frames, _ := frame.ParseBatcherData(data)
			for _, f := range frames {
				c.seen[f.ID] = true
			}
		}
	}
	return d, nil
}
