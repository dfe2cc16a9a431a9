package refchain

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/opalnode/opal/internal/vectors"
)

var (
	sharedOnce  sync.Once
	sharedChain *Chain
	sharedErr   error
)

// Shared loads the reference chain from the shared vectors once per test
// binary (replaying its L1 takes a moment), skipping when they are absent.
func Shared(tb testing.TB) *Chain {
	tb.Helper()
	dir := vectors.Dir(tb)
	sharedOnce.Do(func() { sharedChain, sharedErr = Load(filepath.Join(dir, "refchain")) })
	if sharedErr != nil {
		tb.Fatalf("loading refchain: %v", sharedErr)
	}
	return sharedChain
}
