package deposit

import (
	"testing"

	"github.com/opalnode/opal/internal/vectors"
)

// readVector reads a shared vector file, skipping when the vectors are absent.
func readVector(tb testing.TB, rel string) []byte { return vectors.Read(tb, rel) }
