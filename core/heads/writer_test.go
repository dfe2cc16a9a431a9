package heads

import (
	"testing"

	"github.com/opalnode/opal/sdk/eth"
)

// Queued heads and index changes reach the store in order, in few commits.
func TestWriterGroupsCommits(t *testing.T) {
	t.Parallel()
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := NewWriter(st)
	s, err := New(at(0, 0, 0, 0), w, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(1); n <= 200; n++ {
		if err := s.Update(func(h *Heads) { *h = at(n, n, n, n/2) }, "test"); err != nil {
			t.Fatal(err)
		}
		if err := w.RecordSafeHead(eth.BlockID{Number: n}, eth.BlockID{Number: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.TruncateSafeHeads(150); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	h, ok, err := st.LoadHeads()
	if err != nil || !ok || h != s.Get() {
		t.Fatalf("stored %+v, %v, %v; want %+v", h, ok, err, s.Get())
	}
	if e, err := st.SafeHeadAt(199); err != nil || e.SafeL2.Number != 150 {
		t.Fatalf("index after truncation: %+v %v", e, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
