package l1source

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/eth"
	sdkl1 "github.com/opalnode/opal/sdk/l1source"
)

// op-service's recorded Goerli blocks and headers: the *_metadata.json of
// each case says whether it was deliberately corrupted ("fail": true).
const sourcesData = "optimism/op-service/sources/testdata/data"

type vectorCase struct {
	name string
	fail bool
	data json.RawMessage
	hash common.Hash
}

func loadCases(t *testing.T, kind string) []vectorCase {
	t.Helper()
	dir := filepath.Join(vectors.Dir(t), filepath.FromSlash(sourcesData), kind)
	entries, err := os.ReadDir(dir)
	if err != nil {
		vectors.Missing(t, "op-service %s vectors not readable (%v); see internal/vectors", kind, err)
	}
	var out []vectorCase
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), "_metadata.json")
		if !ok {
			continue
		}
		var meta struct {
			Name string `json:"name"`
			Fail bool   `json:"fail"`
		}
		if err := json.Unmarshal(vectors.Read(t, sourcesData+"/"+kind+"/"+e.Name()), &meta); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		c := vectorCase{name: name, fail: meta.Fail, data: vectors.Read(t, sourcesData+"/"+kind+"/"+name+"_data.json")}
		var h struct {
			Hash common.Hash `json:"hash"`
		}
		if err := json.Unmarshal(c.data, &h); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.hash = h.Hash
		out = append(out, c)
	}
	if len(out) == 0 {
		vectors.Missing(t, "no op-service %s vectors in %s", kind, dir)
	}
	return out
}

// serveVector answers every block request with the recorded document;
// receipts are not part of the vectors.
func serveVector(t *testing.T, doc json.RawMessage) *fakeRPC {
	f := newFakeRPC(t)
	answer := func([]json.RawMessage) (any, *rpcErr) { return doc, nil }
	f.handle("eth_getBlockByHash", answer)
	f.handle("eth_getBlockByNumber", answer)
	f.handle("eth_getTransactionReceipt", func([]json.RawMessage) (any, *rpcErr) { return nil, nil })
	return f
}

func TestVectorBlocks(t *testing.T) {
	for _, c := range loadCases(t, "blocks") {
		t.Run(c.name, func(t *testing.T) {
			// The decoding and root checks on their own.
			id := blockID{hash: &c.hash}
			_, _, _, err := decodeBlock("vector", id, c.data, false)
			if c.fail != (err != nil) {
				t.Fatalf("fail=%v, verification error: %v", c.fail, err)
			}
			if c.fail && !errors.Is(err, ErrBadResponse) {
				t.Fatalf("rejected without ErrBadResponse: %v", err)
			}
			// The same through BlockData over JSON-RPC: a corrupted block is
			// refused before its receipts are looked at; a good one passes
			// and the missing receipts (not in the vectors) read as not found.
			f := serveVector(t, c.data)
			src := configured(t, map[string]any{"rpc": f.srv.URL, "retries": 0})
			data, err := src.BlockData(context.Background(), sdkl1.BlockDataRequest{Hash: &c.hash})
			switch {
			case data != nil:
				t.Fatalf("data passed on without receipts: %+v", data.Ref())
			case c.fail && !(errors.Is(err, ErrBadResponse) && errors.Is(err, eth.ErrTemporary)):
				t.Fatalf("want a temporary ErrBadResponse, got %v", err)
			case c.fail && !strings.Contains(err.Error(), c.hash.Hex()):
				t.Fatalf("error does not name the block: %v", err)
			case !c.fail && !errors.Is(err, eth.ErrNotFound):
				t.Fatalf("a good block must pass verification (then miss its receipts), got %v", err)
			}
		})
	}
}

func TestVectorHeaders(t *testing.T) {
	for _, c := range loadCases(t, "headers") {
		t.Run(c.name, func(t *testing.T) {
			f := serveVector(t, c.data)
			src := configured(t, map[string]any{"rpc": f.srv.URL, "retries": 0})
			ref, err := src.BlockRefByHash(context.Background(), c.hash)
			if c.fail {
				if err == nil || !errors.Is(err, ErrBadResponse) {
					t.Fatalf("corrupted header accepted: %+v, %v", ref, err)
				}
				if !strings.Contains(err.Error(), "rpc "+redact(f.srv.URL)) {
					t.Fatalf("error does not name the endpoint: %v", err)
				}
				return
			}
			if err != nil || ref.Hash != c.hash {
				t.Fatalf("good header: got %+v, %v; want hash %s", ref, err, c.hash)
			}
			// By number too: the number in the answer must match.
			byNum, err := src.BlockRefByNumber(context.Background(), ref.Number)
			if err != nil || byNum != ref {
				t.Fatalf("by number: %+v, %v", byNum, err)
			}
			if _, err := src.BlockRefByNumber(context.Background(), ref.Number+1); !errors.Is(err, ErrBadResponse) {
				t.Fatalf("a block of another number must be refused, got %v", err)
			}
		})
	}
}

// With trust_rpc the endpoint's claimed hash is taken as is.
func TestVectorHeadersTrusted(t *testing.T) {
	for _, c := range loadCases(t, "headers") {
		if !c.fail {
			continue
		}
		f := serveVector(t, c.data)
		src := configured(t, map[string]any{"rpc": f.srv.URL, "retries": 0, "trust_rpc": true})
		if ref, err := src.BlockRefByHash(context.Background(), c.hash); err != nil || ref.Hash != c.hash {
			t.Fatalf("%s: trusted endpoint: %+v, %v", c.name, ref, err)
		}
	}
}
