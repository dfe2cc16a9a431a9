// Package rules reads the variant deriver's config table into the rules it
// changes.
package rules

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/deriver"
	"github.com/opalnode/opal/sdk/eth"
)

// Parse reads {"seq_window_size": N, "extra_batchers": ["0x…"]}. At least
// one rule must change: a variant equal to the spec is a configuration
// mistake. Unknown keys are refused.
func Parse(raw json.RawMessage) (deriver.Rules, error) {
	var r deriver.Rules
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return r, fmt.Errorf("%w: variant deriver config: no rule changed (set seq_window_size or extra_batchers)", eth.ErrInvalidArgument)
	}
	var table map[string]json.RawMessage
	if err := json.Unmarshal(raw, &table); err != nil {
		return r, fmt.Errorf("%w: variant deriver config: %v", eth.ErrInvalidArgument, err)
	}
	for k, v := range table {
		switch k {
		case "seq_window_size":
			if err := json.Unmarshal(v, &r.SeqWindowSize); err != nil || r.SeqWindowSize == 0 {
				return r, fmt.Errorf("%w: variant deriver config seq_window_size: want a positive number of L1 blocks, got %s", eth.ErrInvalidArgument, v)
			}
		case "extra_batchers":
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				return r, fmt.Errorf("%w: variant deriver config extra_batchers: want a list of addresses: %v", eth.ErrInvalidArgument, err)
			}
			for _, a := range list {
				if !common.IsHexAddress(a) {
					return r, fmt.Errorf("%w: variant deriver config extra_batchers: %q is not an address", eth.ErrInvalidArgument, a)
				}
				r.ExtraBatchers = append(r.ExtraBatchers, common.HexToAddress(a))
			}
		default:
			return r, fmt.Errorf("%w: variant deriver config: unknown key %q (known: seq_window_size, extra_batchers)", eth.ErrInvalidArgument, k)
		}
	}
	if r.SeqWindowSize == 0 && len(r.ExtraBatchers) == 0 {
		return r, fmt.Errorf("%w: variant deriver config: no rule changed", eth.ErrInvalidArgument)
	}
	return r, nil
}
