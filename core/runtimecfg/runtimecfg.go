// Package runtimecfg is the runtime config: what op-node reads from L1
// while it runs rather than from the rollup config. Today that is the
// unsafe block signer, the address the signatures of gossiped blocks must
// recover to, kept in the rollup's SystemConfig storage.
//
// The Loader reads it at the L1 head less the verifier's confirmations, at
// start and then every reload interval (op-node's
// --l1.runtime-config-reload-interval), and hands it to the p2p plugin each
// time; the plugin handles rotations. A failed read is logged and retried
// with backoff; nothing here stops the node. It runs on its own goroutine,
// since the reads go to L1 and must not hold up the loop.
package runtimecfg

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/core/backoff"
	"github.com/opalnode/opal/core/loop"
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/sdk"
	"github.com/opalnode/opal/sdk/eth"
)

// UnsafeBlockSignerSlot is the SystemConfig storage slot of the unsafe
// block signer: keccak256("systemconfig.unsafeblocksigner"). The address is
// the slot's low 20 bytes.
var UnsafeBlockSignerSlot = common.HexToHash("0x65a7ed542fb37fe237fdfbdd70b31598523fe5b32879e307bae27a0bd9581c08")

// Defaults of the Config fields left zero.
const (
	// DefaultCallTimeout bounds each L1 call of a load, as op-node does.
	DefaultCallTimeout = 10 * time.Second
	defaultRetryMin    = 2 * time.Second
	defaultRetryMax    = time.Minute
)

// L1 is what the loader reads: the L1 source (its handle reads storage,
// answering l1source.ErrStorageUnsupported when the plugin cannot).
type L1 interface {
	BlockRefByLabel(ctx context.Context, label eth.BlockLabel) (eth.L1BlockRef, error)
	BlockRefByNumber(ctx context.Context, number uint64) (eth.L1BlockRef, error)
	StorageAt(ctx context.Context, account common.Address, slot, blockHash common.Hash) (common.Hash, error)
}

// SignerSetter takes the signer: the p2p plugin.
type SignerSetter interface {
	SetUnsafeBlockSigner(ctx context.Context, signer common.Address) error
}

