// Package derive is the derivation driver: it feeds the deriver plugin L1
// blocks at the configured confirmation depth, hands what it derives to
// engine control, and resets derivation (sync start) after an L1 reorg, a
// plugin restart or an admin request. Through engine control it is what
// moves the safe head; sync start moves every head back on a reset.
package derive

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/backoff"
	"github.com/opalnode/opal/core/enginectl"
	"github.com/opalnode/opal/core/heads"
	"github.com/opalnode/opal/core/l1view"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/metrics"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1source"
	"github.com/opalnode/opal/sdk/rollup"
)

// stepsPerDispatch bounds the work of one step event so that other events
// (gossip, sequencing, RPC) are never starved while derivation catches up.
const stepsPerDispatch = 64

// Deriver is the deriver plugin as the driver uses it.
type Deriver interface {
	Reset(ctx context.Context, req sdkderiver.ResetRequest) error
	AddL1Block(ctx context.Context, block *eth.L1BlockData) error
	Step(ctx context.Context, parent eth.L2BlockRef) (sdkderiver.StepResult, error)
	PayloadInvalid(ctx context.Context, attrs *sdkderiver.DerivedAttributes) error
}

// L1 is the L1 source as derivation reads it.
type L1 interface {
	BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
	BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L1BlockRef, error)
	BlockData(ctx context.Context, req l1source.BlockDataRequest) (*eth.L1BlockData, error)
}

// L2 reads the engine's chain (sync start walks it back).
type L2 interface {
	L2BlockRefByNumber(ctx context.Context, number uint64) (eth.L2BlockRef, error)
	L2BlockRefByHash(ctx context.Context, hash common.Hash) (eth.L2BlockRef, error)
	SystemConfigByL2Hash(ctx context.Context, hash common.Hash) (eth.SystemConfig, error)
}

// Engine is engine control: it applies derived attributes.
type Engine interface {
	ProcessDerived(ctx context.Context, da *sdkderiver.DerivedAttributes) error
	Forkchoice(ctx context.Context) error
	// Settle tells the engine the heads ProcessDerived left for the next
	// build to carry; derivation calls it whenever it stops stepping.
	Settle(ctx context.Context) error
}

// Heads is derivation's access to the heads: it reads them, resets them all
// at once (sync start), and takes pending-safe back to safe when a span is
// dropped before Holocene.
type Heads interface {
	Get() heads.Heads
	Reset(h heads.Heads, reason string) error
	Update(change func(h *heads.Heads), reason string) error
}

// Labels is the L1 view's head.
type Labels interface {
	Head() eth.L1BlockRef
}

// Scheduler asks the loop for another step.
type Scheduler interface {
	RequestStep()
}

// Observer is told, in order, every input the driver gives the deriver
// and every block it derives (A/B shadow mode mirrors them to a second
// deriver). It runs on the loop goroutine and must not block.
type Observer interface {
	// Reset: the deriver was reset with req.
	Reset(req sdkderiver.ResetRequest)
	// Fed: the deriver was given this L1 block.
	Fed(block *eth.L1BlockData)
	// Derived: the deriver derived da on parent and engine control applied
	// it as next.
	Derived(parent eth.L2BlockRef, da *sdkderiver.DerivedAttributes, next eth.L2BlockRef)
	// Invalid: the engine rejected da on parent and the deriver was told.
	Invalid(parent eth.L2BlockRef, da *sdkderiver.DerivedAttributes)
}

// Config of the driver.
type Config struct {
	Rollup  *rollup.Config
	Deriver Deriver
	L1      L1
	L2      L2
	Engine  Engine
	Heads   Heads
	Labels  Labels
	Loop    Scheduler
	Log     hclog.Logger
	Metrics *metrics.Metrics
	// Confs is the L1 confirmation depth before a block is read.
	Confs uint64
	// OnReorg is told the L1 number below which derived data is still good
	// after an L1 reorg moved the safe head back (the safe-head index).
	OnReorg func(l1Number uint64)
	// Observer, when set, is told the deriver's inputs and outputs.
	Observer Observer
	// StopAt, when set, is an L2 timestamp derivation never applies a
	// block at or past: it halts there with StopErr (a chain that left the
	// OP Stack, a fork this opal does not implement).
	StopAt  *uint64
	StopErr error
}

