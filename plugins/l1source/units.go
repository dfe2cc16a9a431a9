package l1source

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// stringList reads one string or a list of strings, since TOML users write
// both for a key that usually holds one value.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", truncate(b))
	}
	*l = many
	return nil
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
		return fmt.Errorf("want a duration string such as \"2s\" or a number of seconds, got %s", truncate(b))
	}
	if math.IsNaN(secs) || math.Abs(secs) > float64(1<<62)/float64(time.Second) {
		return fmt.Errorf("%v seconds is out of range", secs)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// ByteSize reads a number of bytes or a string with a binary or decimal
// unit ("256MiB", "512 MB", "1GiB").
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1},
}

func (s *ByteSize) UnmarshalJSON(b []byte) error {
	var n float64
	if err := json.Unmarshal(b, &n); err == nil {
		return s.set(n, 1)
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("want a number of bytes or a size such as \"256MiB\", got %s", truncate(b))
	}
	t := strings.ToLower(strings.TrimSpace(str))
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return fmt.Errorf("size %q: want a number with an optional unit (B, KiB, MiB, GiB, KB, MB, GB)", str)
	}
	return s.set(v, mult)
}

func (s *ByteSize) set(v float64, mult int64) error {
	total := v * float64(mult)
	if math.IsNaN(total) || total < 0 || total > float64(1<<50) {
		return fmt.Errorf("size %v out of range (0 to 1 PiB)", total)
	}
	*s = ByteSize(total)
	return nil
}

// truncate shortens a bad JSON value for an error message.
func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}
