package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"

	"github.com/opalnode/opal/internal/vectors"
)

const (
	mainnetBlobPath = "derived/op_mainnet_calldata_frame_as_blob.hex"
	goerliSidecars  = "optimism/op-service/eth/testdata/eth_v1_beacon_blob_sidecars_7422094_goerli.json"
)

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 27, 28, 123, 124, 127, 250, 251, 1000, 65536, MaxDataSize - 1, MaxDataSize}
	for _, n := range sizes {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		b, err := Encode(data)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		for i := 0; i < len(b); i += 32 {
			if b[i]&0xC0 != 0 {
				t.Fatalf("size %d: element %d out of range", n, i/32)
			}
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: round trip differs", n)
		}
	}
	// All-ones data sets every data bit, exercising each bit of the heads.
	ones := bytes.Repeat([]byte{0xff}, MaxDataSize)
	b, err := Encode(ones)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Decode(b); err != nil || !bytes.Equal(got, ones) {
		t.Fatalf("all-ones round trip: %v", err)
	}
	if _, err := Encode(make([]byte, MaxDataSize+1)); !errors.Is(err, ErrDataTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	good, err := Encode([]byte("hello blob"))
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b *kzg4844.Blob)) *kzg4844.Blob {
		b := *good
		f(&b)
		return &b
	}
	tests := []struct {
		name string
		blob *kzg4844.Blob
		want error
		msg  string
	}{
		{"version 1", mod(func(b *kzg4844.Blob) { b[1] = 1 }), ErrInvalidVersion, "expected version 0, got 1"},
		{"length too large", mod(func(b *kzg4844.Blob) { b[2], b[3], b[4] = 0x01, 0xFB, 0xFD }), ErrInvalidLength, "130045"},
		{"max uint24 length", mod(func(b *kzg4844.Blob) { b[2], b[3], b[4] = 0xFF, 0xFF, 0xFF }), ErrInvalidLength, ""},
		{"top bit of element 1", mod(func(b *kzg4844.Blob) { b[32] |= 0x80 }), ErrInvalidFieldElement, "element 1"},
		{"second bit of element 4095", mod(func(b *kzg4844.Blob) { b[4095*32] = 0x40 }), ErrExtraneousData, "element 4095"},
		{"byte past length", mod(func(b *kzg4844.Blob) { b[5+10] = 1 }), ErrExtraneousData, ""},
		{"data in last element", mod(func(b *kzg4844.Blob) { b[len(b)-1] = 1 }), ErrExtraneousData, ""},
		{"head bits of unused element", mod(func(b *kzg4844.Blob) { b[1000*32] = 0x01 }), ErrExtraneousData, ""},
		{"shorter length", mod(func(b *kzg4844.Blob) { b[4]-- }), ErrExtraneousData, ""},
		{"nil", nil, nil, "nil blob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Decode(tt.blob)
			if err == nil {
				t.Fatalf("decoded %d bytes", len(out))
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q lacks %q", err, tt.msg)
			}
		})
	}
	// A longer declared length over zero bytes is valid: the data just ends
	// in zeros.
	longer := mod(func(b *kzg4844.Blob) { b[4]++ })
	if got, err := Decode(longer); err != nil || !bytes.Equal(got, append([]byte("hello blob"), 0)) {
		t.Fatalf("longer length: %q, %v", got, err)
	}
}

