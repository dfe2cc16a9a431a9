// Package vectors locates the shared conformance vectors for tests.
//
// The vectors live outside the repository (they are large and shared between
// several checkouts), at ../shared/vectors relative to the repository root, or
// wherever $OPAL_VECTORS points. Tests that need them skip, rather than fail,
// when they are absent, so that a bare checkout still passes `go test`.
package vectors

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EnvVar names the environment variable that overrides the vectors location.
const EnvVar = "OPAL_VECTORS"

// modulePath identifies the repository root while walking up from the
// working directory; go test runs each package in its own source folder.
const modulePath = "github.com/opalnode/opal"

// Find returns the vectors directory and whether it exists. It never fails a
// test, which makes it usable from fuzz seeding where skipping is not wanted.
func Find() (string, bool) {
	if dir := os.Getenv(EnvVar); dir != "" {
		return dir, isDir(dir)
	}
	root, ok := repoRoot()
	if !ok {
		return "", false
	}
	dir := filepath.Join(root, "..", "shared", "vectors")
	return dir, isDir(dir)
}

// RequireEnvVar, set to 1, makes a missing vectors directory fail the
// tests that need it instead of skipping them (for CI, where a skip would
// pass the conformance tests by accident).
const RequireEnvVar = "OPAL_REQUIRE_VECTORS"

// Dir returns the vectors directory, or skips the test when it is missing
// (fails it under OPAL_REQUIRE_VECTORS=1).
func Dir(t testing.TB) string {
	t.Helper()
	dir, ok := Find()
	if !ok && os.Getenv(RequireEnvVar) == "1" {
		t.Fatalf("conformance vectors not found (looked in %q) and $%s=1: set $%s to the shared vectors directory", dir, RequireEnvVar, EnvVar)
	}
	if !ok {
		t.Skipf("conformance vectors not found (looked in %q); set $%s to the shared vectors directory to run this test", dir, EnvVar)
	}
	return dir
}

// Missing skips the test because a part of the vectors it needs is absent,
// or fails it under OPAL_REQUIRE_VECTORS=1.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireEnvVar) == "1" {
		t.Fatalf(format+" (and $"+RequireEnvVar+"=1)", args...)
	}
	t.Skipf(format, args...)
}

// Read returns the content of a file under the vectors directory, skipping the
// test when the directory is missing and failing it when the file is.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Dir(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("reading vector %s: %v", rel, err)
	}
	return data
}

// ReadHex reads a file holding ASCII hex (optionally 0x-prefixed, surrounding
// whitespace ignored) and returns the decoded bytes.
func ReadHex(t testing.TB, rel string) []byte {
	t.Helper()
	out, err := DecodeHex(string(Read(t, rel)))
	if err != nil {
		t.Fatalf("decoding hex vector %s: %v", rel, err)
	}
	return out
}

// TryRead returns the content of a vector file, or nil when it cannot be read.
// Fuzz targets use it to add real seeds when the vectors are available.
func TryRead(rel string) []byte {
	dir, ok := Find()
	if !ok {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil
	}
	return data
}

// DecodeHex decodes a hex string with an optional 0x prefix and surrounding
// whitespace, the form every hex value in the vectors takes.
func DecodeHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	return hex.DecodeString(s)
}

func isDir(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// repoRoot walks up from the working directory to the folder whose go.mod
// declares this module.
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func declaresModule(goMod string) bool {
	data, err := os.ReadFile(goMod)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == "module" {
			return fields[1] == modulePath
		}
	}
	return false
}
