package frame

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/opalnode/opal/internal/vectors"
)

func testFrame(n uint16, data string, last bool) Frame {
	return Frame{ID: ChannelID{0xde, 0xad, 15: 0x01}, Number: n, Data: []byte(data), IsLast: last}
}

func TestRoundTrip(t *testing.T) {
	frames := []Frame{testFrame(0, "hello", false), testFrame(1, "", false), testFrame(2, "world", true)}
	enc := MarshalBatcherData(frames...)
	if want := 1 + 3*FrameOverhead + 10; len(enc) != want {
		t.Fatalf("encoded length %d, want %d", len(enc), want)
	}
	got, err := ParseBatcherData(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(frames) {
		t.Fatalf("got %d frames, want %d", len(got), len(frames))
	}
	for i := range frames {
		if !equalFrames(got[i], frames[i]) {
			t.Errorf("frame %d: got %+v, want %+v", i, got[i], frames[i])
		}
	}
	// A single frame through MarshalBinary/UnmarshalBinary.
	b, err := frames[2].MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	if err := f.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !equalFrames(f, frames[2]) {
		t.Errorf("got %+v, want %+v", f, frames[2])
	}
	if err := f.UnmarshalBinary(append(b, 0)); err == nil {
		t.Error("UnmarshalBinary accepted a trailing byte")
	}
}

// TestDataDoesNotClobber checks that appending to a parsed frame's data cannot
// overwrite the rest of the caller's buffer.
func TestDataDoesNotClobber(t *testing.T) {
	enc := MarshalBatcherData(testFrame(0, "ab", false), testFrame(1, "cd", true))
	orig := bytes.Clone(enc)
	frames, err := ParseBatcherData(enc)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(frames[0].Data, 'x', 'y', 'z')
	if !bytes.Equal(enc, orig) {
		t.Fatal("appending to frame data modified the input buffer")
	}
}

func TestMarshalTooLarge(t *testing.T) {
	f := Frame{Data: make([]byte, MaxFrameDataLength+1)}
	if _, err := f.MarshalBinary(); !errors.Is(err, ErrDataTooLarge) {
		t.Fatalf("got %v, want ErrDataTooLarge", err)
	}
	f.Data = f.Data[:MaxFrameDataLength]
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFrames(b); err != nil {
		t.Fatalf("max-size frame rejected: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	valid := testFrame(7, "payload", true).AppendTo(nil)
	withLen := func(n uint32) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint32(b[18:22], n)
		return b
	}
	withIsLast := func(v byte) []byte {
		b := bytes.Clone(valid)
		b[len(b)-1] = v
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNoFrames},
		{"short header", valid[:10], ErrTruncated},
		{"header only", valid[:22], ErrTruncated},
		{"missing is_last", valid[:len(valid)-1], ErrTruncated},
		{"truncated data", valid[:25], ErrTruncated},
		{"is_last 2", withIsLast(2), ErrInvalidIsLast},
		{"is_last 0xff", withIsLast(0xff), ErrInvalidIsLast},
		{"oversize length", withLen(MaxFrameDataLength + 1), ErrDataTooLarge},
		{"max uint32 length", withLen(^uint32(0)), ErrDataTooLarge},
		{"length past end", withLen(1000), ErrTruncated},
		{"trailing garbage", append(bytes.Clone(valid), 0xaa), ErrTruncated},
		{"trailing partial frame", append(bytes.Clone(valid), valid[:29]...), ErrTruncated},
		{"bad second frame", append(bytes.Clone(valid), withIsLast(3)...), ErrInvalidIsLast},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, err := ParseFrames(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v (frames %d), want %v", err, len(frames), tt.want)
			}
			if frames != nil {
				t.Fatal("frames returned together with an error")
			}
		})
	}
}

func TestBatcherDataVersion(t *testing.T) {
	good := MarshalBatcherData(testFrame(0, "x", true))
	if _, err := ParseBatcherData(nil); !errors.Is(err, ErrEmptyBatcherData) {
		t.Errorf("empty: got %v", err)
	}
	if _, err := ParseBatcherData([]byte{0}); !errors.Is(err, ErrNoFrames) {
		t.Errorf("version only: got %v, want ErrNoFrames", err)
	}
	for _, v := range []byte{1, 2, 0x7f, 0xff} {
		bad := bytes.Clone(good)
		bad[0] = v
		_, err := ParseBatcherData(bad)
		if !errors.Is(err, ErrUnknownVersion) {
			t.Errorf("version %d: got %v, want ErrUnknownVersion", v, err)
		}
	}
}

