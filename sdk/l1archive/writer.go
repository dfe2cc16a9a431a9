package l1archive

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"

	"github.com/ethereum/go-ethereum/common"
	"github.com/golang/snappy"

	"github.com/opalnode/opal/sdk/eth"
)

// Writer writes an archive to a temporary file beside its destination and
// moves it into place on Close, so that the destination only ever holds a
// complete archive.
type Writer struct {
	f    *os.File
	path string
	buf  *bufio.Writer
	sum  hash.Hash
	out  io.Writer // buf and sum
	hdr  Header

	count uint64
	last  common.Hash // hash of the last block written
	err   error
}

// Create starts the archive path for the blocks h describes. Add must then
// be called for each block from h.From to h.To, in order, then Close.
func Create(path string, h Header) (*Writer, error) {
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("l1archive: %w", err)
	}
	js, err := json.Marshal(&h)
	if err != nil {
		return nil, fmt.Errorf("l1archive: header: %w", err)
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return nil, fmt.Errorf("l1archive: %w", err)
	}
	w := &Writer{f: f, path: path, buf: bufio.NewWriterSize(f, 1<<20), sum: sha256.New(), hdr: h}
	w.out = io.MultiWriter(w.buf, w.sum)
	w.write([]byte(Magic))
	w.write(binary.BigEndian.AppendUint16(nil, Version))
	w.frame(js)
	if w.err != nil {
		w.Abort()
		return nil, fmt.Errorf("l1archive: %w", w.err)
	}
	return w, nil
}

func (w *Writer) write(b []byte) {
	if w.err == nil {
		_, w.err = w.out.Write(b)
	}
}

// frame writes length, payload and the payload's CRC-32C.
func (w *Writer) frame(payload []byte) {
	w.write(binary.BigEndian.AppendUint32(nil, uint32(len(payload))))
	w.write(payload)
	w.write(binary.BigEndian.AppendUint32(nil, crc32.Checksum(payload, crcTable)))
}

// Add appends the next block. It must be the header's next number and build
// on the block added before it.
func (w *Writer) Add(d *eth.L1BlockData) error {
	if w.err != nil {
		return w.err
	}
	if d == nil || d.Header == nil || d.Header.Number == nil {
		return errors.New("l1archive: block without header")
	}
	want := w.hdr.From + w.count
	if n := d.Header.Number.Uint64(); n != want || want > w.hdr.To {
		return fmt.Errorf("l1archive: got block %d, want %d (range %d..%d)", n, want, w.hdr.From, w.hdr.To)
	}
	if w.count > 0 && d.Header.ParentHash != w.last {
		return fmt.Errorf("l1archive: block %d has parent %s, the archive's block %d is %s (did L1 reorg while recording?)",
			want, d.Header.ParentHash, want-1, w.last)
	}
	raw, err := encodeRecord(d)
	if err != nil {
		return fmt.Errorf("l1archive: block %d: %w", want, err)
	}
	comp := snappy.Encode(nil, raw)
	if len(comp) > maxRecordLen || len(raw) > maxRecordLen {
		return fmt.Errorf("l1archive: block %d is %d bytes, over the format's %d", want, len(raw), maxRecordLen)
	}
	w.frame(comp)
	if w.err != nil {
		return fmt.Errorf("l1archive: block %d: %w", want, w.err)
	}
	w.count++
	w.last = d.Header.Hash()
	return nil
}

// Close writes the trailer, syncs the file and moves it to its destination.
// It fails if not every block of the header's range was added.
func (w *Writer) Close() error {
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if w.count != w.hdr.Blocks() {
		w.Abort()
		return fmt.Errorf("l1archive: %d of %d blocks added", w.count, w.hdr.Blocks())
	}
	w.write(binary.BigEndian.AppendUint32(nil, trailerMark))
	w.write(binary.BigEndian.AppendUint64(nil, w.count))
	if w.err == nil {
		_, w.err = w.buf.Write(w.sum.Sum(nil))
	}
	if w.err == nil {
		w.err = w.buf.Flush()
	}
	if w.err == nil {
		w.err = w.f.Sync()
	}
	if err := w.f.Close(); w.err == nil {
		w.err = err
	}
	if w.err == nil {
		w.err = os.Rename(w.path+".tmp", w.path)
	}
	if w.err != nil {
		os.Remove(w.path + ".tmp")
		return fmt.Errorf("l1archive: %w", w.err)
	}
	return nil
}

// Abort drops the unfinished archive.
func (w *Writer) Abort() {
	if w.err == nil {
		w.err = errors.New("archive aborted")
	}
	w.f.Close()
	os.Remove(w.path + ".tmp")
}
