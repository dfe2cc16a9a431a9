// Command opal is an OP Stack rollup node built as a small core plus
// swappable plugins.
//
//	opal [run] [flags]            run the node (the default command)
//	opal devnet                   run a whole local OP chain in this process
//	opal plugin serve KIND        serve a built-in plugin as a process (used by the node itself)
//	opal plugins [flags]          list built-in and configured plugins
//	opal config check FILE        validate a config file and print the effective config
//	opal rollup-config [flags]    print the chain's effective rollup config (rollup.json)
//	opal inspect FILE             decode batcher data (tx, frames, channel, batch, blob) as JSON
//	opal archive record ... OUT   record an L1 range into an archive file
//	opal replay --archive FILE    derive from an archive, no L1 and no engine (A/B with two derivers)
//	opal ab report FILE [--html OUT]  an A/B report as one HTML file, or a text summary
//	opal version                  print the version
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

func main() {
	err := dispatch(os.Args[1:])
	if errors.Is(err, pflag.ErrHelp) {
		return // the flag set printed its help
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "opal:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line: print usage with it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + "\n\n" + usage }

const usage = `usage:
  opal [run] [flags]          run the node (opal run --help for flags)
  opal devnet [flags]         run a whole OP chain in this process (L1, op-geth, opal sequencer, batcher)
  opal plugin serve KIND      serve a built-in plugin as a process (--name NAME, default "default")
  opal plugins [flags]        list built-in and configured plugins with their protocol versions
  opal config check FILE      validate a config file and print the effective config
  opal rollup-config [flags]  print the chain's rollup.json as the node uses it (--network N | --rollup.config F;
                              --op-node leaves out opal's dependency_set field)
  opal inspect [--network N | --rollup.config F] [--kind K] FILE|-
                              decode a batcher tx, frames, channel, batch or blob as JSON
  opal archive record --l1 URL [--l1.beacon URL] [--from N] --to M (--network N | --rollup.config F) OUT
                              record an L1 range (headers, batcher txs, receipts, blobs) into one archive file
  opal replay --archive FILE (--network N | --rollup.config F) [--deriver A [--deriver B]]
                              derive from an archive with no L1 and no engine: the attributes as JSON lines,
                              or with two derivers the blocks where B's attributes differ from A's
  opal ab report FILE|- [--html OUT]
                              an A/B report (opal replay with two derivers) as one self-contained HTML file,
                              or without --html a short text summary
  opal version                print the version`

func dispatch(args []string) error {
	if len(args) == 0 || len(args[0]) > 0 && args[0][0] == '-' {
		return runCmd(args)
	}
	switch args[0] {
	case "run":
		return runCmd(args[1:])
	case "plugin":
		if len(args) < 2 || args[1] != "serve" {
			return usageError{"plugin: want 'plugin serve KIND'"}
		}
		return pluginServeCmd(args[2:])
	case "plugins":
		return pluginsCmd(args[1:])
	case "config":
		if len(args) < 2 || args[1] != "check" {
			return usageError{"config: want 'config check FILE'"}
		}
		return configCheckCmd(args[2:])
	case "rollup-config":
		return rollupConfigCmd(args[1:], os.Stdout)
	case "devnet":
		return devnetCmd(args[1:])
	case "inspect":
		return inspectCmd(args[1:])
	case "archive":
		return archiveCmd(args[1:])
	case "replay":
		return replayCmd(args[1:])
	case "ab":
		return abCmd(args[1:])
	case "version":
		fmt.Println(versionString())
		return nil
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}
