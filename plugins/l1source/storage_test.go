package l1source

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/sdk/eth"
)

// The signer slot reads as op-node's L1 client reads it: at a given block,
// with proofs; unset slots and absent accounts are zero, an unknown block
// is eth.ErrNotFound. trust_rpc reads the same values with
// eth_getStorageAt and never asks for a proof.
func TestStorageAt(t *testing.T) {
	l1 := shared(t)
	p := newProxy(t, l1.HTTP)
	ctx := context.Background()
	head := l1.head().Hash()
	genesis := l1.chain().Blocks[0].Hash()
	for _, trust := range []bool{false, true} {
		src := configured(t, map[string]any{"rpc": p.srv.URL, "trust_rpc": trust})
		for _, tc := range []struct {
			account common.Address
			slot    common.Hash
			block   common.Hash
			want    common.Hash
		}{
			{testSysConfig, signerSlot, head, common.BytesToHash(testSigner[:])},
			{testSysConfig, signerSlot, genesis, common.BytesToHash(testSigner[:])},
			{testSysConfig, ownerSlot, head, testOwner},
			{testSysConfig, common.HexToHash("0x77"), head, common.Hash{}},                                       // unset slot
			{testWatched, signerSlot, head, common.Hash{}},                                                       // empty storage
			{common.HexToAddress("0x00000000000000000000000000000000000dead1"), signerSlot, head, common.Hash{}}, // no account
		} {
			got, err := src.StorageAt(ctx, tc.account, tc.slot, tc.block)
			if err != nil || got != tc.want {
				t.Fatalf("trust %v: %s slot %s at %s: %s, %v; want %s", trust, tc.account, tc.slot, tc.block, got, err, tc.want)
			}
		}
		if _, err := src.StorageAt(ctx, testSysConfig, signerSlot, common.HexToHash("0xdead")); !errors.Is(err, eth.ErrNotFound) {
			t.Fatalf("trust %v: unknown block: want eth.ErrNotFound, got %v", trust, err)
		}
		if trust && p.count("eth_getProof") != 6 {
			t.Fatalf("%d eth_getProof calls, want 6 (none with trust_rpc)", p.count("eth_getProof"))
		}
	}
	if p.count("eth_getStorageAt") != 7 {
		t.Fatalf("%d eth_getStorageAt calls, want 7 (only with trust_rpc)", p.count("eth_getStorageAt"))
	}
}

// A rotation: the slot is read at the block asked for, before and after
// the transaction that changed it.
func TestStorageAtFollowsTheBlock(t *testing.T) {
	l1 := startL1(t, 2, 1)
	before := l1.head().Hash()
	rotated := common.HexToAddress("0x00000000000000000000000000000000000ca11e")
	if err := l1.send(testSysConfig, common.BytesToHash(rotated[:]).Bytes(), 60_000); err != nil {
		t.Fatal(err)
	}
	l1.beacon.Commit()
	after := l1.head().Hash()
	src := configured(t, map[string]any{"rpc": l1.HTTP})
	for block, want := range map[common.Hash]common.Address{before: testSigner, after: rotated} {
		got, err := src.StorageAt(context.Background(), testSysConfig, signerSlot, block)
		if err != nil || common.BytesToAddress(got[:]) != want {
			t.Fatalf("at %s: %s, %v; want %s", block, got, err, want)
		}
	}
}

