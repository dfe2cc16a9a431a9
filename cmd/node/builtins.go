package main

import (
	"github.com/opalnode/opal/builtin"
	"github.com/opalnode/opal/core/pluginhost"
)

// builtins is the catalog of plugins linked into the opal binary.
func builtins() *pluginhost.Catalog { return builtin.Catalog() }
