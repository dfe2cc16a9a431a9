package inspect

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/rollup"
)

func opMainnet(t *testing.T) *rollup.Config {
	t.Helper()
	cfg, err := rollup.Parse(vectors.Read(t, "rollup-configs/op-mainnet.rollup.json"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRealInputs(t *testing.T) {
	t.Parallel()
	cfg := opMainnet(t)
	cases := []struct {
		file  string
		kind  Kind
		check func(t *testing.T, r *Report)
	}{
		{"kona/crates/protocol/protocol/testdata/batch.hex", KindChannel, func(t *testing.T, r *Report) {
			b := r.Channels[0].Batches[0]
			if b.Type != "span" || b.BlockCount != 143 || b.TxCount != 1766 || len(b.Blocks) != 143 || b.Blocks[0].Timestamp != 1718364637 {
				t.Fatalf("span: %+v", b)
			}
		}},
		{"kona/crates/protocol/derive/testdata/raw_batcher_tx.hex", KindTx, func(t *testing.T, r *Report) {
			if r.Tx.Hash.Hex() != "0xe69d94330faafb4f716f7ad9b3b50ea8ff5ce57aea6d2f8be07afb7fe49cd6cf" || len(r.Frames) != 1 || r.Frames[0].DataLen != 119799 {
				t.Fatalf("tx: %+v frames %+v", r.Tx, r.Frames)
			}
			if b := r.Channels[0].Batches[0]; b.BlockCount != 27 || b.TxCount != 209 {
				t.Fatalf("batch %+v", b)
			}
		}},
		{"derived/op_mainnet_calldata_frame_as_blob.hex", KindBlob, func(t *testing.T, r *Report) {
			if len(r.Frames) != 1 || !r.Channels[0].Complete || r.Channels[0].Batches[0].BlockCount != 27 {
				t.Fatalf("blob: %+v", r.Channels)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.kind.String(), func(t *testing.T) {
			t.Parallel()
			r, err := Decode(vectors.Read(t, tc.file), Options{Rollup: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.kind {
				t.Fatalf("detected %s, want %s", r.Kind, tc.kind)
			}
			tc.check(t, r)
			if _, err := json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{"empty": "", "garbage": "not a batch at all", "hex-garbage": "0xdeadbeef"} {
		if _, err := Decode([]byte(in), Options{}); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := Decode([]byte("0x00"), Options{Kind: "nonsense"}); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("unknown kind: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("0x00"))
	f.Add([]byte{0, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Decode(data, Options{})
	})
}
