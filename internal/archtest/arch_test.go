// Package archtest checks the import boundaries of the layout: the sdk is a
// leaf that plugin authors import alone, plugins never reach into the core,
// and the core never touches protobuf: neither the generated types nor the
// protobuf module itself. Tests count: a test file that crosses a boundary
// is as much a violation as code.
package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/opalnode/opal"

// rule forbids the packages at or under from to reach the packages at or
// under forbidden.
type rule struct {
	from, forbidden, why string
	// direct: only the package's own imports (code and tests) count, not
	// what they import in turn.
	direct bool
}

var rules = []rule{
	{module + "/plugins", module + "/core", "plugins never import the core", false},
	{module + "/plugins", module + "/cmd", "plugins never import the binary", false},
	{module + "/core", module + "/sdk/internal", "the core never touches the generated protobuf types", true},
	{module + "/core", "google.golang.org/protobuf", "the core never touches protobuf; the sdk's types cross the boundary", true},
	{module + "/sdk", module + "/core", "the sdk is a leaf", false},
	{module + "/sdk", module + "/plugins", "the sdk is a leaf", false},
	{module + "/sdk", module + "/cmd", "the sdk is a leaf", false},
}

// pkg is one package of `go list -json`.
type pkg struct {
	ImportPath   string
	ForTest      string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
}

// under reports whether path is prefix or a package below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// plain strips the " [p.test]" suffix go list gives test variants.
func plain(path string) string {
	if i := strings.Index(path, " ["); i >= 0 {
		return path[:i]
	}
	return path
}

// violations checks every rule on every package that is not a test
// variant. A package's test imports count like its imports, and for the
// rules that are not direct, so do the dependencies of its test imports
// (looked up in pkgs, which must then list them: go list -deps -test).
func violations(pkgs []pkg, rules []rule) []string {
	index := map[string]pkg{}
	for _, p := range pkgs {
		if _, seen := index[plain(p.ImportPath)]; !seen || p.ForTest == "" {
			index[plain(p.ImportPath)] = p
		}
	}
	type reached struct{ path, how string }
	found := map[string]bool{}
	var out []string
	for _, p := range pkgs {
		if p.ForTest != "" || strings.HasSuffix(p.ImportPath, ".test") || strings.Contains(p.ImportPath, " [") {
			continue // test variants and test mains: checked through their package
		}
		tests := append(append([]string{}, p.TestImports...), p.XTestImports...)
		for _, r := range rules {
			if !under(p.ImportPath, r.from) {
				continue
			}
			var reach []reached
			for _, imp := range p.Imports {
				reach = append(reach, reached{imp, "imports"})
			}
			for _, imp := range tests {
				reach = append(reach, reached{imp, "imports in its tests"})
			}
			if !r.direct {
				for _, dep := range p.Deps {
					reach = append(reach, reached{dep, "depends on"})
				}
				for _, imp := range tests {
					q, ok := index[plain(imp)]
					if !ok {
						out = append(out, fmt.Sprintf("%s: cannot check %q: its test import %s is not listed", p.ImportPath, r.why, imp))
						continue
					}
					for _, dep := range q.Deps {
						reach = append(reach, reached{dep, "depends in its tests (through " + plain(imp) + ") on"})
					}
				}
			}
			for _, x := range reach {
				imp := plain(x.path)
				key := p.ImportPath + "\x00" + imp + "\x00" + r.forbidden
				if !under(imp, r.forbidden) || found[key] {
					continue
				}
				found[key] = true
				out = append(out, fmt.Sprintf("%s %s %s: %s", p.ImportPath, x.how, imp, r.why))
			}
		}
	}
	sort.Strings(out)
	return out
}