// Derivation is the driver. It runs on the loop goroutine.
type Derivation struct {
	cfg     *rollup.Config
	deriver Deriver
	l1      L1
	eng     Engine
	heads   Heads
	view    Labels
	sync    *syncStart
	lp      Scheduler
	log     hclog.Logger
	metrics *metrics.Metrics
	confs   uint64
	obs     Observer
	stopAt  *uint64
	stopErr error

	needReset bool
	// unapplied: attributes the engine could not take for a temporary
	// reason (unreachable, syncing). The deriver handed them out already
	// and will not again, so they are applied before it is stepped.
	unapplied *sdkderiver.DerivedAttributes
	halted    error
	// haltedPub is halted, for readers off the loop (Halted).
	haltedPub atomic.Pointer[error]
	next      uint64         // number of the next L1 block to feed
	lastFed   eth.L1BlockRef // the last L1 block fed (its hash is the next one's parent)
	origin    eth.L1BlockRef // how far the deriver has read
	retryAt   time.Time
	retry     backoff.Backoff
}

// New returns a driver that resets derivation on its first step.
func New(c Config) *Derivation {
	if c.Log == nil {
		c.Log = hclog.NewNullLogger()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New()
	}
	return &Derivation{
		cfg: c.Rollup, deriver: c.Deriver, l1: c.L1, eng: c.Engine, heads: c.Heads, view: c.Labels, lp: c.Loop,
		log: c.Log, metrics: c.Metrics, confs: c.Confs, obs: c.Observer, stopAt: c.StopAt, stopErr: c.StopErr, needReset: true,
		retry: backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second},
		sync:  &syncStart{cfg: c.Rollup, l1: c.L1, l2: c.L2, heads: c.Heads, log: c.Log, onReorg: c.OnReorg},
	}
}

// Halted is why derivation stopped for good (a critical error, or the
// configured stop), nil while it goes on. Safe to call off the loop.
func (d *Derivation) Halted() error {
	if p := d.haltedPub.Load(); p != nil {
		return *p
	}
	return nil
}

func (d *Derivation) halt(err error) {
	d.halted = err
	d.haltedPub.Store(&err)
}

// Origin is how far the deriver has read L1 (sync status's current_l1).
func (d *Derivation) Origin() eth.L1BlockRef { return d.origin }

// RequestReset makes the next step reset derivation (admin).
func (d *Derivation) RequestReset() {
	d.needReset = true
	d.lp.RequestStep()
}

// OnEvent implements loop.Handler.
func (d *Derivation) OnEvent(ctx context.Context, ev loop.Event) {
	switch e := ev.(type) {
	case loop.Step:
		d.step(ctx)
	case pluginhost.Restarted:
		if r := e; r.Kind == sdk.Deriver || r.Kind == sdk.Engine {
			d.log.Info("plugin restarted, resetting derivation", "kind", r.Kind)
			d.needReset = true
			d.lp.RequestStep()
		}
	case l1view.HeadChanged:
		if e.Label == eth.Unsafe && e.Ref.Number < d.lastFed.Number {
			// The L1 head went below what we fed: an L1 reorg.
			d.needReset = true
		}
	}
}

// retryLater schedules a step after a growing delay (temporary errors).
func (d *Derivation) retryLater(err error) {
	delay := d.retry.Next()
	d.retryAt = time.Now().Add(delay)
	d.log.Warn("derivation paused after a temporary error", "err", err, "retry_in", delay)
	time.AfterFunc(delay, d.lp.RequestStep)
}

