package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/internal/inspect"
	"github.com/opalnode/opal/sdk/rollup"
)

// inspectCmd decodes batcher data and prints it as JSON.
func inspectCmd(args []string) error {
	fs := pflag.NewFlagSet("inspect", pflag.ContinueOnError)
	network := fs.String("network", "", "known network whose rollup config to decode with")
	rollupPath := fs.String("rollup.config", "", "rollup.json to decode with")
	kind := fs.String("kind", "", "tx, frames, channel, batch or blob (default: detect)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"inspect: want exactly one FILE (or - for stdin)"}
	}
	var (
		cfg *rollup.Config
		err error
	)
	switch {
	case *network != "" && *rollupPath != "":
		return usageError{"inspect: give --network or --rollup.config, not both"}
	case *network != "":
		cfg, err = config.NetworkRollup(*network)
	case *rollupPath != "":
		cfg, err = rollup.Load(*rollupPath)
	}
	if err != nil {
		return err
	}
	var in []byte
	if fs.Arg(0) == "-" {
		in, err = io.ReadAll(os.Stdin)
	} else {
		in, err = os.ReadFile(fs.Arg(0))
	}
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	rep, err := inspect.Decode(in, inspect.Options{Rollup: cfg, Kind: inspect.Kind(*kind)})
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
