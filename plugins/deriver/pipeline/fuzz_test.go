package pipeline

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
)

// fuzzForks are the fork sets the first input byte picks from.
var fuzzForks = []string{"bedrock", "canyon", "delta", "fjord", "granite", "holocene", "jovian", "karst"}

// FuzzPipeline feeds arbitrary batcher data through the whole pipeline and
// checks that Step never panics and always settles. The first byte picks
// the forks and how the rest is posted: as raw calldata, as the compressed
// data of a one-frame channel, or as a channel's decompressed batch stream
// (compressed by the harness), so that the fuzzer reaches every stage.
//
// The data goes in deposit-type inbox transactions, which need no
// signature, to keep each run cheap. Minimizing a new input runs the target
// thousands of times; -fuzzminimizetime=5s keeps that short.
func FuzzPipeline(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || len(in) > 1<<16 {
			return
		}
		mode, forks := in[0]%3, fuzzForks[int(in[0]/3)%len(fuzzForks)]
		body := in[1:]
		chain := newL1Chain(t, 5)
		cfg := testConfig(chain.ref(0), allForks(forks))
		switch mode {
		case 0:
			chain.addRaw(1, inboxDeposit(t, body))
		case 1:
			chain.addRaw(1, inboxDeposit(t, frame.MarshalBatcherData(frame.Frame{ID: frame.ChannelID{1}, IsLast: true, Data: body})))
		case 2:
			// The body is taken as an RLP stream of batches, good or bad,
			// and compressed as a zlib channel.
			data, err := zlibBytes(body)
			if err != nil {
				t.Fatal(err)
			}
			chain.addRaw(2, inboxDeposit(t, frame.MarshalBatcherData(frame.Frame{ID: frame.ChannelID{2}, IsLast: true, Data: data})))
		}
		fuzzDerive(t, cfg, chain)
	})
}

// inboxDeposit is a deposit-type transaction from the batcher to the inbox.
func inboxDeposit(t *testing.T, data []byte) []byte {
	raw, err := (&deposit.Tx{From: testBatcher, To: &testInbox, Data: data}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// fuzzDerive runs the pipeline over the chain; errors are fine, panics and
// endless loops are not.
func fuzzDerive(t *testing.T, cfg *rollupConfig, chain *l1Chain) {
	p, err := New(Config{Rollup: cfg})
	if err != nil {
		t.Fatal(err)
	}
	parent := eth.L2BlockRef{Hash: cfg.Genesis.L2.Hash, Time: cfg.Genesis.L2Time, L1Origin: cfg.Genesis.L1}
	if err := p.Reset(parent, cfg.Genesis.SystemConfig, chain.ref(0), cfg.Genesis.SystemConfig); err != nil {
		t.Fatal(err)
	}
	fed := 0
	for range 20_000 {
		out, res, err := p.Step(context.Background(), parent)
		if err != nil {
			return
		}
		switch out {
		case NeedL1:
			if fed == len(chain.blocks) {
				return
			}
			if err := p.AddL1Block(chain.blocks[fed]); err != nil {
				t.Fatal(err)
			}
			fed++
		case Attributes:
			if res.Attributes.Timestamp != parent.Time+cfg.BlockTime || res.Parent != parent {
				t.Fatalf("attributes at %d on %v for parent %v", res.Attributes.Timestamp, res.Parent, parent)
			}
			n := parent.Number + 1
			parent = eth.L2BlockRef{Hash: l2Hash(n), Number: n, ParentHash: parent.Hash, Time: res.Attributes.Timestamp,
				L1Origin: res.L1Origin, SequenceNumber: res.SequenceNumber}
		}
	}
	t.Fatal("pipeline did not settle")
}

// fuzzSeeds are valid inputs for every mode: channels of singular and span
// batches, plus the reference batcher transactions when the vectors exist.
func fuzzSeeds(tb testing.TB) [][]byte {
	chain := newL1Chain(tb, 2)
	cfg := testConfig(chain.ref(0), allForks("jovian"))
	o0 := chain.ref(0)
	var batches [][]byte
	for n := uint64(1); n <= 3; n++ {
		batches = append(batches, marshal(tb, singular(n, o0, l2Tx(tb, n))))
	}
	span := marshal(tb, encodeSpan(tb, cfg, []uint64{1, 2}, singular(1, o0, l2Tx(tb, 1)), singular(2, o0)))
	var seeds [][]byte
	for mi, mode := range []byte{0, 1, 2} {
		for fi := range fuzzForks {
			sel := byte(fi*3) + mode
			switch mi {
			case 0:
				frames := channelFrames(tb, 1, channel.Zlib, 1000, batches...)
				seeds = append(seeds, append([]byte{sel}, frame.MarshalBatcherData(frames...)...))
			case 1:
				data, _ := channel.Compress(channel.Brotli, span)
				seeds = append(seeds, append([]byte{sel}, data...))
			case 2:
				var stream []byte
				for _, b := range append(batches, span) {
					stream = appendRLPString(stream, b)
				}
				seeds = append(seeds, append([]byte{sel}, stream...))
			}
		}
	}
	if raw := vectors.TryRead("reference/brotli_and_zlib_channels.json"); raw != nil {
		var ref refChannels
		if json.Unmarshal(raw, &ref) == nil {
			for _, ch := range ref.Channels {
				for _, tx := range ch.BatcherTxs {
					seeds = append(seeds, append([]byte{byte(6 * 3)}, tx...))
				}
			}
		}
	}
	return seeds
}
