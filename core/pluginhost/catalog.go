// Package pluginhost loads opal's plugins: built-ins in-process (no gRPC) or
// as processes of the opal binary itself, and external binaries through
// go-plugin with AutoMTLS, a checksum and a versioned handshake. It watches
// plugin processes, restarts them per their failure policy and reports
// every exit and restart to the core as a typed event.
package pluginhost

import (
	"fmt"
	"sort"
	"sync"

	"github.com/opalnode/opal/sdk"
)

// Factory builds a fresh built-in implementation. The returned Components
// must have the field of the kind it is registered for set.
type Factory func() sdk.Components

// Catalog holds the built-in plugins by kind and name.
type Catalog struct {
	mu        sync.RWMutex
	factories map[sdk.Kind]map[string]Factory
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{factories: map[sdk.Kind]map[string]Factory{}} }

// Register adds a built-in. Registering the same kind and name twice is a
// programming error.
func (c *Catalog) Register(kind sdk.Kind, name string, f Factory) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !kind.Valid() {
		panic(fmt.Sprintf("pluginhost: unknown kind %q", kind))
	}
	if c.factories[kind] == nil {
		c.factories[kind] = map[string]Factory{}
	}
	if _, dup := c.factories[kind][name]; dup {
		panic(fmt.Sprintf("pluginhost: built-in %s/%s registered twice", kind, name))
	}
	c.factories[kind][name] = f
}

// Lookup returns the factory of a built-in.
func (c *Catalog) Lookup(kind sdk.Kind, name string) (Factory, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	f, ok := c.factories[kind][name]
	return f, ok
}

// Names lists the built-ins of a kind, sorted.
func (c *Catalog) Names(kind sdk.Kind) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var names []string
	for n := range c.factories[kind] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Serve serves the named built-in of kind on stdio as a plugin process; it
// is what `opal plugin serve <kind>` runs.
func (c *Catalog) Serve(kind sdk.Kind, name string) error {
	f, ok := c.Lookup(kind, name)
	if !ok {
		return fmt.Errorf("no built-in %s plugin named %q (have %v)", kind, name, c.Names(kind))
	}
	comps := only(kind, f())
	return sdk.Serve(comps)
}

// only keeps the field of kind, so that a process serves exactly one kind.
func only(kind sdk.Kind, c sdk.Components) sdk.Components {
	info, ok := sdk.Describe(kind)
	if !ok {
		return sdk.Components{}
	}
	return info.Only(c)
}
