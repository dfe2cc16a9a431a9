package node

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// Gossiped payloads are inserted in order whatever order they arrive in,
// and payloads at or below the safe head are ignored.
func TestUnsafePayloadsOrderedAndIgnored(t *testing.T) {
	chain := sdktest.NewL1Chain(0) // nothing to derive: gossip alone moves unsafe
	n, _, _ := fakeNodeWith(t, t.TempDir(), chain, nil)
	genesis := n.Heads().Safe
	// Build three blocks on an engine of the same chain elsewhere.
	other := sdktest.NewFakeEngine(genesis)
	ctl := &engineCtl{engine: func() engineIface { return other }, heads: n.heads}
	ctx := context.Background()
	var envs []*eth.ExecutionPayloadEnvelope
	parent := genesis
	for i := 0; i < 3; i++ {
		// The first tx names a canonical L1 origin (the fake engine decodes
		// it), as a real L1-info deposit would.
		a := attrsFor(parent, 0)
		marker := append([]byte{eth.DepositTxType}, chain.Blocks[0].Hash().Bytes()...)
		marker = binary.BigEndian.AppendUint64(marker, 0)
		marker = binary.BigEndian.AppendUint64(marker, parent.Number+1)
		marker = binary.BigEndian.AppendUint64(marker, parent.Number+1)
		a.Transactions = [][]byte{marker}
		env, err := ctl.build(ctx, parent, a)
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env)
		p := env.ExecutionPayload
		parent = eth.L2BlockRef{Hash: p.BlockHash, Number: p.BlockNumber, ParentHash: p.ParentHash, Time: p.Timestamp}
	}
	for _, i := range []int{2, 0} {
		if err := n.lp.Emit(ctx, UnsafePayload{Envelope: envs[i], Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "unsafe head 1", func() bool { return n.Heads().Unsafe.Number == 1 })
	if err := n.lp.Emit(ctx, UnsafePayload{Envelope: envs[1], Source: "test"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "unsafe head 3", func() bool { return n.Heads().Unsafe.Number == 3 })
	if got := n.Heads().Unsafe.Hash; got != envs[2].ExecutionPayload.BlockHash {
		t.Fatalf("unsafe head %s, want %s", got, envs[2].ExecutionPayload.BlockHash)
	}
	// A block at the safe height is ignored.
	gen := &eth.ExecutionPayloadEnvelope{ExecutionPayload: &eth.ExecutionPayload{BlockHash: genesis.Hash, BlockNumber: 0}}
	if err := n.lp.Emit(ctx, UnsafePayload{Envelope: gen, Source: "test"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ignored payload counted", func() bool {
		return testCounterVec(n.metrics.UnsafePayloads, "below_safe") == 1
	})
	if n.Heads().Safe.Number != 0 || n.Heads().Unsafe.Number != 3 {
		t.Fatalf("heads moved: %+v", n.Heads())
	}
}