// TestRawBatcherTx parses the real OP Mainnet batcher transaction kona ships.
func TestRawBatcherTx(t *testing.T) {
	raw := vectors.Read(t, "kona/crates/protocol/derive/testdata/raw_batcher_tx.hex")
	var tx types.Transaction
	if err := tx.UnmarshalBinary(raw); err != nil {
		t.Fatalf("decoding L1 tx: %v", err)
	}
	if got := tx.Hash().Hex(); got != "0xe69d94330faafb4f716f7ad9b3b50ea8ff5ce57aea6d2f8be07afb7fe49cd6cf" {
		t.Fatalf("tx hash %s", got)
	}
	if len(tx.Data()) != 119_823 {
		t.Fatalf("calldata length %d, want 119823", len(tx.Data()))
	}
	frames, err := ParseBatcherData(tx.Data())
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 1 {
		t.Fatalf("got %d frames, want 1", len(frames))
	}
	f := frames[0]
	if f.ID.String() != "0xac329933f5efdcc35ccd284232a376d3" || f.Number != 0 || len(f.Data) != 119_799 || !f.IsLast {
		t.Fatalf("unexpected frame: id %s number %d len %d last %v", f.ID, f.Number, len(f.Data), f.IsLast)
	}
	if !bytes.HasPrefix(f.Data, []byte{0x78, 0xda, 0xc4, 0xfc, 0x53, 0x70, 0xad, 0x5d}) {
		t.Errorf("data prefix %x", f.Data[:8])
	}
	if !bytes.Equal(MarshalBatcherData(frames...), tx.Data()) {
		t.Error("re-encoding the frames does not give the calldata back")
	}
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	out, err := vectors.DecodeHex(s)
	*h = out
	return err
}

type channelVector struct {
	Name        string     `json:"name"`
	BatcherTxs  []hexBytes `json:"batcher_txs"`
	FramesPerTx int        `json:"frames_per_tx"`
	Frames      []struct {
		ChannelID   hexBytes `json:"channel_id"`
		FrameNumber uint16   `json:"frame_number"`
		IsLast      bool     `json:"is_last"`
		DataLen     int      `json:"data_len"`
		Data        hexBytes `json:"data"`
	} `json:"frames"`
	Compressed hexBytes `json:"compressed_channel"`
}

// TestReferenceChannels checks frame parsing and encoding against the
// reference batcher's output.
func TestReferenceChannels(t *testing.T) {
	var file struct {
		Channels []channelVector `json:"channels"`
	}
	if err := json.Unmarshal(vectors.Read(t, "reference/brotli_and_zlib_channels.json"), &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Channels) != 4 {
		t.Fatalf("got %d channels, want 4", len(file.Channels))
	}
	for _, ch := range file.Channels {
		t.Run(ch.Name, func(t *testing.T) {
			var all []Frame
			for i, txData := range ch.BatcherTxs {
				frames, err := ParseBatcherData(txData)
				if err != nil {
					t.Fatalf("batcher tx %d: %v", i, err)
				}
				if len(frames) != ch.FramesPerTx {
					t.Fatalf("batcher tx %d: %d frames, want %d", i, len(frames), ch.FramesPerTx)
				}
				if !bytes.Equal(MarshalBatcherData(frames...), txData) {
					t.Fatalf("batcher tx %d: re-encoding differs", i)
				}
				all = append(all, frames...)
			}
			if len(all) != len(ch.Frames) {
				t.Fatalf("got %d frames, want %d", len(all), len(ch.Frames))
			}
			var data []byte
			for i, want := range ch.Frames {
				got := all[i]
				if !bytes.Equal(got.ID[:], want.ChannelID) || got.Number != want.FrameNumber ||
					got.IsLast != want.IsLast || len(got.Data) != want.DataLen || !bytes.Equal(got.Data, want.Data) {
					t.Fatalf("frame %d differs: got id %s number %d last %v len %d", i, got.ID, got.Number, got.IsLast, len(got.Data))
				}
				data = append(data, got.Data...)
			}
			if !bytes.Equal(data, ch.Compressed) {
				t.Fatal("concatenated frame data differs from compressed_channel")
			}
		})
	}
}

func equalFrames(a, b Frame) bool {
	return a.ID == b.ID && a.Number == b.Number && a.IsLast == b.IsLast && bytes.Equal(a.Data, b.Data)
}

func FuzzParseBatcherData(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add(MarshalBatcherData(testFrame(0, "hello", false), testFrame(1, "world", true)))
	f.Add(append([]byte{0}, testFrame(3, strings.Repeat("z", 40), true).AppendTo(nil)[:30]...))
	if raw := vectors.TryRead("kona/crates/protocol/derive/testdata/raw_batcher_tx.hex"); raw != nil {
		var tx types.Transaction
		if tx.UnmarshalBinary(raw) == nil {
			f.Add(tx.Data())
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, err := ParseBatcherData(data)
		if err != nil {
			if frames != nil {
				t.Fatal("frames returned with error")
			}
			return
		}
		// Parsing is bijective: what parses re-encodes to the input.
		if !bytes.Equal(MarshalBatcherData(frames...), data) {
			t.Fatal("round trip differs")
		}
	})
}

func FuzzParseFrames(f *testing.F) {
	f.Add(testFrame(9, "abc", true).AppendTo(nil))
	f.Add(append(testFrame(0, "", false).AppendTo(nil), 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, err := ParseFrames(data)
		if err != nil {
			return
		}
		var enc []byte
		for _, fr := range frames {
			enc = fr.AppendTo(enc)
		}
		if !bytes.Equal(enc, data) {
			t.Fatal("round trip differs")
		}
		if len(frames) == 1 {
			var single Frame
			if err := single.UnmarshalBinary(data); err != nil || !equalFrames(single, frames[0]) {
				t.Fatalf("UnmarshalBinary disagrees with ParseFrames: %v", err)
			}
		}
	})
}
