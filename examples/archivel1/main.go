// Command archivel1 serves the example L1 source as an opal plugin: L1 read
// from an `opal archive record` file, so that a verifier syncs a recorded
// chain with no L1 node. Load it with:
//
//	[plugins.l1source]
//	path = "/path/to/archivel1"
//	sha256 = "<sha256sum of the binary>"
//	[plugins.l1source.config]
//	archive = "/path/to/l1.archive"
package main

import (
	"fmt"
	"os"

	"github.com/opalnode/opal/examples/archivel1/source"
	"github.com/opalnode/opal/sdk"
)

func main() {
	if err := sdk.Serve(sdk.Components{L1Source: source.New()}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
