package heads

import (
	"encoding/json"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/opalnode/opal/sdk/eth"
)

// Writer persists heads and safe-head index entries in the background with
// group commit: each commit writes the newest heads and every index change
// made since the previous commit in one transaction, so one fsync covers
// all of them. A node catching up derives a block every few milliseconds;
// an fsync per change made the store its bottleneck (the 600-block
// reference chain took 16 s with two fsyncs per block, 4.7 s with none).
//
// What a crash can lose is the last changes not yet committed; the store
// always holds a complete snapshot that satisfies the invariants, and the
// node restarts from it (re-deriving the few blocks after it).
type Writer struct {
	st *Store

	mu      sync.Mutex
	heads   *Heads
	ops     []indexOp
	err     error
	pending bool
	flushed *sync.Cond

	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

// indexOp is a safe-head index change: a record, or a truncation when
// truncate is set.
type indexOp struct {
	entry    SafeHeadEntry
	truncate bool
	after    uint64
}

// NewWriter starts a writer on st.
func NewWriter(st *Store) *Writer {
	w := &Writer{st: st, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	w.flushed = sync.NewCond(&w.mu)
	go w.run()
	return w
}

func (w *Writer) signal() {
	w.pending = true
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// SaveHeads queues the heads; it returns the error of an earlier commit, if
// any, so a failing disk is noticed.
func (w *Writer) SaveHeads(h Heads) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.heads = &h
	w.signal()
	return w.err
}

// RecordSafeHead queues a safe-head index entry.
func (w *Writer) RecordSafeHead(l1, l2 eth.BlockID) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ops = append(w.ops, indexOp{entry: SafeHeadEntry{L1: l1, SafeL2: l2}})
	w.signal()
	return w.err
}

// TruncateSafeHeads queues dropping the entries of L1 blocks after l1Number.
func (w *Writer) TruncateSafeHeads(l1Number uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ops = append(w.ops, indexOp{truncate: true, after: l1Number})
	w.signal()
	return w.err
}

// Flush waits until everything queued so far is committed.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.pending {
		select {
		case <-w.done:
			return w.err
		default:
		}
		w.flushed.Wait()
	}
	return w.err
}

// Close commits what is queued and stops the writer.
func (w *Writer) Close() error {
	close(w.quit)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) run() {
	defer close(w.done)
	for {
		select {
		case <-w.wake:
			w.commit()
		case <-w.quit:
			w.commit()
			w.mu.Lock()
			w.flushed.Broadcast()
			w.mu.Unlock()
			return
		}
	}
}

func (w *Writer) commit() {
	w.mu.Lock()
	h, ops := w.heads, w.ops
	w.heads, w.ops = nil, nil
	w.mu.Unlock()
	var err error
	if h != nil || len(ops) > 0 {
		err = w.st.db.Update(func(tx *bolt.Tx) error {
			if h != nil {
				b, err := json.Marshal(h)
				if err != nil {
					return err
				}
				if err := tx.Bucket(bucketMeta).Put(keyHeads, b); err != nil {
					return err
				}
			}
			idx := tx.Bucket(bucketSafeDB)
			for _, op := range ops {
				if op.truncate {
					if err := truncateAfter(idx, op.after); err != nil {
						return err
					}
					continue
				}
				b, err := json.Marshal(op.entry)
				if err != nil {
					return err
				}
				if err := idx.Put(l1Key(op.entry.L1.Number), b); err != nil {
					return err
				}
			}
			return nil
		})
	}
	w.mu.Lock()
	if err != nil {
		w.err = err
	}
	if w.heads == nil && len(w.ops) == 0 {
		w.pending = false
	}
	w.flushed.Broadcast()
	w.mu.Unlock()
}
