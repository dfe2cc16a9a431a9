package rpc

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/engine"
	"github.com/opalnode/opal/sdk/eth"
)

// The output root and optimism_outputAtBlock's JSON match the reference.
func TestOutputRootV0(t *testing.T) {
	t.Parallel()
	var ref struct {
		OutputRootV0 struct {
			StateRoot                common.Hash `json:"state_root"`
			MessagePasserStorageRoot common.Hash `json:"message_passer_storage_root"`
			BlockHash                common.Hash `json:"block_hash"`
			OutputRoot               common.Hash `json:"output_root"`
		} `json:"output_root_v0"`
	}
	if err := json.Unmarshal(vectors.Read(t, "expected/reference_computed.json"), &ref); err != nil {
		t.Fatal(err)
	}
	v := ref.OutputRootV0
	if v.OutputRoot == (common.Hash{}) {
		t.Fatal("vector has no output root (field names changed?)")
	}
	got := OutputRootV0(engine.OutputV0{StateRoot: v.StateRoot, MessagePasserStorageRoot: v.MessagePasserStorageRoot, BlockHash: v.BlockHash})
	if common.Hash(got) != v.OutputRoot {
		t.Fatalf("output root %s, want %s", common.Hash(got), v.OutputRoot)
	}
	resp := OutputResponse{OutputRoot: got, BlockRef: eth.L2BlockRef{Number: 7}, Status: &SyncStatus{}}
	b, _ := json.Marshal(resp)
	var shape map[string]json.RawMessage
	_ = json.Unmarshal(b, &shape)
	for _, k := range []string{"version", "outputRoot", "blockRef", "withdrawalStorageRoot", "stateRoot", "syncStatus"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("outputAtBlock answer lacks %q", k)
		}
	}
	if string(shape["version"]) != `"0x0000000000000000000000000000000000000000000000000000000000000000"` {
		t.Errorf("version %s", shape["version"])
	}
}
