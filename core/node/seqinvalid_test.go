package node

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// refusing rejects the first payload it is given, and records which
// attributes builds used the tx pool.
type refusing struct {
	engineIface
	mu       sync.Mutex
	refused  int
	noTxPool []bool
}

func (r *refusing) ForkchoiceUpdated(ctx context.Context, st engine.ForkchoiceState, a *eth.PayloadAttributes) (engine.ForkchoiceResult, error) {
	if a != nil {
		r.mu.Lock()
		r.noTxPool = append(r.noTxPool, a.NoTxPool)
		r.mu.Unlock()
	}
	return r.engineIface.ForkchoiceUpdated(ctx, st, a)
}

func (r *refusing) NewPayload(ctx context.Context, env *eth.ExecutionPayloadEnvelope) (engine.PayloadStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused == 0 {
		r.refused++
		return engine.PayloadStatus{Status: engine.StatusInvalid, ValidationError: "test refuses"}, nil
	}
	return r.engineIface.NewPayload(ctx, env)
}

// A built payload the engine refuses is rebuilt with deposits only, and the
// sequencer goes on.
func TestSequencerRebuildsInvalidPayloadWithDepositsOnly(t *testing.T) {
	ref := &refusing{}
	wrapEngine = func(e engineIface) engineIface { ref.engineIface = e; return ref }
	defer func() { wrapEngine = nil }()
	now := uint64(time.Now().Unix())
	n, _, _ := fakeNodeWith(t, t.TempDir(), sdktest.NewL1ChainAt(0, now-6, 0), func(c *config.Config) { c.Sequencer.Enabled = true })
	waitFor(t, "blocks after the refusal", func() bool { return n.Heads().Unsafe.Number >= 3 })
	ref.mu.Lock()
	defer ref.mu.Unlock()
	if len(ref.noTxPool) < 2 || ref.noTxPool[0] || !ref.noTxPool[1] {
		t.Fatalf("builds' noTxPool: %v; want the rebuild after the refusal without the pool", ref.noTxPool)
	}
}
