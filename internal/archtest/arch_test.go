// Package archtest checks the import boundaries of the layout: the sdk is a
// leaf that plugin authors import alone, plugins never reach into the core,
// and the core never touches generated protobuf types.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/opalnode/opal"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func list(t *testing.T, dir string, patterns ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, patterns...)...)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestImportBoundaries(t *testing.T) {
	t.Parallel()
	rules := []struct {
		from, forbidden, why string
		direct               bool
	}{
		{module + "/plugins/", module + "/core/", "plugins never import the core", false},
		{module + "/plugins/", module + "/cmd/", "plugins never import the binary", false},
		{module + "/core/", module + "/sdk/internal/", "the core never touches protobuf types", true},
		{module + "/sdk", module + "/core", "the sdk is a leaf", false},
		{module + "/sdk", module + "/plugins", "the sdk is a leaf", false},
	}
	pkgs := list(t, "../..", "./...", "./sdk/...")
	if len(pkgs) < 10 {
		t.Fatalf("only %d packages listed", len(pkgs))
	}
	for _, p := range pkgs {
		for _, r := range rules {
			if !strings.HasPrefix(p.ImportPath, r.from) {
				continue
			}
			imports := p.Deps
			if r.direct {
				imports = p.Imports
			}
			for _, imp := range imports {
				if strings.HasPrefix(imp, r.forbidden) {
					t.Errorf("%s imports %s: %s", p.ImportPath, imp, r.why)
				}
			}
		}
	}
}
