package engine

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/opalnode/opal/sdk/eth"
)

// DefaultTimeout bounds every call to the engine when the config sets no
// "timeout": long enough for a newPayload of a full block on a busy
// machine, short enough that a hung engine is noticed within a slot or two.
const DefaultTimeout = 10 * time.Second

// Config is the plugin's [plugins.engine.config] table. Every key:
//
//   - url: the engine's authenticated endpoint, http(s):// or ws(s)://
//     (op-geth's --authrpc.addr/--authrpc.port, e.g. "http://127.0.0.1:8551").
//     Required. The L2 reads (blocks, proofs) use the same endpoint, which
//     op-geth serves the eth namespace on.
//   - jwt_secret: path to a file holding the 32-byte JWT secret as hex, the
//     format of op-node's --l2.jwt-secret and op-geth's --authrpc.jwtsecret
//     (a "0x" prefix is optional, surrounding whitespace is ignored).
//   - jwt_secret_hex: the same secret inline, for tests and secret stores
//     that inject values rather than files. Exactly one of jwt_secret and
//     jwt_secret_hex must be set.
//   - timeout: the limit of each single call, as a Go duration string
//     ("10s", "1500ms") or a number of seconds; default 10s.
//
// Unknown keys are refused, so that a misspelt key is not silently ignored.
type Config struct {
	URL          string   `json:"url"`
	JWTSecret    string   `json:"jwt_secret"`
	JWTSecretHex string   `json:"jwt_secret_hex"`
	Timeout      Duration `json:"timeout"`
}

// Duration is a time.Duration that reads a Go duration string or a number
// of seconds, since TOML users write both.
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("want a duration string such as \"10s\" or a number of seconds, got %s", b)
	}
	if secs > float64(1<<62)/float64(time.Second) || secs < -float64(1<<62)/float64(time.Second) {
		return fmt.Errorf("%v seconds is out of range", secs)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// settings is a validated Config.
type settings struct {
	url     string
	secret  [32]byte
	timeout time.Duration
	// secretKey is the key the secret came from, for error messages.
	secretKey string
}

// badKey is the error for a bad configuration value: it wraps
// eth.ErrInvalidArgument and names the key, as base.Plugin requires.
func badKey(key, format string, args ...any) error {
	return fmt.Errorf("%w: engine config %s: %s", eth.ErrInvalidArgument, key, fmt.Sprintf(format, args...))
}

// parseConfig decodes and validates the plugin's config table. Keys are
// decoded one by one so that every error names its key.
func parseConfig(raw json.RawMessage) (settings, error) {
	var c Config
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && string(trimmed) != "null" {
		var table map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &table); err != nil {
			return settings{}, badKey("config", "not a table: %v", err)
		}
		fields := map[string]any{"url": &c.URL, "jwt_secret": &c.JWTSecret, "jwt_secret_hex": &c.JWTSecretHex, "timeout": &c.Timeout}
		for key, val := range table {
			dst, ok := fields[key]
			if !ok {
				return settings{}, badKey(key, "unknown key (known: url, jwt_secret, jwt_secret_hex, timeout)")
			}
			if err := json.Unmarshal(val, dst); err != nil {
				return settings{}, badKey(key, "%v", err)
			}
		}
	}
	s := settings{url: strings.TrimSpace(c.URL), timeout: time.Duration(c.Timeout)}
	if s.url == "" {
		return settings{}, badKey("url", "required (the engine's authenticated endpoint, e.g. http://127.0.0.1:8551)")
	}
	u, err := url.Parse(s.url)
	if err != nil {
		return settings{}, badKey("url", "%v", err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return settings{}, badKey("url", "scheme %q is not one of http, https, ws, wss", u.Scheme)
	}
	if u.Host == "" {
		return settings{}, badKey("url", "%q has no host", s.url)
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.timeout < 0 {
		return settings{}, badKey("timeout", "must be positive, got %s", s.timeout)
	}
	switch {
	case c.JWTSecret != "" && c.JWTSecretHex != "":
		return settings{}, badKey("jwt_secret", "set either jwt_secret or jwt_secret_hex, not both")
	case c.JWTSecret != "":
		data, err := os.ReadFile(c.JWTSecret)
		if err != nil {
			return settings{}, badKey("jwt_secret", "%v", err)
		}
		if s.secret, err = parseSecret(string(data)); err != nil {
			return settings{}, badKey("jwt_secret", "file %s: %v", c.JWTSecret, err)
		}
		s.secretKey = "jwt_secret"
	case c.JWTSecretHex != "":
		if s.secret, err = parseSecret(c.JWTSecretHex); err != nil {
			return settings{}, badKey("jwt_secret_hex", "%v", err)
		}
		s.secretKey = "jwt_secret_hex"
	default:
		return settings{}, badKey("jwt_secret", "required (or jwt_secret_hex): the engine API needs JWT authentication")
	}
	return s, nil
}

// parseSecret reads a 32-byte secret written as hex, optionally 0x-prefixed
// and surrounded by whitespace (a trailing newline is common in files).
func parseSecret(text string) ([32]byte, error) {
	var secret [32]byte
	text = strings.TrimSpace(text)
	text = strings.TrimPrefix(strings.TrimPrefix(text, "0x"), "0X")
	b, err := hex.DecodeString(text)
	if err != nil {
		return secret, fmt.Errorf("not hex: %v", err)
	}
	if len(b) != len(secret) {
		return secret, fmt.Errorf("want %d bytes, got %d", len(secret), len(b))
	}
	copy(secret[:], b)
	return secret, nil
}