// Clock is the loader's time: After fires once, d from now.
type Clock interface {
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config of the loader.
type Config struct {
	L1 L1
	// SystemConfig is the rollup's l1_system_config_address.
	SystemConfig common.Address
	// Confs is how far below the L1 head the slot is read
	// (verifier.l1_confs); at the head while L1 is shorter.
	Confs uint64
	// Interval between reloads; 0 loads once (and again on Reload).
	Interval time.Duration
	// Gossip is given the signer after every load; nil without p2p.
	Gossip SignerSetter
	Log    hclog.Logger
	// CallTimeout bounds each L1 call and the hand-over to the plugin
	// (default DefaultCallTimeout).
	CallTimeout time.Duration
	// Retry is the delay after a failed load, reset by a success (default
	// 2s doubling to 1m, and never beyond Interval).
	Retry backoff.Backoff
	// Clock defaults to the wall clock.
	Clock Clock
	// Report, when set, is told the outcome of every load (tests, metrics).
	Report func(Signer, error)
}

// Signer is a loaded unsafe block signer and the L1 block it was read at.
type Signer struct {
	Address common.Address
	L1      eth.L1BlockRef
}

// Loader loads the runtime config. Start runs it; UnsafeBlockSigner may be
// read from any goroutine.
type Loader struct {
	cfg  Config
	log  hclog.Logger
	poke chan struct{}
	last atomic.Pointer[Signer]
	wg   sync.WaitGroup
}

// New returns a loader that has loaded nothing yet.
func New(c Config) *Loader {
	if c.Log == nil {
		c.Log = hclog.NewNullLogger()
	}
	if c.Clock == nil {
		c.Clock = wallClock{}
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.Retry.Min <= 0 || c.Retry.Max <= 0 {
		c.Retry.Min, c.Retry.Max = defaultRetryMin, defaultRetryMax
	}
	if c.Interval > 0 && c.Retry.Max > c.Interval {
		c.Retry.Max = c.Interval
	}
	if c.Report == nil {
		c.Report = func(Signer, error) {}
	}
	return &Loader{cfg: c, log: c.Log, poke: make(chan struct{}, 1)}
}

// Start loads at once and then keeps reloading on its own goroutine until
// ctx ends.
func (l *Loader) Start(ctx context.Context) { l.wg.Go(func() { l.run(ctx) }) }

// Wait returns once the goroutine Start began has ended (at once when
// Start was not called).
func (l *Loader) Wait() { l.wg.Wait() }

// UnsafeBlockSigner is the signer last loaded and the L1 block it was read
// at; false before the first successful load.
func (l *Loader) UnsafeBlockSigner() (Signer, bool) {
	s := l.last.Load()
	if s == nil {
		return Signer{}, false
	}
	return *s, true
}

// Reload asks for a load now, without waiting for the interval or a
// retry's delay. It never blocks.
func (l *Loader) Reload() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

// OnEvent implements loop.Handler: a restarted p2p plugin has lost the
// signer, so it is loaded and handed over again at once.
func (l *Loader) OnEvent(_ context.Context, ev loop.Event) {
	if r, ok := ev.(pluginhost.Restarted); ok && r.Kind == sdk.P2P {
		l.Reload()
	}
}

func (l *Loader) run(ctx context.Context) {
	if l.cfg.SystemConfig == (common.Address{}) {
		l.log.Warn("the rollup config has no l1_system_config_address: the unsafe block signer is not loaded, gossip cannot be verified")
		return
	}
	retry := l.cfg.Retry
	unsupported := false
	for {
		s, err := l.load(ctx)
		if ctx.Err() != nil {
			return
		}
		l.cfg.Report(s, err)
		var wait time.Duration // 0: until the next Reload
		switch {
		case err == nil:
			retry.Reset()
			unsupported = false
			wait = l.cfg.Interval
		case errors.Is(err, eth.ErrUnsupported):
			// Retrying soon cannot help: the plugin has no storage reads.
			wait = l.cfg.Interval
			if !unsupported {
				unsupported = true
				l.logUnsupported(err)
			} else {
				l.log.Debug("the L1 source still cannot read storage", "err", err)
			}
		default:
			wait = retry.Next()
			l.log.Warn("unsafe block signer not loaded, retrying", "err", err, "in", wait)
		}
		var timer <-chan time.Time
		if wait > 0 {
			timer = l.cfg.Clock.After(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-l.poke:
		case <-timer:
		}
	}
}

func (l *Loader) logUnsupported(err error) {
	if l.cfg.Gossip != nil {
		l.log.Warn("the L1 source cannot read storage: the unsafe block signer is not loaded and gossip cannot be verified "+
			"(blocks from peers are ignored); use an L1 source plugin of l1source protocol 1.1 or later", "err", err)
		return
	}
	l.log.Info("the L1 source cannot read storage: the unsafe block signer is not loaded", "err", err)
}

// load reads the signer at the L1 head less the confirmations and hands it
// to the plugin.
func (l *Loader) load(ctx context.Context) (Signer, error) {
	call := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, l.cfg.CallTimeout) }
	cctx, cancel := call()
	at, err := l.cfg.L1.BlockRefByLabel(cctx, eth.Unsafe)
	cancel()
	if err != nil {
		return Signer{}, fmt.Errorf("reading the L1 head: %w", err)
	}
	if l.cfg.Confs > 0 && at.Number >= l.cfg.Confs {
		cctx, cancel = call()
		at, err = l.cfg.L1.BlockRefByNumber(cctx, at.Number-l.cfg.Confs)
		cancel()
		if err != nil {
			return Signer{}, fmt.Errorf("reading the confirmed L1 block: %w", err)
		}
	}
	cctx, cancel = call()
	word, err := l.cfg.L1.StorageAt(cctx, l.cfg.SystemConfig, UnsafeBlockSignerSlot, at.Hash)
	cancel()
	if err != nil {
		return Signer{}, fmt.Errorf("reading the SystemConfig's unsafe block signer slot at L1 %s: %w", at, err)
	}
	s := Signer{Address: common.BytesToAddress(word[:]), L1: at}
	prev := l.last.Swap(&s)
	switch {
	case prev == nil || prev.Address != s.Address:
		l.log.Info("unsafe block signer loaded", "signer", s.Address, "l1", s.L1, "system_config", l.cfg.SystemConfig)
		if s.Address == (common.Address{}) {
			l.log.Warn("the unsafe block signer slot is zero: no gossip signature can match it")
		}
	default:
		l.log.Debug("unsafe block signer reloaded", "signer", s.Address, "l1", s.L1)
	}
	if l.cfg.Gossip != nil {
		cctx, cancel = call()
		err = l.cfg.Gossip.SetUnsafeBlockSigner(cctx, s.Address)
		cancel()
		if err != nil {
			return s, fmt.Errorf("handing the unsafe block signer to the p2p plugin: %w", err)
		}
	}
	return s, nil
}