func (d *Derivation) step(ctx context.Context) {
	if d.halted != nil || time.Now().Before(d.retryAt) {
		return
	}
	// When derivation stops stepping (caught up with L1, waiting to retry,
	// halted), the engine learns the heads it derived. While it goes on,
	// each build's forkchoiceUpdated carries them instead.
	behind := false
	defer func() {
		if behind {
			return
		}
		if err := d.eng.Settle(ctx); err != nil && ctx.Err() == nil && d.halted == nil {
			d.retryLater(fmt.Errorf("telling the engine the derived heads: %w", err))
		}
	}()
	if d.needReset {
		if err := d.reset(ctx); err != nil {
			d.handleErr(ctx, "reset", err)
			return
		}
	}
	for i := 0; i < stepsPerDispatch; i++ {
		parent := d.heads.Get().PendingSafe
		var res sdkderiver.StepResult
		if u := d.unapplied; u != nil && u.Parent == parent {
			res = sdkderiver.StepResult{Outcome: sdkderiver.Attributes, Attributes: u, Origin: d.origin}
		} else {
			var err error
			if res, err = d.deriver.Step(ctx, parent); err != nil {
				d.handleErr(ctx, "step", err)
				return
			}
		}
		d.unapplied = nil
		d.origin = res.Origin
		d.metrics.DerivationOrigin.Set(float64(res.Origin.Number))
		switch res.Outcome {
		case sdkderiver.Attributes:
			if err := checkAttributes(res.Attributes, parent); err != nil {
				// Never applied: a deriver's answer is checked like any
				// other input from outside. Reset it, as after a restart.
				d.log.Error("deriver fault: its attributes are not applied", "parent", parent, "err", err)
				d.handleErr(ctx, "step", fmt.Errorf("deriver fault: %v: %w", err, eth.ErrReset))
				return
			}
			if d.stopAt != nil && res.Attributes.Attributes.Timestamp >= *d.stopAt {
				d.halt(fmt.Errorf("derivation stopped: %w", d.stopErr))
				d.log.Error("derivation halted: the next block is past where this opal may derive; the node keeps serving the chain up to it",
					"parent", parent, "timestamp", res.Attributes.Attributes.Timestamp, "err", d.stopErr)
				return
			}
			err := d.eng.ProcessDerived(ctx, res.Attributes)
			if errors.Is(err, enginectl.ErrPayloadInvalid) && depositsOnly(res.Attributes.Attributes) {
				// Deposits cannot fail in the engine, so a block of them
				// that is invalid has no replacement: op-node halts here
				// too (EngDeriver.onBuildInvalid, "deposit only block was
				// invalid"). Rebuilding it would loop forever.
				d.handleErr(ctx, "process attributes", fmt.Errorf("the engine rejected a block of deposits only on %s: %v: %w", parent, err, eth.ErrCritical))
				return
			}
			if errors.Is(err, enginectl.ErrPayloadInvalid) && !d.cfg.IsHolocene(res.Attributes.DerivedFrom.Time) {
				// Before Holocene a span batch is valid or invalid as a
				// whole: its blocks applied so far go too, pending-safe
				// back to safe (op-node's onBuildInvalid); the deriver then
				// finds another batch for the safe head.
				if err := d.heads.Update(func(h *heads.Heads) { h.PendingSafe = h.Safe }, "derived block invalid: span dropped"); err != nil {
					d.handleErr(ctx, "payload invalid", err)
					return
				}
			}
			if errors.Is(err, enginectl.ErrPayloadInvalid) {
				d.log.Warn("engine rejected derived attributes; telling the deriver", "parent", parent, "err", err)
				if err := d.deriver.PayloadInvalid(ctx, res.Attributes); err != nil {
					d.handleErr(ctx, "payload invalid", err)
					return
				}
				if d.obs != nil {
					d.obs.Invalid(parent, res.Attributes)
				}
				continue
			}
			if err != nil {
				if !errors.Is(err, eth.ErrReset) && !errors.Is(err, eth.ErrCritical) {
					// Temporary: the same attributes are applied on retry.
					d.unapplied = res.Attributes
				}
				d.handleErr(ctx, "process attributes", err)
				return
			}
			if d.obs != nil {
				d.obs.Derived(parent, res.Attributes, d.heads.Get().PendingSafe)
			}
		case sdkderiver.More:
		case sdkderiver.NeedL1:
			fed, err := d.feed(ctx)
			if err != nil {
				d.handleErr(ctx, "feed L1", err)
				return
			}
			if !fed {
				d.retry.Reset()
				return // idle until the L1 head moves
			}
		}
	}
	d.retry.Reset()
	behind = true
	d.lp.RequestStep() // still behind: keep stepping without a timer
}

