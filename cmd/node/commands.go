package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/sdk"
)

// loadConfig parses the node flags and builds the effective config.
func loadConfig(name string, args []string) (*config.Config, error) {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	config.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("%s: unexpected arguments %v", name, fs.Args())}
	}
	path, _ := fs.GetString("config")
	return config.Load(path, fs, os.Environ())
}

func pluginServeCmd(args []string) error {
	fs := pflag.NewFlagSet("plugin serve", pflag.ContinueOnError)
	name := fs.String("name", "default", "name of the built-in to serve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"plugin serve: want exactly one KIND"}
	}
	kind := sdk.Kind(fs.Arg(0))
	if !kind.Valid() {
		return usageError{fmt.Sprintf("plugin serve: unknown kind %q (known: %s)", kind, strings.Join(sdk.KindNames(), ", "))}
	}
	return builtins().Serve(kind, *name)
}

func pluginsCmd(args []string) error {
	cfg, err := loadConfig("plugins", args)
	if err != nil {
		return err
	}
	cat := builtins()
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tPROTOCOL\tBUILT-INS\tCONFIGURED")
	for _, k := range sdk.Kinds {
		conf := "-"
		if p, ok := cfg.Plugins[string(k)]; ok {
			if p.Path != "" {
				conf = fmt.Sprintf("path %s (%s)", p.Path, p.Mode)
			} else {
				conf = fmt.Sprintf("builtin %s (%s)", p.Builtin, p.Mode)
			}
		}
		names := cat.Names(k)
		sort.Strings(names)
		list := strings.Join(names, ", ")
		if list == "" {
			list = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k, k.ProtocolVersion(), list, conf)
	}
	return w.Flush()
}

func configCheckCmd(args []string) error {
	if len(args) != 1 {
		return usageError{"config check: want exactly one FILE"}
	}
	cfg, err := config.Load(args[0], nil, os.Environ())
	if err != nil {
		return err
	}
	out, err := cfg.Effective()
	if err != nil {
		return err
	}
	fmt.Printf("# %s is valid; effective configuration:\n%s", args[0], out)
	return nil
}

// rollupConfigCmd prints the chain's rollup config as the node would use
// it: the preset or rollup.json with the node's overrides and the resolved
// dependency set. --op-node prints only op-node's fields.
func rollupConfigCmd(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("rollup-config", pflag.ContinueOnError)
	config.AddFlags(fs)
	opNode := fs.Bool("op-node", false, "print only the fields op-node's rollup.json defines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("rollup-config: unexpected arguments %v", fs.Args())}
	}
	path, _ := fs.GetString("config")
	cfg, err := config.Load(path, fs, os.Environ())
	if err != nil {
		return err
	}
	rc, err := cfg.Chain()
	if err != nil {
		return err
	}
	var out []byte
	if *opNode {
		out, err = rc.MarshalOpNode()
	} else {
		out, err = rc.Marshal()
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(out))
	return err
}
