package main

import (
	"fmt"
	"runtime/debug"

	"github.com/opalnode/opal/sdk"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "0.1.0-dev"

func versionString() string {
	commit := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				commit = " (" + s.Value[:12] + ")"
			}
		}
	}
	return fmt.Sprintf("opal %s%s, plugin protocol %d", Version, commit, sdk.ProtocolMajor)
}
