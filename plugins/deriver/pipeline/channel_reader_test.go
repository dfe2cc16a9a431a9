package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/opalnode/opal/plugins/deriver/batch"
	"github.com/opalnode/opal/plugins/deriver/channel"
	"github.com/opalnode/opal/sdk/eth"
)

// readAll reads every batch the reader yields from the given channels.
func readAll(t *testing.T, cfg *testEnvCfg, channels ...[]byte) []batchItem {
	t.Helper()
	src := &fakeChannels{origin: cfg.origin, datas: channels}
	r := &channelReader{cfg: cfg.cfg, log: slog.New(slog.DiscardHandler), prev: src}
	var out []batchItem
	for range 1000 {
		b, err := r.NextBatch(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if errors.Is(err, errNotEnoughData) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	t.Fatal("reader did not finish")
	return nil
}

type testEnvCfg struct {
	cfg    *rollupConfig
	origin eth.L1BlockRef
}

func compress(t *testing.T, algo channel.Algo, batches ...[]byte) []byte {
	t.Helper()
	d, err := channel.Compress(algo, batches...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestChannelReader(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(4)
	s1 := marshal(t, singular(1, l1[0], l2Tx(t, 1)))
	s2 := marshal(t, singular(2, l1[0]))
	spanCfg := testConfig(l1[0], allForks("delta"))
	span := marshal(t, encodeSpan(t, spanCfg, []uint64{1, 2}, singular(1, l1[0], l2Tx(t, 1)), singular(2, l1[0])))
	// A span whose first tx_data is a dynamic fee list of one field: it decodes
	// but its blocks cannot be derived.
	badSpan := func() []byte {
		s := encodeSpan(t, spanCfg, []uint64{1}, singular(1, l1[0], l2Tx(t, 1)))
		s.Txs.Datas[0] = []byte{0x02, 0xc1, 0x80}
		return marshal(t, s)
	}()
	big := marshal(t, singular(1, l1[0], append([]byte{0x02}, make([]byte, 6_000_000)...)))
	fjordAt := func(ts uint64) forkTimes { f := allForks("ecotone"); f.fjord = &ts; return f }
	deltaAt := func(ts uint64) forkTimes { f := allForks("canyon"); f.delta = &ts; return f }
	cases := []struct {
		name     string
		forks    forkTimes
		origin   eth.L1BlockRef
		channels [][]byte
		want     []string // "s<ts>" for singular, "p<blocks>" for span
	}{
		{"zlib", allForks("bedrock"), l1[1], [][]byte{compress(t, channel.Zlib, s1, s2)}, []string{"s1", "s2"}},
		{"brotli before fjord", allForks("ecotone"), l1[1], [][]byte{compress(t, channel.Brotli, s1), compress(t, channel.Zlib, s2)}, []string{"s2"}},
		{"brotli at fjord", allForks("fjord"), l1[1], [][]byte{compress(t, channel.Brotli, s1, s2)}, []string{"s1", "s2"}},
		{"brotli read just before fjord", fjordAt(l1[2].Time), l1[1], [][]byte{compress(t, channel.Brotli, s1)}, nil},
		{"brotli read at fjord", fjordAt(l1[2].Time), l1[2], [][]byte{compress(t, channel.Brotli, s1)}, []string{"s1"}},
		{"unknown compression", allForks("fjord"), l1[1], [][]byte{{0x02, 1, 2}, {}, compress(t, channel.Zlib, s2)}, []string{"s2"}},
		{"clip at 10MB before fjord", allForks("ecotone"), l1[1], [][]byte{compress(t, channel.Zlib, big, big, s2)}, []string{"s1"}},
		{"fjord clips at 100MB", allForks("fjord"), l1[1], [][]byte{compress(t, channel.Zlib, big, big, s2)}, []string{"s1", "s1", "s2"}},
		{"span before delta dropped, channel goes on", allForks("canyon"), l1[1], [][]byte{compress(t, channel.Zlib, span, s2)}, []string{"s2"}},
		{"span read just before delta", deltaAt(l1[2].Time), l1[1], [][]byte{compress(t, channel.Zlib, span)}, nil},
		{"span at delta", deltaAt(l1[2].Time), l1[2], [][]byte{compress(t, channel.Zlib, span, s2)}, []string{"p2", "s2"}},
		{"underivable span dropped, channel goes on", allForks("delta"), l1[1], [][]byte{compress(t, channel.Zlib, badSpan, s2)}, []string{"s2"}},
		{"undecodable batch drops the rest", allForks("delta"), l1[1], [][]byte{compress(t, channel.Zlib, s1, []byte{0x00, 0xff}, s2)}, []string{"s1"}},
		{"empty batch drops the rest", allForks("delta"), l1[1], [][]byte{compress(t, channel.Zlib, s1, []byte{}, s2)}, []string{"s1"}},
		{"batch type 2 drops the rest", allForks("jovian"), l1[1], [][]byte{compress(t, channel.Zlib, s1, []byte{0x02, 0xc0}, s2)}, []string{"s1"}},
		{"corrupt zlib", allForks("delta"), l1[1], [][]byte{append(compress(t, channel.Zlib, s1)[:8], bytes.Repeat([]byte{0xff}, 20)...), compress(t, channel.Zlib, s2)}, []string{"s2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			items := readAll(t, &testEnvCfg{cfg: testConfig(l1[0], tc.forks), origin: tc.origin}, tc.channels...)
			var got []string
			for _, it := range items {
				if it.single != nil {
					got = append(got, "s"+itoa((it.single.Timestamp-testGenesisTime)/2))
				} else {
					got = append(got, "p"+itoa(uint64(len(it.span.blocks))))
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	var _ = batch.SpanType
}