func list(t *testing.T, dir string, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestImportBoundaries(t *testing.T) {
	t.Parallel()
	pkgs := list(t, "../..", "-deps", "-test", "./...", "./sdk/...")
	var ours, core, withTests int
	for _, p := range pkgs {
		if p.ForTest != "" || !under(p.ImportPath, module) {
			continue
		}
		ours++
		if under(p.ImportPath, module+"/core") {
			core++
		}
		if len(p.TestImports)+len(p.XTestImports) > 0 {
			withTests++
		}
	}
	// The listing must be what the rules think it is: the whole layout,
	// with the test imports read.
	if ours < 10 || core < 5 || withTests < 10 {
		t.Fatalf("listed %d packages of %s, %d of the core, %d with test imports", ours, module, core, withTests)
	}
	for _, v := range violations(pkgs, rules) {
		t.Error(v)
	}
}

// The checker reports what it must: each rule fails on a package list that
// breaks it, through code, tests and their dependencies, and keeps quiet on
// one that does not.
func TestViolationsAreReported(t *testing.T) {
	t.Parallel()
	pb := "google.golang.org/protobuf/types/known/emptypb"
	clean := []pkg{
		{ImportPath: module + "/core/x", Imports: []string{module + "/sdk", "context"}, Deps: []string{module + "/sdk", pb, module + "/sdk/internal/pb/common/v1"},
			XTestImports: []string{module + "/core/x", module + "/sdk/sdktest", "testing"}},
		{ImportPath: module + "/plugins/y", Imports: []string{module + "/sdk"}, Deps: []string{module + "/sdk"}, TestImports: []string{module + "/sdk/sdktest"}},
		{ImportPath: module + "/sdk", Imports: []string{pb}, Deps: []string{pb}},
		{ImportPath: module + "/sdk/sdktest", Imports: []string{module + "/sdk"}, Deps: []string{module + "/sdk", pb}},
		// A package whose name only starts like a forbidden one.
		{ImportPath: module + "/sdkextra", Imports: []string{module + "/core/x"}, Deps: []string{module + "/core/x"}},
		{ImportPath: module + "/plugins/z", Imports: []string{module + "/corelike"}, Deps: []string{module + "/corelike"}},
		{ImportPath: module + "/corelike", Imports: []string{pb}, Deps: []string{pb}},
	}
	if v := violations(clean, rules); len(v) != 0 {
		t.Fatalf("clean layout reported:\n%s", strings.Join(v, "\n"))
	}
	cases := map[string]struct {
		p     pkg
		extra []pkg
		want  string
	}{
		"core imports protobuf": {
			p:    pkg{ImportPath: module + "/core/a", Imports: []string{pb}},
			want: module + "/core/a imports " + pb,
		},
		"core imports the protobuf module root": {
			p:    pkg{ImportPath: module + "/core", Imports: []string{"google.golang.org/protobuf"}},
			want: module + "/core imports google.golang.org/protobuf",
		},
		"core test imports protobuf": {
			p:    pkg{ImportPath: module + "/core/a", TestImports: []string{"google.golang.org/protobuf/proto"}},
			want: module + "/core/a imports in its tests google.golang.org/protobuf/proto",
		},
		"core external test imports protobuf": {
			p:    pkg{ImportPath: module + "/core/a", XTestImports: []string{module + "/core/a", pb}},
			want: module + "/core/a imports in its tests " + pb,
		},
		"core test imports generated types": {
			p:    pkg{ImportPath: module + "/core/a", XTestImports: []string{module + "/sdk/internal/pb/p2p/v1"}},
			want: module + "/core/a imports in its tests " + module + "/sdk/internal/pb/p2p/v1",
		},
		"core imports generated types": {
			p:    pkg{ImportPath: module + "/core/a/b", Imports: []string{module + "/sdk/internal/pb/common/v1"}},
			want: module + "/core/a/b imports " + module + "/sdk/internal/pb/common/v1",
		},
		"plugin depends on the core": {
			p:    pkg{ImportPath: module + "/plugins/a", Imports: []string{module + "/sdk/x"}, Deps: []string{module + "/sdk/x", module + "/core/config"}},
			want: module + "/plugins/a depends on " + module + "/core/config",
		},
		"plugin test imports the binary": {
			p:     pkg{ImportPath: module + "/plugins/a", XTestImports: []string{module + "/cmd/node"}},
			extra: []pkg{{ImportPath: module + "/cmd/node"}},
			want:  module + "/plugins/a imports in its tests " + module + "/cmd/node",
		},
		"plugin test helper depends on the core": {
			p:     pkg{ImportPath: module + "/plugins/a", TestImports: []string{module + "/plugins/a/atest"}},
			extra: []pkg{{ImportPath: module + "/plugins/a/atest", Imports: []string{module + "/core/pluginhost"}, Deps: []string{module + "/core/pluginhost"}}},
			want:  module + "/plugins/a depends in its tests (through " + module + "/plugins/a/atest) on " + module + "/core/pluginhost",
		},
		"sdk test helper depends on a plugin, seen as a test variant": {
			p: pkg{ImportPath: module + "/sdk/b", XTestImports: []string{module + "/sdk/b/btest [" + module + "/sdk/b.test]"}},
			extra: []pkg{{ImportPath: module + "/sdk/b/btest [" + module + "/sdk/b.test]", ForTest: module + "/sdk/b",
				Deps: []string{module + "/plugins/engine [" + module + "/sdk/b.test]"}}},
			want: module + "/sdk/b depends in its tests (through " + module + "/sdk/b/btest) on " + module + "/plugins/engine",
		},
		"sdk imports the core": {
			p:    pkg{ImportPath: module + "/sdk", Imports: []string{module + "/core/backoff"}, Deps: []string{module + "/core/backoff"}},
			want: module + "/sdk imports " + module + "/core/backoff",
		},
		"unlisted test import of a transitive rule": {
			p:    pkg{ImportPath: module + "/sdk/c", TestImports: []string{"example.com/unlisted"}},
			want: module + "/sdk/c: cannot check",
		},
	}
	for name, tc := range cases {
		pkgs := append(append(append([]pkg{}, clean...), tc.p), tc.extra...)
		got := violations(pkgs, rules)
		ok := false
		for _, v := range got {
			ok = ok || strings.HasPrefix(v, tc.want)
		}
		if !ok {
			t.Errorf("%s: want a violation starting %q, got %q", name, tc.want, got)
		}
	}
	// A test variant is checked through its package, not reported twice.
	variant := pkg{ImportPath: module + "/core/a [" + module + "/core/a.test]", ForTest: module + "/core/a", Imports: []string{pb}}
	main := pkg{ImportPath: module + "/core/a.test", Imports: []string{pb}, Deps: []string{pb}}
	if v := violations(append(append([]pkg{}, clean...), variant, main), rules); len(v) != 0 {
		t.Errorf("test variants reported on their own: %q", v)
	}
}
