package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
)

type frameKey struct {
	id   byte
	n    uint16
	last bool
}

func keys(frames []frame.Frame) []frameKey {
	out := make([]frameKey, len(frames))
	for i, f := range frames {
		out[i] = frameKey{f.ID[0], f.Number, f.IsLast}
	}
	return out
}

func TestPruneFrames(t *testing.T) {
	t.Parallel()
	a0, a1, a2, a1c, a2c := fr(1, 0, false), fr(1, 1, false), fr(1, 2, false), fr(1, 1, true), fr(1, 2, true)
	b0, b1, b1c := fr(2, 0, false), fr(2, 1, false), fr(2, 1, true)
	cases := []struct {
		name   string
		frames []frame.Frame
		want   []frame.Frame
	}{
		{"in order", []frame.Frame{a0, a1, a2c}, []frame.Frame{a0, a1, a2c}},
		{"gap drops the frame", []frame.Frame{a0, a2c}, []frame.Frame{a0}},
		{"duplicate drops the frame", []frame.Frame{a0, a1, a1, a2c}, []frame.Frame{a0, a1, a2c}},
		{"after closing frame", []frame.Frame{a0, a1c, a2}, []frame.Frame{a0, a1c}},
		{"non-first frame of a new channel", []frame.Frame{a0, a1c, b1}, []frame.Frame{a0, a1c}},
		{"new channel drops unclosed one", []frame.Frame{a0, a1, b0, b1c}, []frame.Frame{b0, b1c}},
		{"closed channel then new one", []frame.Frame{a0, a1c, b0, b1c}, []frame.Frame{a0, a1c, b0, b1c}},
		{"interleaved channels", []frame.Frame{a0, b0, a1, b1c}, []frame.Frame{b0, b1c}},
		{"first frame alone", []frame.Frame{b1, a0}, []frame.Frame{a0}},
		{"restart of the same channel", []frame.Frame{a0, a1, a0, a1c}, []frame.Frame{a0, a1}},
		{"empty", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := keys(pruneFrames(append([]frame.Frame(nil), tc.frames...)))
			want := keys(tc.want)
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("got %v, want %v", got, want)
				}
			}
		})
	}
}

func TestFrameQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l1 := l1Refs(2)
	good := frame.MarshalBatcherData(fr(1, 0, false, 1), fr(1, 2, true, 2))
	bad := append(frame.MarshalBatcherData(fr(1, 0, false, 1)), 7) // trailing garbage
	for _, tc := range []struct {
		name  string
		forks forkTimes
		want  []frameKey
	}{
		{"pre-holocene keeps every frame", allForks("granite"), []frameKey{{1, 0, false}, {1, 2, true}}},
		{"holocene prunes", allForks("holocene"), []frameKey{{1, 0, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &fakeData{origin: l1[1], datas: [][]byte{bad, {}, {1, 0}, good}}
			q := &frameQueue{cfg: testConfig(l1[0], tc.forks), log: slog.New(slog.DiscardHandler), prev: src}
			var got []frame.Frame
			for range 10 {
				f, err := q.NextFrame(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				if errors.Is(err, errNotEnoughData) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, f)
			}
			if k := keys(got); len(k) != len(tc.want) || (len(k) > 0 && k[len(k)-1] != tc.want[len(tc.want)-1]) {
				t.Fatalf("frames %v, want %v", k, tc.want)
			}
		})
	}
}

func TestChannelAddFrame(t *testing.T) {
	t.Parallel()
	open := l1Ref(0)
	t.Run("any order", func(t *testing.T) {
		t.Parallel()
		c := newChannel(frame.ChannelID{1}, open, false)
		for _, f := range []frame.Frame{fr(1, 2, true, 3), fr(1, 0, false, 1)} {
			if err := c.addFrame(f); err != nil {
				t.Fatal(err)
			}
		}
		if c.ready() {
			t.Fatal("ready without frame 1")
		}
		if err := c.addFrame(fr(1, 1, false, 2)); err != nil {
			t.Fatal(err)
		}
		if !c.ready() || string(c.data()) != "\x01\x02\x03" {
			t.Fatalf("ready %v data %x", c.ready(), c.data())
		}
	})
	t.Run("rejections", func(t *testing.T) {
		t.Parallel()
		c := newChannel(frame.ChannelID{1}, open, false)
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(c.addFrame(fr(1, 0, false, 1)))
		if err := c.addFrame(fr(1, 0, false, 9)); !errors.Is(err, errDuplicateFrame) {
			t.Fatalf("duplicate: %v", err)
		}
		if err := c.addFrame(fr(2, 1, false)); err == nil {
			t.Fatal("frame of another channel accepted")
		}
		must(c.addFrame(fr(1, 2, true, 3)))
		if err := c.addFrame(fr(1, 3, true)); !errors.Is(err, errClosedChannel) {
			t.Fatalf("second closing frame: %v", err)
		}
		if err := c.addFrame(fr(1, 5, false)); err == nil {
			t.Fatal("frame after the closing frame accepted")
		}
	})
	t.Run("closing frame prunes higher frames", func(t *testing.T) {
		t.Parallel()
		c := newChannel(frame.ChannelID{1}, open, false)
		for _, f := range []frame.Frame{fr(1, 0, false, 1), fr(1, 3, false, 4), fr(1, 4, false, 5), fr(1, 1, true, 2)} {
			if err := c.addFrame(f); err != nil {
				t.Fatal(err)
			}
		}
		if !c.ready() || string(c.data()) != "\x01\x02" || len(c.frames) != 2 {
			t.Fatalf("ready %v data %x frames %d", c.ready(), c.data(), len(c.frames))
		}
		// As in op-node, the prune subtracts every held frame from the
		// size, so only the closing frame is counted afterwards.
		if c.size != frameSize(fr(1, 1, true, 2)) {
			t.Fatalf("size %d", c.size)
		}
	})
	t.Run("in order", func(t *testing.T) {
		t.Parallel()
		c := newChannel(frame.ChannelID{1}, open, true)
		if err := c.addFrame(fr(1, 1, false)); err == nil {
			t.Fatal("frame 1 before frame 0 accepted in order mode")
		}
		if err := c.addFrame(fr(1, 0, false)); err != nil {
			t.Fatal(err)
		}
		if err := c.addFrame(fr(1, 2, true)); err == nil {
			t.Fatal("frame 2 after frame 0 accepted in order mode")
		}
	})
}

// chanStep is one read of a channel stage in the bank and assembler tests:
// with the source at origin and frames queued, read until io.EOF.
type chanStep struct {
	origin eth.L1BlockRef
	frames []frame.Frame
	want   []string // channels read, as their data
}

func runChannelStage(t *testing.T, stage channelStage, src *fakeFrames, steps []chanStep) {
	t.Helper()
	stage.reset()
	for i, st := range steps {
		src.origin = st.origin
		src.frames = append(src.frames, st.frames...)
		var got []string
		for range 1000 {
			d, err := stage.NextData(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, errNotEnoughData) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(d))
		}
		if len(got) != len(st.want) {
			t.Fatalf("step %d: read %q, want %q", i, got, st.want)
		}
		for j := range got {
			if got[j] != st.want[j] {
				t.Fatalf("step %d: read %q, want %q", i, got, st.want)
			}
		}
	}
}
