// Command lagselector serves the example origin selector as an opal plugin.
// Load it with:
//
//	[plugins.originselector]
//	path = "/path/to/lagselector"
//	sha256 = "<sha256sum of the binary>"
//	[plugins.originselector.config]
//	lag = 8
package main

import (
	"fmt"
	"os"

	"github.com/opalnode/opal/examples/lagselector/selector"
	"github.com/opalnode/opal/sdk"
)

func main() {
	if err := sdk.Serve(sdk.Components{OriginSelector: selector.New()}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
