package l1archive

import (
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"

	"github.com/opalnode/opal/sdk/eth"
)

var inbox = common.HexToAddress("0xff00000000000000000000000000000000000901")

// chain makes n linked blocks from number from; every other block has a
// batcher tx, a receipt with a log and a blob.
func chain(from uint64, n int) []*eth.L1BlockData {
	var out []*eth.L1BlockData
	parent := common.Hash{0x01}
	for i := range n {
		h := &types.Header{ParentHash: parent, Number: new(big.Int).SetUint64(from + uint64(i)), Time: 1000 + 12*uint64(i),
			Difficulty: new(big.Int), BaseFee: big.NewInt(7), GasLimit: 30_000_000, Extra: []byte("l1")}
		d := &eth.L1BlockData{Header: h}
		if i%2 == 0 {
			blob := new(kzg4844.Blob)
			blob[1], blob[len(blob)-1] = byte(i), 0xAB
			d.BatcherTxs = []eth.L1Tx{{Index: 3, Raw: []byte{0x03, byte(i), 0xff}}}
			d.Receipts = []eth.Receipt{{TxIndex: 1, Status: 1, Logs: []eth.Log{{Address: common.Address{0x42},
				Topics: []common.Hash{{0x11}, {0x22}}, Data: []byte{byte(i)}, Index: 5}}}}
			d.Blobs = []eth.Blob{{VersionedHash: common.Hash{0x01, byte(i)}, Data: blob}}
		}
		out = append(out, d)
		parent = h.Hash()
	}
	return out
}

func header(from uint64, n int) Header {
	return Header{L1ChainID: 900, From: from, To: from + uint64(n) - 1, BatchInbox: inbox,
		LogAddresses: []common.Address{{0x42}}, Blobs: true, L2ChainID: 901, CreatedBy: "test"}
}

func write(t *testing.T, path string, h Header, blocks []*eth.L1BlockData) {
	t.Helper()
	w, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if err := w.Add(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(path string) (Header, []*eth.L1BlockData, error) {
	r, err := Open(path)
	if err != nil {
		return Header{}, nil, err
	}
	defer r.Close()
	var out []*eth.L1BlockData
	for {
		d, err := r.Next()
		if err == io.EOF {
			return r.Header(), out, nil
		}
		if err != nil {
			return r.Header(), out, err
		}
		out = append(out, d)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.l1a")
	blocks := chain(100, 9)
	write(t, path, header(100, 9), blocks)
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
	h, got, err := readAll(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h, header(100, 9)) {
		t.Fatalf("header %+v", h)
	}
	if len(got) != len(blocks) {
		t.Fatalf("%d blocks, want %d", len(got), len(blocks))
	}
	for i := range blocks {
		if got[i].Header.Hash() != blocks[i].Header.Hash() {
			t.Fatalf("block %d: header differs", i)
		}
		want := *blocks[i]
		g := *got[i]
		want.Header, g.Header = nil, nil
		if !reflect.DeepEqual(g, want) {
			t.Fatalf("block %d: got %+v, want %+v", i, g, want)
		}
	}
	// Blob data survives byte for byte.
	if got[0].Blobs[0].Data[len(kzg4844.Blob{})-1] != 0xAB {
		t.Fatal("blob data lost")
	}
}

// Every cut of the file, and every flipped byte, is an error wrapping
// ErrCorrupt (never wrong blocks, never a panic).
func TestCorruptAndTruncated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.l1a")
	write(t, path, header(7, 4), chain(7, 4))
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.l1a")
	check := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(bad, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := readAll(bad)
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: %v does not wrap ErrCorrupt", name, err)
		}
	}
	// Cutting anywhere: step through the small parts, sample the blobs.
	for n := 0; n < len(good); n++ {
		if n > 512 && n < len(good)-512 && n%4099 != 0 {
			continue
		}
		check("truncated", good[:n])
	}
	for _, i := range []int{3, len(Magic) + 5, 40, 200, len(good) / 2, len(good) - 40, len(good) - 1} {
		flipped := append([]byte(nil), good...)
		flipped[i] ^= 0x20
		check("flipped", flipped)
	}
	check("extra bytes", append(append([]byte(nil), good...), 0))
}

func TestVersionAndMagic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.l1a")
	write(t, path, header(1, 1), chain(1, 1))
	data, _ := os.ReadFile(path)
	data[len(Magic)+1] = 9
	os.WriteFile(path, data, 0o644)
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Fatalf("version: %v", err)
	}
	os.WriteFile(path, []byte("not an archive at all"), 0o644)
	if _, err := Open(path); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "magic") {
		t.Fatalf("magic: %v", err)
	}
}

func TestWriterChecks(t *testing.T) {
	dir := t.TempDir()
	blocks := chain(10, 3)
	for name, tc := range map[string]struct {
		h    Header
		add  []*eth.L1BlockData
		want string
	}{
		"gap":        {header(10, 3), []*eth.L1BlockData{blocks[0], blocks[2]}, "want 11"},
		"reorg":      {header(10, 3), []*eth.L1BlockData{blocks[0], chain(10, 3)[1], reparent(blocks[2])}, "parent"},
		"past range": {header(10, 1), blocks[:2], "range"},
		"short":      {header(10, 3), blocks[:2], "2 of 3"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			w, err := Create(path, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tc.add {
				if err = w.Add(b); err != nil {
					break
				}
			}
			if err == nil {
				err = w.Close()
			} else {
				w.Abort()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatal("an incomplete archive reached its destination")
			}
			if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
				t.Fatal("temporary file left behind")
			}
		})
	}
	if _, err := Create(filepath.Join(dir, "x"), Header{From: 2, To: 1, BatchInbox: inbox}); err == nil {
		t.Fatal("empty range accepted")
	}
}

func reparent(d *eth.L1BlockData) *eth.L1BlockData {
	h := types.CopyHeader(d.Header)
	h.ParentHash = common.Hash{0xde, 0xad}
	return &eth.L1BlockData{Header: h}
}

func TestVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.l1a")
	write(t, path, header(5, 3), chain(5, 3))
	h, err := Verify(path)
	if err != nil || h.From != 5 || h.To != 7 {
		t.Fatalf("verify: %+v %v", h, err)
	}
}

func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "a.l1a")
	blocks := chain(1, 200)
	w, _ := Create(path, header(1, 200))
	for _, d := range blocks {
		w.Add(d)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := readAll(path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(blocks))/b.Elapsed().Seconds(), "blocks/s")
}
