// Command variantderiver serves opal's default deriver with one rule
// changed by its config, as a plugin process, for A/B derivation: run it
// as the shadow of the default deriver (or as B in opal replay) and every
// L2 block where the changed rule matters shows up as a divergence.
//
// It is the default pipeline itself (plugins/deriver's NewVariant), not a
// copy: only the rule its config names differs. Config keys:
//
//	seq_window_size = 20              # the sequencing window, in L1 blocks
//	extra_batchers = ["0x…", …]       # batch senders accepted besides the system config's batcher
//
// Load it in opal replay with
//
//	opal replay --archive A --rollup.config R --deriver default \
//	    --deriver /path/to/variantderiver@<sha256> --deriver.config '' --deriver.config '{"seq_window_size": 20}'
//
// or as the shadow of a running node ([ab] in the config).
package main

import (
	"fmt"
	"os"

	"github.com/opalnode/opal/examples/variantderiver/rules"
	"github.com/opalnode/opal/plugins/deriver"
	"github.com/opalnode/opal/sdk"
)

func main() {
	d := deriver.NewVariant(deriver.Variant{Name: "variant", Version: "0.1.0", Rules: rules.Parse})
	if err := sdk.Serve(sdk.Components{Deriver: d}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