// A proof that does not lead from the header's state root to the value it
// claims is refused as bad data, whatever part was altered; the untouched
// answer passes, so each case fails for its flaw.
func TestStorageAtRefusesTamperedProofs(t *testing.T) {
	l1 := shared(t)
	chain := l1.chain()
	head := chain.Head().Hash()
	c, err := rpc.Dial(l1.HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	proofAt := func(block common.Hash, slot common.Hash) map[string]any {
		var m map[string]any
		if err := c.Call(&m, "eth_getProof", testSysConfig, []common.Hash{slot}, block); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// The genesis state differs from the head's (balances moved since).
	otherRoot := proofAt(chain.Blocks[0].Hash(), signerSlot)
	if chain.Blocks[0].Root() == chain.Head().Root() {
		t.Fatal("the test needs a head whose state differs from genesis")
	}
	otherSlot := proofAt(head, ownerSlot)
	flip := func(hexNode any) string {
		s := hexNode.(string)
		b := []byte(s)
		i := len(b) - 3
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	storage := func(m map[string]any) map[string]any { return m["storageProof"].([]any)[0].(map[string]any) }
	cases := map[string]func(m map[string]any){
		"untouched": func(map[string]any) {},
		"claimed value": func(m map[string]any) {
			storage(m)["value"] = "0xbad"
		},
		"account proof node": func(m map[string]any) {
			nodes := m["accountProof"].([]any)
			nodes[len(nodes)-1] = flip(nodes[len(nodes)-1])
		},
		"account proof cut short": func(m map[string]any) {
			m["accountProof"] = m["accountProof"].([]any)[:1]
		},
		"storage proof node": func(m map[string]any) {
			nodes := storage(m)["proof"].([]any)
			nodes[len(nodes)-1] = flip(nodes[len(nodes)-1])
		},
		"storage proof dropped": func(m map[string]any) { storage(m)["proof"] = []any{} },
		"storage hash": func(m map[string]any) {
			m["storageHash"] = common.HexToHash("0x5707").Hex()
		},
		"no storage proof": func(m map[string]any) { m["storageProof"] = []any{} },
		"another slot's proof": func(m map[string]any) {
			m["storageProof"] = otherSlot["storageProof"]
		},
		"another slot's proof under this key": func(m map[string]any) {
			sp := storage(otherSlot)
			storage(m)["proof"], storage(m)["value"] = sp["proof"], sp["value"]
		},
		"another block's state": func(m map[string]any) {
			m["accountProof"] = otherRoot["accountProof"]
		},
		"another account": func(m map[string]any) { m["address"] = testWatched.Hex() },
		"not a proof":     func(m map[string]any) { m["accountProof"] = "0x00" },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeRPC(t)
			f.serveBlocks(chain.Blocks, chain.Receipts)
			f.handle("eth_getProof", func([]json.RawMessage) (any, *rpcErr) {
				m := proofAt(head, signerSlot)
				tamper(m)
				return m, nil
			})
			src := configured(t, map[string]any{"rpc": f.srv.URL, "retries": 0})
			got, err := src.StorageAt(context.Background(), testSysConfig, signerSlot, head)
			if name == "untouched" {
				if err != nil || common.BytesToAddress(got[:]) != testSigner {
					t.Fatalf("the genuine proof: %s, %v", got, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, read %s", got)
			}
			t.Logf("refused: %v", err)
			if !errors.Is(err, ErrBadResponse) || !errors.Is(err, eth.ErrTemporary) {
				t.Fatalf("want bad data reported as temporary, got %v", err)
			}
		})
	}
}

// Transport failures are eth.ErrTemporary; an endpoint without
// eth_getProof says what to do about it.
func TestStorageAtTransportErrors(t *testing.T) {
	l1 := shared(t)
	chain := l1.chain()
	head := chain.Head().Hash()
	f := newFakeRPC(t)
	f.serveBlocks(chain.Blocks, chain.Receipts)
	src := configured(t, map[string]any{"rpc": f.srv.URL, "retries": 0})
	_, err := src.StorageAt(context.Background(), testSysConfig, signerSlot, head)
	if !errors.Is(err, eth.ErrTemporary) || !strings.Contains(err.Error(), "trust_rpc") {
		t.Fatalf("no eth_getProof: %v", err)
	}
	f.handle("eth_getProof", func([]json.RawMessage) (any, *rpcErr) { return nil, &rpcErr{Code: -32000, Message: "overloaded"} })
	if _, err := src.StorageAt(context.Background(), testSysConfig, signerSlot, head); !errors.Is(err, eth.ErrTemporary) {
		t.Fatalf("failing endpoint: %v", err)
	}
	p := newProxy(t, l1.HTTP)
	p.set(unavailable, -1, "eth_getProof")
	src = configured(t, map[string]any{"rpc": p.srv.URL, "retries": 0})
	if _, err := src.StorageAt(context.Background(), testSysConfig, signerSlot, head); !errors.Is(err, eth.ErrTemporary) {
		t.Fatalf("HTTP 503: %v", err)
	}
}
