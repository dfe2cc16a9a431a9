package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, err string
		window  uint64
		extra   int
	}{
		{in: `{"seq_window_size": 20}`, window: 20},
		{in: `{"extra_batchers": ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]}`, extra: 1},
		{in: `{"seq_window_size": 5, "extra_batchers": []}`, window: 5},
		{in: ``, err: "no rule changed"},
		{in: `{}`, err: "no rule changed"},
		{in: `{"seq_window_size": 0}`, err: "seq_window_size"},
		{in: `{"seq_window_size": "x"}`, err: "seq_window_size"},
		{in: `{"extra_batchers": ["nope"]}`, err: "not an address"},
		{in: `{"channel_timeout": 3}`, err: "unknown key"},
		{in: `[1]`, err: "variant deriver config"},
	} {
		r, err := Parse([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, eth.ErrInvalidArgument) {
				t.Errorf("%s: got %v, want an invalid-argument error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || r.SeqWindowSize != tc.window || len(r.ExtraBatchers) != tc.extra {
			t.Errorf("%s: got %+v, %v", tc.in, r, err)
		}
		if tc.extra == 1 && r.ExtraBatchers[0] != common.HexToAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8") {
			t.Errorf("%s: address %s", tc.in, r.ExtraBatchers[0])
		}
	}
}
