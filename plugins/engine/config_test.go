package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
)

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	hexSecret := strings.Repeat("0a", 32)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "  0x"+hexSecret+"\n")
	bare := write("bare", hexSecret)
	short := write("short", "0x1234")
	notHex := write("nothex", strings.Repeat("zz", 32))

	ok := []struct {
		cfg     string
		timeout time.Duration
	}{
		{`{"url":"http://127.0.0.1:8551","jwt_secret":"` + good + `"}`, DefaultTimeout},
		{`{"url":"https://engine.example:8551","jwt_secret":"` + bare + `","timeout":"1500ms"}`, 1500 * time.Millisecond},
		{`{"url":"ws://127.0.0.1:8551","jwt_secret_hex":"0x` + hexSecret + `","timeout":3}`, 3 * time.Second},
		{`{"url":"wss://h","jwt_secret_hex":"` + hexSecret + `","timeout":0.5}`, 500 * time.Millisecond},
	}
	for _, tc := range ok {
		s, err := parseConfig([]byte(tc.cfg))
		if err != nil {
			t.Errorf("%s: %v", tc.cfg, err)
			continue
		}
		if s.timeout != tc.timeout || s.secret[0] != 0x0a || s.secret[31] != 0x0a {
			t.Errorf("%s: got %+v", tc.cfg, s)
		}
	}

	bad := []struct{ cfg, key string }{
		{``, "url"},
		{`{}`, "url"},
		{`[1]`, "config"},
		{`{"url":"http://x","jwt_secret":"` + good + `","tiemout":"1s"}`, "tiemout"},
		{`{"url":42,"jwt_secret":"` + good + `"}`, "url"},
		{`{"url":"ftp://x","jwt_secret":"` + good + `"}`, "url"},
		{`{"url":"http://","jwt_secret":"` + good + `"}`, "url"},
		{`{"url":"://bad","jwt_secret":"` + good + `"}`, "url"},
		{`{"url":"http://x"}`, "jwt_secret"},
		{`{"url":"http://x","jwt_secret":"` + filepath.Join(dir, "missing") + `"}`, "jwt_secret"},
		{`{"url":"http://x","jwt_secret":"` + short + `"}`, "jwt_secret"},
		{`{"url":"http://x","jwt_secret":"` + notHex + `"}`, "jwt_secret"},
		{`{"url":"http://x","jwt_secret_hex":"0x12"}`, "jwt_secret_hex"},
		{`{"url":"http://x","jwt_secret":"` + good + `","jwt_secret_hex":"` + hexSecret + `"}`, "jwt_secret"},
		{`{"url":"http://x","jwt_secret":"` + good + `","timeout":"soon"}`, "timeout"},
		{`{"url":"http://x","jwt_secret":"` + good + `","timeout":"-1s"}`, "timeout"},
		{`{"url":"http://x","jwt_secret":"` + good + `","timeout":1e300}`, "timeout"},
		{`{"url":"http://x","jwt_secret":"` + good + `","timeout":true}`, "timeout"},
	}
	for _, tc := range bad {
		_, err := parseConfig([]byte(tc.cfg))
		if !errors.Is(err, eth.ErrInvalidArgument) || !strings.Contains(err.Error(), "engine config "+tc.key+":") {
			t.Errorf("%s: want eth.ErrInvalidArgument naming %q, got %v", tc.cfg, tc.key, err)
		}
	}
}

func TestConfigureNeedsRollup(t *testing.T) {
	cfg := []byte(`{"url":"http://127.0.0.1:1","jwt_secret_hex":"` + strings.Repeat("01", 32) + `"}`)
	if err := New().Configure(context.Background(), base.ConfigureRequest{Config: cfg}); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("no rollup config: %v", err)
	}
	if err := New().Configure(context.Background(), base.ConfigureRequest{Config: []byte(`{}`), Rollup: fakeRollup()}); !errors.Is(err, eth.ErrInvalidArgument) {
		t.Fatalf("no url: %v", err)
	}
}

func TestInfo(t *testing.T) {
	info, err := New().Info(context.Background())
	if err != nil || info.Name != "default" || info.Version == "" {
		t.Fatalf("%+v, %v", info, err)
	}
}

func TestRedact(t *testing.T) {
	if got := redact("https://user:pw@host:8551/path?key=secret"); strings.Contains(got, "pw") || strings.Contains(got, "secret") {
		t.Fatalf("credentials leak into messages: %s", got)
	}
}
