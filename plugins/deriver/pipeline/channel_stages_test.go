package pipeline

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/opalnode/opal/plugins/deriver/frame"
	"github.com/opalnode/opal/sdk/eth"
)

func graniteAt(ts uint64) forkTimes { f := allForks("fjord"); f.granite = &ts; return f }

func TestChannelBank(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(12)
	a0, a1 := fr(1, 0, false, 'a'), fr(1, 1, true, 'A')
	b0, b1 := fr(2, 0, false, 'b'), fr(2, 1, true, 'B')
	cases := []struct {
		name  string
		forks forkTimes
		steps []chanStep
	}{
		{"frames in any order", allForks("bedrock"), []chanStep{
			{l1[1], []frame.Frame{a1, a0}, []string{"aA"}},
		}},
		{"pre-canyon: head channel blocks the rest", allForks("bedrock"), []chanStep{
			{l1[1], []frame.Frame{a0, b0, b1}, nil},
			{l1[2], []frame.Frame{a1}, []string{"aA", "bB"}},
		}},
		{"canyon: first ready channel is read", allForks("canyon"), []chanStep{
			{l1[1], []frame.Frame{a0, b0, b1}, []string{"bB"}},
			{l1[2], []frame.Frame{a1}, []string{"aA"}},
		}},
		{"duplicate frames are ignored", allForks("canyon"), []chanStep{
			{l1[1], []frame.Frame{a0, fr(1, 0, false, 'x'), a1}, []string{"aA"}},
		}},
		{"second closing frame is ignored", allForks("canyon"), []chanStep{
			{l1[1], []frame.Frame{fr(1, 2, true, 'c'), a0, a1}, nil},
		}},
		{"timed out channel is dropped", allForks("canyon"), []chanStep{
			{l1[1], []frame.Frame{a0}, nil},
			// open 1 + timeout 4 < 6: timed out; a1 then opens a new,
			// never ready, channel.
			{l1[6], []frame.Frame{a1}, nil},
		}},
		{"channel within the timeout", allForks("canyon"), []chanStep{
			{l1[1], []frame.Frame{a0}, nil},
			{l1[5], []frame.Frame{a1}, []string{"aA"}},
		}},
		{"granite timeout is 50", allForks("granite"), []chanStep{
			{l1[1], []frame.Frame{a0}, nil},
			{l1[11], []frame.Frame{a1}, []string{"aA"}},
		}},
		{"channel straddling granite gets the new timeout", graniteAt(l1[8].Time), []chanStep{
			{l1[1], []frame.Frame{a0}, nil},
			{l1[10], []frame.Frame{a1}, []string{"aA"}},
		}},
		{"before granite the old timeout holds", graniteAt(l1[11].Time), []chanStep{
			{l1[1], []frame.Frame{a0}, nil},
			{l1[10], []frame.Frame{a1}, nil},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &fakeFrames{}
			bank := &channelBank{cfg: testConfig(l1[0], tc.forks), log: slog.New(slog.DiscardHandler), prev: src}
			runChannelStage(t, bank, src, tc.steps)
		})
	}
}

// TestChannelBankPrune checks the size limit: the oldest channels go first
// until the bank fits, with a limit ten times larger from Fjord.
func TestChannelBankPrune(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(2)
	for _, tc := range []struct {
		name  string
		forks forkTimes
		left  int
	}{
		{"pre-fjord limit 100MB", allForks("ecotone"), 2},
		{"fjord limit 1GB", allForks("fjord"), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bank := &channelBank{cfg: testConfig(l1[0], tc.forks), log: slog.New(slog.DiscardHandler), prev: &fakeFrames{}}
			bank.reset()
			for i, size := range []uint64{60_000_000, 30_000_000, 20_000_000} {
				id := frame.ChannelID{byte(i + 1)}
				ch := newChannel(id, l1[1], false)
				ch.size = size
				bank.channels[id] = ch
				bank.queue = append(bank.queue, id)
			}
			bank.prune(l1[1])
			if len(bank.queue) != tc.left || len(bank.channels) != tc.left {
				t.Fatalf("%d channels left, want %d", len(bank.queue), tc.left)
			}
			if tc.left == 2 && bank.queue[0] != (frame.ChannelID{2}) {
				t.Fatalf("oldest kept is %v, want channel 2", bank.queue[0])
			}
		})
	}
}

