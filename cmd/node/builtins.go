package main

import (
	"github.com/opalnode/opal/core/pluginhost"
	"github.com/opalnode/opal/plugins/engine"
	"github.com/opalnode/opal/plugins/originselector"
	"github.com/opalnode/opal/sdk"
)

// builtins is the catalog of plugins linked into the opal binary.
func builtins() *pluginhost.Catalog {
	c := pluginhost.NewCatalog()
	c.Register(sdk.OriginSelector, "default", func() sdk.Components {
		return sdk.Components{OriginSelector: originselector.New()}
	})
	c.Register(sdk.Engine, "default", func() sdk.Components { return sdk.Components{Engine: engine.New()} })
	return c
}
