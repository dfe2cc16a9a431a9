package l1source

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/opalnode/opal/sdk/base"
)

// shared is one test L1 for the tests that only read it; tests that mine
// or reorg start their own.
var (
	sharedOnce sync.Once
	sharedL1   *testL1
	sharedErr  error
)

const sharedBlocks = 24

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedL1 != nil {
		sharedL1.close()
	}
	if benchL1 != nil {
		benchL1.close()
	}
	os.Exit(code)
}

func shared(t testing.TB) *testL1 {
	t.Helper()
	sharedOnce.Do(func() {
		sharedL1, sharedErr = newL1()
		if sharedErr == nil {
			sharedErr = sharedL1.mine(sharedBlocks, 4)
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedL1
}

// configured returns a source configured with cfg (a config table).
func configured(t testing.TB, cfg map[string]any) *Source {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	if err := s.Configure(context.Background(), base.ConfigureRequest{Config: raw}); err != nil {
		t.Fatalf("configure %s: %v", raw, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
