package blockmsg

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/golang/snappy"
)

// uvarint is a snappy length header.
func uvarint(n uint64) []byte { return binary.AppendUvarint(nil, n) }

func TestEncodeDecode(t *testing.T) {
	var sig [SignatureSize]byte
	for i := range sig {
		sig[i] = byte(i + 1)
	}
	for _, n := range []int{1, 100, 10_000} {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i * 7)
		}
		data := Encode(sig, body)
		if want := snappy.Encode(nil, append(sig[:], body...)); string(data) != string(want) {
			t.Fatalf("Encode is not the snappy block encoding of sig ‖ body")
		}
		gotSig, gotBody, err := Decode(data)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if gotSig != sig || string(gotBody) != string(body) {
			t.Fatalf("round trip of a %d-byte body differs", n)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	valid := Encode([SignatureSize]byte{1}, make([]byte, 100))
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"unterminated length header", []byte{0xff, 0xff, 0xff}},
		{"length header over 2^32", append(uvarint(1<<32), 0)},
		{"length header over 10 MiB", append(uvarint(MaxGossipSize+1), 0x00, 0x01, 0x02)},
		{"length header of 4 GiB - 1", append(uvarint(1<<32-1), 0x00)},
		{"decoded 0 bytes", snappy.Encode(nil, nil)},
		{"decoded 65 bytes", snappy.Encode(nil, make([]byte, 65))},
		{"header only", uvarint(100)},
		{"truncated stream", valid[:len(valid)-3]},
		{"header longer than the data", append(uvarint(200), valid[len(uvarint(166)):]...)},
		{"garbage after the header", append(uvarint(80), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, body, err := Decode(c.data)
			if !errors.Is(err, ErrSnappy) {
				t.Fatalf("Decode: %v, want ErrSnappy", err)
			}
			if body != nil {
				t.Fatal("a body came back with the error")
			}
			t.Log(err)
		})
	}
}

// The smallest and largest decoded sizes op-node accepts.
func TestDecodeSizeBounds(t *testing.T) {
	if _, body, err := Decode(snappy.Encode(nil, make([]byte, MinGossipSize))); err != nil || len(body) != 1 {
		t.Fatalf("66 bytes: %d-byte body, %v", len(body), err)
	}
	if _, body, err := Decode(snappy.Encode(nil, make([]byte, MaxGossipSize))); err != nil || len(body) != MaxGossipSize-SignatureSize {
		t.Fatalf("10 MiB: %d-byte body, %v", len(body), err)
	}
	if _, _, err := Decode(snappy.Encode(nil, make([]byte, MaxGossipSize+1))); !errors.Is(err, ErrSnappy) {
		t.Fatalf("10 MiB + 1: %v, want ErrSnappy", err)
	}
}

// A length header claiming more than 10 MiB is refused before the claimed
// size is allocated.
func TestDecodeOversizeDoesNotAllocate(t *testing.T) {
	data := append(uvarint(1<<32-1), make([]byte, 16)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 8 {
		if _, _, err := Decode(data); !errors.Is(err, ErrSnappy) {
			t.Fatalf("Decode: %v, want ErrSnappy", err)
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("refusing 8 oversize headers allocated %d bytes", grew)
	}
}

// messageID is the message id computed from its definition.
func messageID(domain byte, topic string, payload []byte) string {
	msg := []byte{domain, 0, 0, 0}
	msg = binary.LittleEndian.AppendUint64(msg, uint64(len(topic)))
	msg = append(msg, topic...)
	msg = append(msg, payload...)
	sum := sha256.Sum256(msg)
	return string(sum[:20])
}

func TestMessageID(t *testing.T) {
	const topicA, topicB = "/optimism/901/3/blocks", "/optimism/901/2/blocks"
	raw := make([]byte, 200)
	for i := range raw {
		raw[i] = byte(i)
	}
	valid := snappy.Encode(nil, raw)
	invalid := []byte{0xff, 0xff, 0xff, 0xff, 0xff}
	tiny := snappy.Encode(nil, []byte("hi"))
	huge := snappy.Encode(nil, make([]byte, MaxGossipSize+1))
	atLimit := snappy.Encode(nil, make([]byte, MaxGossipSize))

	cases := []struct {
		name  string
		topic string
		data  []byte
		want  string
	}{
		{"valid snappy: decoded data, domain 1", topicA, valid, messageID(1, topicA, raw)},
		{"same data on another topic", topicB, valid, messageID(1, topicB, raw)},
		{"empty topic", "", valid, messageID(1, "", raw)},
		{"invalid snappy: raw data, domain 0", topicA, invalid, messageID(0, topicA, invalid)},
		{"corrupt stream with a good header", topicA, valid[:len(valid)-1], messageID(0, topicA, valid[:len(valid)-1])},
		{"empty data", topicA, nil, messageID(0, topicA, nil)},
		{"decodes to more than 10 MiB: raw data, domain 0", topicA, huge, messageID(0, topicA, huge)},
		{"decodes to exactly 10 MiB: decoded, domain 1", topicA, atLimit, messageID(1, topicA, make([]byte, MaxGossipSize))},
		{"decodes below the gossip minimum: still decoded", topicA, tiny, messageID(1, topicA, []byte("hi"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := MessageID(c.topic, c.data)
			if len(got) != 20 {
				t.Fatalf("id of %d bytes, want 20", len(got))
			}
			if got != c.want {
				t.Fatalf("id %x, want %x", got, c.want)
			}
		})
	}
	if MessageID(topicA, valid) == MessageID(topicB, valid) {
		t.Error("the same data on two topics has one id")
	}
	// The domain separates raw data from the same bytes snappy-encoded.
	if MessageID(topicA, invalid) == messageID(1, topicA, invalid) {
		t.Error("invalid snappy hashed with the valid domain")
	}
}
