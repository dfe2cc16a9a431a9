package sysconfig

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

func FuzzProcessLog(f *testing.F) {
	if b := vectors.TryRead("reference/system_config_updates.json"); b != nil {
		var doc struct {
			Cases []struct {
				L1Time uint64 `json:"l1_time"`
				Log    struct {
					Data   hexutil.Bytes `json:"data"`
					Topics []common.Hash `json:"topics"`
				} `json:"log"`
			} `json:"cases"`
		}
		if json.Unmarshal(b, &doc) == nil {
			for _, c := range doc.Cases {
				var topics []byte
				for _, tp := range c.Log.Topics {
					topics = append(topics, tp[:]...)
				}
				f.Add(topics, []byte(c.Log.Data), c.L1Time)
			}
		}
	}
	f.Add(append(append(EventTopic.Bytes(), make([]byte, 32)...), make([]byte, 32)...), make([]byte, 96), uint64(0))
	ecotone := uint64(1700000000)
	rcfg := &rollup.Config{EcotoneTime: &ecotone}
	f.Fuzz(func(t *testing.T, topics, data []byte, l1Time uint64) {
		var ts []common.Hash
		for len(topics) >= 32 {
			ts = append(ts, common.BytesToHash(topics[:32]))
			topics = topics[32:]
		}
		var before eth.SystemConfig
		before.GasLimit = 30_000_000
		before.Scalar[31] = 1
		cfg := before
		err := ProcessLog(&cfg, eth.Log{Topics: ts, Data: data}, rcfg, l1Time)
		if err != nil && cfg != before {
			t.Fatalf("config changed on error %v", err)
		}
		// Whatever was accepted, the EIP-1559 params (zero before) are
		// both zero or both non-zero.
		if p := cfg.EIP1559Params; (p[0]|p[1]|p[2]|p[3] == 0) != (p[4]|p[5]|p[6]|p[7] == 0) {
			t.Fatalf("accepted EIP-1559 params %v", p)
		}
	})
}