// handleErr sorts derivation errors: reset, retry later, or halt.
func (d *Derivation) handleErr(ctx context.Context, what string, err error) {
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, eth.ErrReset):
		d.log.Warn("derivation reset", "during", what, "err", err)
		d.metrics.Resets.Inc()
		d.needReset = true
		d.lp.RequestStep()
	case errors.Is(err, eth.ErrCritical):
		d.halt(fmt.Errorf("%s: %w", what, err))
		d.log.Error("derivation halted on a critical error; the node keeps serving but derives no further", "err", err)
	default:
		d.retryLater(fmt.Errorf("%s: %w", what, err))
	}
}

// feed gives the deriver the next L1 block, if L1 has it at the required
// confirmation depth. It returns false when there is nothing to feed yet.
func (d *Derivation) feed(ctx context.Context) (bool, error) {
	head := d.view.Head()
	if head.Number < d.confs || d.next > head.Number-d.confs {
		return false, nil
	}
	data, err := d.l1.BlockData(ctx, l1source.BlockDataRequest{
		Number:       d.next,
		BatchInbox:   d.cfg.BatchInboxAddress,
		LogAddresses: []common.Address{d.cfg.DepositContractAddress, d.cfg.L1SystemConfigAddress},
		Blobs:        true,
	})
	if errors.Is(err, eth.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ref := data.Ref()
	if ref.ParentHash != d.lastFed.Hash {
		return false, fmt.Errorf("L1 block %s does not build on %s: %w", ref, d.lastFed, eth.ErrReset)
	}
	if err := d.deriver.AddL1Block(ctx, data); err != nil {
		return false, err
	}
	if d.obs != nil {
		d.obs.Fed(data)
	}
	d.lastFed = ref
	d.next = ref.Number + 1
	d.metrics.L1BlocksFed.Inc()
	return true, nil
}

// reset positions the deriver from the current safe head (sync-start).
func (d *Derivation) reset(ctx context.Context) error {
	start, err := d.sync.find(ctx)
	if err != nil {
		return err
	}
	if err := d.heads.Reset(start.heads, "derivation reset"); err != nil {
		return err
	}
	d.unapplied = nil // the deriver derives them again from the new start
	if err := d.deriver.Reset(ctx, start.req); err != nil {
		return fmt.Errorf("deriver reset: %w", err)
	}
	if d.obs != nil {
		d.obs.Reset(start.req)
	}
	d.next = start.req.L1Start.Number
	d.lastFed = eth.L1BlockRef{Hash: start.req.L1Start.ParentHash, Number: start.req.L1Start.Number - 1}
	if start.req.L1Start.Number == 0 {
		d.lastFed = eth.L1BlockRef{}
	}
	d.needReset = false
	d.log.Info("derivation reset", "safe", start.heads.Safe, "unsafe", start.heads.Unsafe, "l1_start", start.req.L1Start)
	if err := d.eng.Settle(ctx); err != nil {
		d.log.Warn("forkchoiceUpdated after reset", "err", err)
	}
	return nil
}

// depositsOnly reports whether every transaction of the attributes is a
// deposit (EIP-2718 type 0x7E).
func depositsOnly(a *eth.PayloadAttributes) bool {
	for _, tx := range a.Transactions {
		if len(tx) == 0 || tx[0] != types.DepositTxType {
			return false
		}
	}
	return true
}

// checkAttributes checks what a deriver claims to have derived: attributes
// there, for the parent it was given, with the next timestamp.
func checkAttributes(da *sdkderiver.DerivedAttributes, parent eth.L2BlockRef) error {
	switch {
	case da == nil || da.Attributes == nil:
		return errors.New("an attributes outcome without attributes")
	case da.Parent != parent:
		return fmt.Errorf("attributes for parent %s, asked for %s", da.Parent, parent)
	case da.Attributes.Timestamp <= parent.Time:
		return fmt.Errorf("attributes with timestamp %d, not after the parent's %d", da.Attributes.Timestamp, parent.Time)
	}
	return nil
}
