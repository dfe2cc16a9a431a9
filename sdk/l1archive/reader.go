package l1archive

import (
	"bufio"
	"bytes"
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

// Reader reads an archive block by block, checking as it goes.
type Reader struct {
	f   *os.File
	in  *bufio.Reader
	sum hash.Hash
	off int64

	hdr   Header
	count uint64
	last  common.Hash
	done  bool
	err   error
}

// Open opens an archive and reads its header.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("l1archive: %w", err)
	}
	r := &Reader{f: f, in: bufio.NewReaderSize(f, 1<<20), sum: sha256.New()}
	if err := r.readHeader(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Header is the archive's header.
func (r *Reader) Header() Header { return r.hdr }

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// read fills b, hashing it. A short read is corruption (truncation).
func (r *Reader) read(b []byte, what string) error {
	n, err := io.ReadFull(r.in, b)
	r.sum.Write(b[:n])
	r.off += int64(n)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corrupt(r.off, "file ends inside the %s (truncated)", what)
	}
	return err
}

func (r *Reader) readHeader() error {
	head := make([]byte, len(Magic)+2)
	if err := r.read(head, "magic"); err != nil {
		return err
	}
	if string(head[:len(Magic)]) != Magic {
		return corrupt(0, "not an L1 archive (bad magic %q)", head[:len(Magic)])
	}
	if v := binary.BigEndian.Uint16(head[len(Magic):]); v != Version {
		return fmt.Errorf("L1 archive format version %d; this build reads version %d", v, Version)
	}
	js, err := r.frame(maxHeaderLen, "header")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(js, &r.hdr); err != nil {
		return corrupt(r.off, "header: %v", err)
	}
	if err := r.hdr.check(); err != nil {
		return corrupt(r.off, "header: %v", err)
	}
	return nil
}

// frame reads one length-prefixed, checksummed payload. It reports the
// trailer mark as (nil, nil).
func (r *Reader) frame(max int, what string) ([]byte, error) {
	start := r.off
	var n [4]byte
	if err := r.read(n[:], what+" length"); err != nil {
		return nil, err
	}
	size := be32(n[:])
	if size == trailerMark {
		return nil, nil
	}
	if size > uint32(max) {
		return nil, corrupt(start, "%s length %d exceeds the limit %d", what, size, max)
	}
	payload := make([]byte, size)
	if err := r.read(payload, what); err != nil {
		return nil, err
	}
	if err := r.read(n[:], what+" checksum"); err != nil {
		return nil, err
	}
	if got := crc32.Checksum(payload, crcTable); got != be32(n[:]) {
		return nil, corrupt(start, "%s checksum mismatch (stored %08x, computed %08x)", what, be32(n[:]), got)
	}
	return payload, nil
}

// Next returns the next block, or io.EOF after the last one once the
// trailer has checked out. Any other error is final.
func (r *Reader) Next() (*eth.L1BlockData, error) {
	if r.err != nil {
		return nil, r.err
	}
	d, err := r.next()
	if err != nil {
		r.err = err
	}
	return d, err
}

func (r *Reader) next() (*eth.L1BlockData, error) {
	if r.done {
		return nil, io.EOF
	}
	num := r.hdr.From + r.count
	start := r.off
	comp, err := r.frame(maxRecordLen, fmt.Sprintf("record of block %d", num))
	if err != nil {
		return nil, err
	}
	if comp == nil {
		return nil, r.trailer(start)
	}
	if r.count == r.hdr.Blocks() {
		return nil, corrupt(start, "a record after the header's last block %d", r.hdr.To)
	}
	if n, err := snappy.DecodedLen(comp); err != nil || n > maxRecordLen {
		return nil, corrupt(start, "record of block %d: bad compressed length", num)
	}
	raw, err := snappy.Decode(nil, comp)
	if err != nil {
		return nil, corrupt(start, "record of block %d: %v", num, err)
	}
	d, err := decodeRecord(raw)
	if err != nil {
		return nil, corrupt(start, "record of block %d: %v", num, err)
	}
	if got := d.Header.Number.Uint64(); got != num {
		return nil, corrupt(start, "record holds block %d, want %d", got, num)
	}
	if r.count > 0 && d.Header.ParentHash != r.last {
		return nil, corrupt(start, "block %d does not build on block %d", num, num-1)
	}
	r.count++
	r.last = d.Header.Hash()
	return d, nil
}

// trailer checks the block count and the digest of the file.
func (r *Reader) trailer(start int64) error {
	var cnt [8]byte
	if err := r.read(cnt[:], "trailer"); err != nil {
		return err
	}
	want := r.sum.Sum(nil)
	got := make([]byte, sha256.Size)
	n, err := io.ReadFull(r.in, got)
	r.off += int64(n)
	if err != nil {
		return corrupt(r.off, "file ends inside the trailer's digest (truncated)")
	}
	if c := binary.BigEndian.Uint64(cnt[:]); c != r.count || c != r.hdr.Blocks() {
		return corrupt(start, "trailer counts %d blocks; read %d, the header's range has %d", c, r.count, r.hdr.Blocks())
	}
	if !bytes.Equal(got, want) {
		return corrupt(start, "SHA-256 digest mismatch")
	}
	if _, err := r.in.ReadByte(); err != io.EOF {
		return corrupt(r.off, "bytes after the trailer")
	}
	r.done = true
	return io.EOF
}

// Verify reads the whole archive at path and checks it, returning its
// header and block count.
func Verify(path string) (Header, error) {
	r, err := Open(path)
	if err != nil {
		return Header{}, err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err == io.EOF {
			return r.hdr, nil
		} else if err != nil {
			return r.hdr, fmt.Errorf("%s: %w", path, err)
		}
	}
}
