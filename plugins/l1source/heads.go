package l1source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// watchHeads reports the head, safe and finalized blocks whenever one of
// them changes, until ctx ends. The head comes from a newHeads
// subscription while a websocket endpoint holds one, else from polling;
// safe and finalized are always polled (no subscription exists for them).
// Failed polls are skipped: the next tick tries again, so an outage delays
// updates but never ends the watch.
func (c *conn) watchHeads(parent context.Context, fn func(sdkl1.HeadUpdate)) error {
	// The watch also ends when this configuration is replaced or closed.
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	defer context.AfterFunc(c.bg, cancel)()
	last := map[eth.BlockLabel]eth.L1BlockRef{}
	emit := func(l eth.BlockLabel, ref eth.L1BlockRef) {
		if old, ok := last[l]; ok && old == ref {
			return
		}
		last[l] = ref
		c.index.observe(l, ref)
		fn(sdkl1.HeadUpdate{Label: l, Ref: ref})
	}
	poll := func(labels ...eth.BlockLabel) {
		// A poll must not hold up the subscription's updates for long.
		pctx, cancel := context.WithTimeout(ctx, c.s.timeout+c.s.pollInterval)
		defer cancel()
		for _, l := range labels {
			if ref, err := c.refByLabel(pctx, l); err == nil {
				emit(l, ref)
			}
		}
	}

	heads := make(chan eth.L1BlockRef, 16)
	var live atomic.Bool
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	if c.hasWebsocket() {
		go c.subscribeHeads(sctx, heads, &live)
	}
	poll(eth.Unsafe, eth.Safe, eth.Finalized)
	tick := time.NewTicker(c.s.pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return nil
			}
			// Reconfigured or closed: the caller watches again, on the new
			// configuration.
			return fmt.Errorf("%w: %w", eth.ErrTemporary, errClosed)
		case ref := <-heads:
			emit(eth.Unsafe, ref)
		case <-tick.C:
			if live.Load() {
				poll(eth.Safe, eth.Finalized)
			} else {
				poll(eth.Unsafe, eth.Safe, eth.Finalized)
			}
		}
	}
}

func (c *conn) hasWebsocket() bool {
	for _, ep := range c.eps {
		if ep.ws {
			return true
		}
	}
	return false
}

// subscribeHeads keeps a newHeads subscription on the healthiest websocket
// endpoint, moving on when one fails; live tells the poller whether it
// may leave the head to the subscription.
func (c *conn) subscribeHeads(ctx context.Context, out chan<- eth.L1BlockRef, live *atomic.Bool) {
	for ctx.Err() == nil {
		for _, ep := range inHealthOrder(c.eps, time.Now()) {
			if !ep.ws {
				continue
			}
			err := c.followHeads(ctx, ep, out, live)
			live.Store(false)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				ep.failed(time.Now(), errors.Is(err, ErrBadResponse))
			}
		}
		t := time.NewTimer(c.s.pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// followHeads forwards one subscription's heads, each verified like any
// header, until it fails or ctx ends.
func (c *conn) followHeads(ctx context.Context, ep *endpoint, out chan<- eth.L1BlockRef, live *atomic.Bool) error {
	if err := ep.checkChain(ctx, c.chainID, c.rpcKey); err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, ep.timeout)
	client, err := ep.rpcClient(dctx)
	if err != nil {
		cancel()
		return err
	}
	ch := make(chan json.RawMessage, 16)
	sub, err := client.EthSubscribe(dctx, ch, "newHeads")
	cancel()
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	live.Store(true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-sub.Err():
			return err
		case raw := <-ch:
			id := blockID{label: "latest"}
			claimed, err := claimedHash(ep.name, id, raw)
			if err != nil {
				return err
			}
			h, hash, err := decodeHeader(ep.name, id, raw, claimed, c.s.trust)
			if err != nil {
				return err
			}
			ref := headerRef(h, hash)
			c.remember(ref)
			select {
			case out <- ref:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
