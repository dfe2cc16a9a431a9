package pipeline

import (
	"context"
	"testing"

	"github.com/opalnode/opal/plugins/deriver/postexec"
	"github.com/opalnode/opal/sdk/rollup"
)

// postExecTx is a well-formed post-exec transaction for L2 block number.
func postExecTx(t testing.TB, number uint64, entries ...postexec.Entry) []byte {
	t.Helper()
	b, err := postexec.Encode(&postexec.Payload{Version: postexec.Version, BlockNumber: number, Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Lagoon rules of a batch, before and after activation: the activation
// block takes no user transactions, and post-exec transactions (0x7D) are
// dropped before Lagoon and checked after it, in singular and span batches.
func TestCheckLagoonRules(t *testing.T) {
	t.Parallel()
	l1 := l1Refs(10)
	safe := l2Ref(3, l1[0], 3) // next block: 4, at genesis+8
	lagoonAt := func(ts uint64) forkTimes { f := allForks("karst"); f.lagoon = u64(ts); return f }
	active := allForks("lagoon")
	next := safe.Time + 2
	user := l2Tx(t, 0)
	refund := postexec.Entry{Index: 1, GasRefund: 5000}
	good := postExecTx(t, 4, refund)

	cases := []struct {
		name  string
		forks forkTimes
		txs   [][]byte
		want  validity
	}{
		{"activation block with a user tx", lagoonAt(next), [][]byte{user}, batchDrop},
		{"activation block with a post-exec tx", lagoonAt(next), [][]byte{good}, batchDrop},
		{"activation block empty", lagoonAt(next), nil, batchAccept},
		{"activation not on a slot: the next block activates", lagoonAt(next - 1), [][]byte{user}, batchDrop},
		{"after the activation block", lagoonAt(safe.Time), [][]byte{user}, batchAccept},
		{"post-exec before lagoon", lagoonAt(next + 2), [][]byte{user, good}, batchDrop},
		{"post-exec with lagoon unscheduled", allForks("karst"), [][]byte{user, good}, batchDrop},
		{"post-exec last", active, [][]byte{user, good}, batchAccept},
		{"post-exec alone", active, [][]byte{postExecTx(t, 4)}, batchAccept},
		{"post-exec not last", active, [][]byte{good, user}, batchDrop},
		{"two post-exec", active, [][]byte{user, good, good}, batchDrop},
		{"post-exec for another block", active, [][]byte{user, postExecTx(t, 5, refund)}, batchDrop},
		{"post-exec zero refund", active, [][]byte{user, postExecTx(t, 4, postexec.Entry{Index: 0, GasRefund: 0})}, batchDrop},
		{"post-exec repeated index", active, [][]byte{user, postExecTx(t, 4, refund, refund)}, batchDrop},
		{"post-exec trailing bytes", active, [][]byte{user, append(append([]byte(nil), good...), 0x80)}, batchDrop},
		{"post-exec version 2", active, [][]byte{user, func() []byte {
			b, _ := postexec.Encode(&postexec.Payload{Version: 2, BlockNumber: 4})
			return b
		}()}, batchDrop},
	}
	for _, tc := range cases {
		t.Run("singular/"+tc.name, func(t *testing.T) {
			t.Parallel()
			c := newChecker(testConfig(l1[0], tc.forks), nil)
			if got := c.checkSingular(l1[:2], safe, singular(4, l1[0], tc.txs...), l1[2]); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
		t.Run("span/"+tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(l1[0], tc.forks)
			// Block 4 carries the case's transactions and block 5 none; the
			// span is built with valid 0x7D columns so that only the rules
			// under test can drop it.
			s := spanWithTxs(t, cfg, tc.txs)
			if got := newChecker(cfg, &fakeSafe{}).checkSpan(context.Background(), l1[:2], safe, s, l1[2]); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// spanWithTxs builds the span batch of blocks 4 and 5 on epoch 0, block 4
// with txs. Transactions a span cannot encode (malformed post-exec ones)
// are put into the decoded block directly.
func spanWithTxs(t *testing.T, cfg *rollup.Config, txs [][]byte) *spanBatch {
	t.Helper()
	l1 := l1Refs(1)
	var encodable [][]byte
	for _, tx := range txs {
		if len(tx) > 0 && tx[0] == postexec.TxType {
			if _, err := postexec.Decode(tx); err != nil {
				s := spanOf(t, cfg, []uint64{4, 5}, singular(4, l1[0]), singular(5, l1[0]))
				s.blocks[0].Transactions = txs
				return s
			}
		}
		encodable = append(encodable, tx)
	}
	return spanOf(t, cfg, []uint64{4, 5}, singular(4, l1[0], encodable...), singular(5, l1[0]))
}
