// Package builtin is the catalog of the default plugins linked into the
// opal binary. The binary and the end-to-end tests load plugins from it.
package builtin

import (
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/plugins/deriver"
	"github.com/opalnode/opal/plugins/engine"
	"github.com/opalnode/opal/plugins/l1source"
	"github.com/opalnode/opal/plugins/originselector"
	"github.com/opalnode/opal/plugins/p2p"
	"github.com/opalnode/opal/sdk"
)

// Catalog returns a catalog with every default plugin under the name
// "default".
func Catalog() *pluginhost.Catalog {
	c := pluginhost.NewCatalog()
	c.Register(sdk.OriginSelector, "default", func() sdk.Components {
		return sdk.Components{OriginSelector: originselector.New()}
	})
	c.Register(sdk.Engine, "default", func() sdk.Components { return sdk.Components{Engine: engine.New()} })
	c.Register(sdk.L1Source, "default", func() sdk.Components { return sdk.Components{L1Source: l1source.New()} })
	c.Register(sdk.Deriver, "default", func() sdk.Components { return sdk.Components{Deriver: deriver.New()} })
	c.Register(sdk.P2P, "default", func() sdk.Components { return sdk.Components{P2P: p2p.New()} })
	return c
}