// TestMainnetFrameBlob decodes real OP Mainnet batcher calldata packed into a
// blob by the reference encoder, and packs it again.
func TestMainnetFrameBlob(t *testing.T) {
	raw := vectors.ReadHex(t, mainnetBlobPath)
	var want struct {
		BlobKeccak    common.Hash `json:"blob_keccak"`
		DecodedKeccak common.Hash `json:"decoded_keccak"`
		DecodedLen    int         `json:"decoded_len"`
		Commitment    string      `json:"kzg_commitment"`
		VersionedHash common.Hash `json:"versioned_hash"`
	}
	if err := json.Unmarshal(vectors.Read(t, "expected/op_mainnet_calldata_frame_as_blob.json"), &want); err != nil {
		t.Fatal(err)
	}
	if len(raw) != blobSize || crypto.Keccak256Hash(raw) != want.BlobKeccak {
		t.Fatalf("blob vector: %d bytes, keccak %s", len(raw), crypto.Keccak256Hash(raw))
	}
	var b kzg4844.Blob
	copy(b[:], raw)
	data, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != want.DecodedLen || len(data) != 119_823 || crypto.Keccak256Hash(data) != want.DecodedKeccak {
		t.Fatalf("decoded %d bytes, keccak %s", len(data), crypto.Keccak256Hash(data))
	}
	if data[0] != 0 {
		t.Fatalf("decoded data starts with %d, want derivation version 0", data[0])
	}
	enc, err := Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	if *enc != b {
		t.Fatal("re-encoding differs from the reference blob")
	}
	commit, err := kzg4844.BlobToCommitment(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got := "0x" + common.Bytes2Hex(commit[:]); got != want.Commitment {
		t.Fatalf("commitment %s, want %s", got, want.Commitment)
	}
	if vh := kzg4844.CalcBlobHashV1(sha256.New(), &commit); common.Hash(vh) != want.VersionedHash {
		t.Fatalf("versioned hash %x, want %s", vh, want.VersionedHash)
	}
}

// TestGoerliSidecarsAreNotOPBlobs checks real, non-OP blobs fail decoding
// with the reference's error.
func TestGoerliSidecarsAreNotOPBlobs(t *testing.T) {
	var file struct {
		Data []struct {
			Index string `json:"index"`
			Blob  string `json:"blob"`
		} `json:"data"`
	}
	if err := json.Unmarshal(vectors.Read(t, goerliSidecars), &file); err != nil {
		t.Fatal(err)
	}
	var computed []struct {
		Index string `json:"index"`
		Error string `json:"op_blob_decode_error"`
	}
	if err := json.Unmarshal(vectors.Read(t, "expected/goerli_blob_sidecars_7422094.computed.json"), &computed); err != nil {
		t.Fatal(err)
	}
	if len(file.Data) != 5 || len(computed) != 5 {
		t.Fatalf("%d sidecars, %d expectations", len(file.Data), len(computed))
	}
	for i, sc := range file.Data {
		raw, err := vectors.DecodeHex(sc.Blob)
		if err != nil || len(raw) != blobSize {
			t.Fatalf("sidecar %s: %d bytes, %v", sc.Index, len(raw), err)
		}
		var b kzg4844.Blob
		copy(b[:], raw)
		_, err = Decode(&b)
		if !errors.Is(err, ErrInvalidVersion) {
			t.Fatalf("sidecar %s: got %v, want ErrInvalidVersion", sc.Index, err)
		}
		if err.Error() != computed[i].Error {
			t.Fatalf("sidecar %s: error %q, reference says %q", sc.Index, err, computed[i].Error)
		}
	}
}

func FuzzDecode(f *testing.F) {
	// Seeds are the payload region a mutation works on: the start of a
	// blob; the rest stays as Encode left it.
	small, _ := Encode([]byte("seed"))
	f.Add(small[:256])
	if raw := vectors.TryRead(mainnetBlobPath); raw != nil {
		if b, err := vectors.DecodeHex(string(raw)); err == nil {
			f.Add(b[:1024])
		}
	}
	f.Add(bytes.Repeat([]byte{0x3f}, 128))
	f.Fuzz(func(t *testing.T, head []byte) {
		var b kzg4844.Blob
		copy(b[:], head)
		data, err := Decode(&b)
		if err != nil {
			return
		}
		// Decoding is bijective but for the top two bits of element 0,
		// which op-node ignores: a valid blob re-encodes to itself with
		// them cleared.
		enc, err := Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		b[0] &= 0x3F
		if *enc != b {
			t.Fatal("decoded blob does not re-encode to itself")
		}
	})
}

func FuzzEncode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("hello"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Encode(data)
		if err != nil {
			if len(data) <= MaxDataSize {
				t.Fatal(err)
			}
			return
		}
		got, err := Decode(b)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// TestDecodeFieldElementRules pins which field element bits op-node's
// Blob.ToData (op-service/eth/blob.go) looks at. It reads the head byte of
// element 0 only through a 6-bit mask, so that element's top two bits are
// never checked; every other element of the rounds holding data must have
// them clear; and every byte of the rounds past the data must be zero.
func TestDecodeFieldElementRules(t *testing.T) {
	short := []byte("hello blob")                               // one round
	long := bytes.Repeat([]byte{0xa5}, 2*roundBytes-headerSize) // exactly two rounds
	enc := func(data []byte, f func(b *kzg4844.Blob)) *kzg4844.Blob {
		b, err := Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		f(b)
		return b
	}
	tests := []struct {
		name string
		blob *kzg4844.Blob
		want []byte // nil: rejected with err
		err  error
	}{
		{"element 0 top bit ignored", enc(short, func(b *kzg4844.Blob) { b[0] |= 0x80 }), short, nil},
		{"element 0 second bit ignored", enc(short, func(b *kzg4844.Blob) { b[0] |= 0x40 }), short, nil},
		{"element 0 both top bits ignored", enc(long, func(b *kzg4844.Blob) { b[0] |= 0xC0 }), long, nil},
		{"element 0 top bits ignored in empty blob", enc(nil, func(b *kzg4844.Blob) { b[0] = 0xC0 }), []byte{}, nil},
		{"element 0 low bits past length are data", enc(nil, func(b *kzg4844.Blob) { b[0] = 0xC1 }), nil, ErrExtraneousData},
		{"element 1 top bit", enc(short, func(b *kzg4844.Blob) { b[32] |= 0x80 }), nil, ErrInvalidFieldElement},
		{"element 2 second bit", enc(short, func(b *kzg4844.Blob) { b[64] |= 0x40 }), nil, ErrInvalidFieldElement},
		{"element 3 top bit", enc(short, func(b *kzg4844.Blob) { b[96] |= 0x80 }), nil, ErrInvalidFieldElement},
		{"element 4 top bit in a data round", enc(long, func(b *kzg4844.Blob) { b[128] |= 0x80 }), nil, ErrInvalidFieldElement},
		{"element 7 second bit in a data round", enc(long, func(b *kzg4844.Blob) { b[7*32] |= 0x40 }), nil, ErrInvalidFieldElement},
		{"element 4 top bit past the data rounds", enc(short, func(b *kzg4844.Blob) { b[128] = 0x80 }), nil, ErrExtraneousData},
		{"element 8 top bit past the data rounds", enc(long, func(b *kzg4844.Blob) { b[8*32] = 0x40 }), nil, ErrExtraneousData},
		{"element 4095 top bit past the data rounds", enc(short, func(b *kzg4844.Blob) { b[4095*32] = 0xC0 }), nil, ErrExtraneousData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.blob)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if !bytes.Equal(got, tt.want) {
					t.Fatalf("decoded %x, want %x", got, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("got %v (%d bytes), want %v", err, len(got), tt.err)
			}
		})
	}
}