func TestChannelAssembler(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(12)
	a0, a1, a2 := fr(1, 0, false, 'a'), fr(1, 1, false, 'A'), fr(1, 2, true, '!')
	b0, b1 := fr(2, 0, false, 'b'), fr(2, 1, true, 'B')
	big := bytes.Repeat([]byte{1}, 999_000)
	bigFrames := func(n int) []frame.Frame {
		var out []frame.Frame
		for i := range n {
			out = append(out, frame.Frame{ID: frame.ChannelID{9}, Number: uint16(i), Data: big, IsLast: i == n-1})
		}
		return out
	}
	cases := []struct {
		name  string
		forks forkTimes
		steps []chanStep
	}{
		{"in order", allForks("holocene"), []chanStep{{l1[1], []frame.Frame{a0, a1, a2}, []string{"aA!"}}}},
		{"first frame replaces the open channel", allForks("holocene"), []chanStep{{l1[1], []frame.Frame{a0, a1, b0, b1}, []string{"bB"}}}},
		{"frame without channel", allForks("holocene"), []chanStep{{l1[1], []frame.Frame{b1, a0, a1, a2}, []string{"aA!"}}}},
		{"out of order frame dropped", allForks("holocene"), []chanStep{{l1[1], []frame.Frame{a0, a2, a1, a2}, []string{"aA!"}}}},
		{"frame of another channel dropped", allForks("holocene"), []chanStep{{l1[1], []frame.Frame{a0, b1, a1, a2}, []string{"aA!"}}}},
		{"timed out channel and its next frame dropped", func() forkTimes { f := allForks("holocene"); f.granite = nil; return f }(), []chanStep{
			{l1[1], []frame.Frame{a0, a1}, nil},
			{l1[6], []frame.Frame{a2, b0, b1}, []string{"bB"}},
		}},
		{"granite timeout", allForks("holocene"), []chanStep{
			{l1[1], []frame.Frame{a0, a1}, nil},
			{l1[11], []frame.Frame{a2}, []string{"aA!"}},
		}},
		{"oversized channel dropped (10MB before fjord)", func() forkTimes { f := allForks("holocene"); f.fjord, f.granite = nil, nil; return f }(),
			[]chanStep{{l1[1], append(bigFrames(11), b0, b1), []string{"bB"}}}},
		{"fjord allows 100MB", allForks("holocene"), []chanStep{{l1[1], append(bigFrames(11), b0, b1), []string{string(bytes.Repeat(big, 11)), "bB"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &fakeFrames{}
			a := &channelAssembler{cfg: testConfig(l1[0], tc.forks), log: slog.New(slog.DiscardHandler), prev: src}
			runChannelStage(t, a, src, tc.steps)
		})
	}
	t.Run("flush drops the channel being assembled", func(t *testing.T) {
		t.Parallel()
		src := &fakeFrames{}
		a := &channelAssembler{cfg: testConfig(l1[0], allForks("holocene")), log: slog.New(slog.DiscardHandler), prev: src}
		runChannelStage(t, a, src, []chanStep{{l1[1], []frame.Frame{a0, a1}, nil}})
		a.flush()
		runChannelStage(t, a, src, []chanStep{{l1[1], []frame.Frame{a2}, nil}})
	})
}

// TestChannelMux checks the stage choice by reset origin and the switch at
// Holocene.
func TestChannelMux(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(4)
	f := allForks("granite")
	f.holocene = u64(l1[2].Time)
	m := &channelMux{cfg: testConfig(l1[0], f), log: slog.New(slog.DiscardHandler), prev: &fakeFrames{}}
	m.resetTo(l1[1])
	if _, ok := m.channelStage.(*channelBank); !ok {
		t.Fatalf("before holocene: %T", m.channelStage)
	}
	m.activateHolocene()
	if _, ok := m.channelStage.(*channelAssembler); !ok {
		t.Fatalf("after holocene: %T", m.channelStage)
	}
	m.resetTo(l1[3])
	if _, ok := m.channelStage.(*channelAssembler); !ok {
		t.Fatalf("reset after holocene: %T", m.channelStage)
	}
	var _ eth.L1BlockRef = m.Origin()
}
