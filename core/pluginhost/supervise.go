package pluginhost

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	plugin "github.com/hashicorp/go-plugin"

	"github.com/opalnode/opal/core/backoff"
	"github.com/opalnode/opal/sdk"
)

// assign asserts a dispensed client to its kind's interface, once.
func assign(kind sdk.Kind, raw any) (sdk.Components, error) {
	var c sdk.Components
	if info, ok := sdk.Describe(kind); !ok || !info.Set(&c, raw) {
		return sdk.Components{}, fmt.Errorf("dispensed %T is not a %s plugin", raw, kind)
	}
	return c, nil
}

// exitedCh returns a channel closed when the plugin process ends.
func exitedCh(c *plugin.Client) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		// go-plugin closes no channel on exit, but Exited flips as soon
		// as its wait goroutine sees the process end; a short poll keeps
		// detection well under a second without touching go-plugin's
		// internals.
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for range t.C {
			if c.Exited() {
				close(ch)
				return
			}
		}
	}()
	return ch
}

// watch supervises a process plugin: on exit it reports and, per policy,
// restarts with exponential backoff until it is back or the host closes.
func (h *Host) watch(inst *Instance) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			client := inst.client.Load()
			<-exitedCh(client)
			if h.closed.Load() {
				return
			}
			inst.up.Store(false)
			msg := "plugin process exited"
			inst.lastErr.Store(&msg)
			restarting := inst.Spec.OnFailure != Stop
			h.opts.Logger.Error("plugin process exited", "kind", inst.Spec.Kind, "name", inst.Spec.Name(),
				"key", inst.Spec.Key, "restarting", restarting)
			h.opts.Events(Exited{Kind: inst.Spec.Kind, Name: inst.Spec.Name(), Restarting: restarting})
			if !restarting {
				return
			}
			if !h.restart(inst) {
				return
			}
		}
	}()
}

// restart brings a plugin back; false when the host closed meanwhile.
// The waits between attempts start at MinBackoff and double up to
// MaxBackoff; Close ends a wait at once.
func (h *Host) restart(inst *Instance) bool {
	b := backoff.Backoff{Min: h.opts.MinBackoff, Max: h.opts.MaxBackoff}
	for attempt := 1; ; attempt++ {
		if b.Wait(h.done) != nil || h.closed.Load() {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		comps, client, err := h.start(ctx, inst.Spec)
		if err == nil {
			inst.current.Store(&comps)
			inst.client.Store(client)
			err = h.configure(ctx, inst)
			if err != nil {
				client.Kill()
			}
		}
		cancel()
		if err == nil {
			n := inst.restarts.Add(1)
			inst.up.Store(true)
			h.opts.Logger.Info("plugin restarted", "kind", inst.Spec.Kind, "name", inst.Spec.Name(), "restarts", n)
			h.opts.Events(Restarted{Kind: inst.Spec.Kind, Name: inst.Spec.Name(), Restarts: int(n)})
			return true
		}
		msg := err.Error()
		inst.lastErr.Store(&msg)
		h.opts.Logger.Error("plugin restart failed", "kind", inst.Spec.Kind, "attempt", attempt, "err", err)
		h.opts.Events(RestartFailed{Kind: inst.Spec.Kind, Name: inst.Spec.Name(), Err: err})
	}
}

// Instances returns the loaded plugins.
func (h *Host) Instances() map[sdk.Kind]*Instance {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[sdk.Kind]*Instance, len(h.instances))
	for k, v := range h.instances {
		out[k] = v
	}
	return out
}

// Kill ends a process plugin with SIGKILL, as a crash would (for tests and
// operators); in-process plugins cannot be killed.
func (i *Instance) Kill() bool {
	c := i.client.Load()
	if c == nil {
		return false
	}
	rc := c.ReattachConfig()
	if rc == nil || rc.Pid == 0 {
		return false
	}
	p, err := os.FindProcess(rc.Pid)
	if err != nil {
		return false
	}
	return p.Kill() == nil
}

// Close stops every plugin process and the supervisors.
func (h *Host) Close() {
	if h.closed.Swap(true) {
		return
	}
	h.stop()
	h.mu.Lock()
	insts := h.instances
	h.mu.Unlock()
	for _, inst := range insts {
		if c := inst.client.Load(); c != nil {
			c.Kill()
		} else if closer, ok := basePlugin(inst.Spec.Kind, inst.Components()).(io.Closer); ok {
			// An in-process plugin that holds resources (listeners, files,
			// peers) releases them with the node.
			if err := closer.Close(); err != nil {
				h.opts.Logger.Warn("closing in-process plugin", "kind", inst.Spec.Kind, "err", err)
			}
		}
	}
	h.wg.Wait()
}
