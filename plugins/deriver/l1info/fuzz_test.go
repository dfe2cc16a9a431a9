package l1info

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/deposit"
)

func FuzzDecode(f *testing.F) {
	if b := vectors.TryRead("reference/l1_info_txs.json"); b != nil {
		var doc struct {
			Cases []struct {
				Calldata hexutil.Bytes `json:"calldata"`
			} `json:"cases"`
		}
		if json.Unmarshal(b, &doc) == nil {
			for _, c := range doc.Cases {
				f.Add([]byte(c.Calldata), uint64(1000000100))
			}
		}
	}
	if b := vectors.TryRead("expected/reference_computed.json"); b != nil {
		var doc struct {
			L1Info map[string]struct {
				Calldata hexutil.Bytes `json:"calldata"`
				Raw      hexutil.Bytes `json:"raw"`
			} `json:"l1_info"`
		}
		if json.Unmarshal(b, &doc) == nil {
			for _, v := range doc.L1Info {
				if v.Calldata != nil {
					f.Add([]byte(v.Calldata), uint64(0))
				}
				if dep, err := deposit.Decode(v.Raw); err == nil {
					f.Add(dep.Data, uint64(2000))
				}
			}
		}
	}
	f.Add(append(SelectorJovian[:], make([]byte, LenJovian-4)...), uint64(5))
	cfg := jovianConfig()
	cfg.JovianTime = u64(1100)
	cfg.IsthmusTime = u64(1050)
	f.Fuzz(func(t *testing.T, data []byte, l2Time uint64) {
		info, err := Decode(data)
		if err == nil {
			out, err := info.Marshal()
			if err != nil {
				t.Fatalf("decoded info does not marshal: %v", err)
			}
			if !bytes.Equal(out, data) {
				t.Fatalf("round trip differs:\n%x\n%x", out, data)
			}
		}
		if strict, err := DecodeAt(cfg, l2Time, data); err == nil {
			if strict.Format != FormatAt(cfg, l2Time) || info == nil || strict.Format != info.Format {
				t.Fatalf("DecodeAt accepted format %v at %d", strict.Format, l2Time)
			}
		}
	})
}
