package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/beacon/engine"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/opalnode/opal/devnet/chain"
	"github.com/opalnode/opal/devnet/stack"
	"github.com/opalnode/opal/sdk/eth"
)

// relayUnsafe posts every block the sequencer makes to the follower's
// admin_postUnsafePayload, in order, standing in for p2p gossip (which is
// how unsafe blocks reach a node in follow mode).
func relayUnsafe(ctx context.Context, s *stack.Stack, follower *rpc.Client) {
	next := uint64(1)
	for ctx.Err() == nil {
		if s.Sequencer.Heads().Unsafe.Number < next {
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		env, err := s.Sequencer.PayloadByNumber(ctx, next)
		if err != nil {
			// The head moves just before the engine labels the block.
			time.Sleep(20 * time.Millisecond)
			continue
		}
		msg, err := opNodeEnvelope(env)
		if err != nil {
			return
		}
		if err := follower.CallContext(ctx, nil, "admin_postUnsafePayload", msg); err != nil {
			if ctx.Err() != nil {
				return
			}
			// The follower may not be listening yet.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		next++
	}
}

// opNodeEnvelope is the JSON op-node sends for a payload envelope,
// written by op-geth's own Engine API type rather than opal's: the relay
// checks that opal reads op-node's admin_postUnsafePayload unchanged.
func opNodeEnvelope(env *eth.ExecutionPayloadEnvelope) (json.RawMessage, error) {
	p := env.ExecutionPayload
	ed := engine.ExecutableData{
		ParentHash: p.ParentHash, FeeRecipient: p.FeeRecipient, StateRoot: p.StateRoot, ReceiptsRoot: p.ReceiptsRoot,
		LogsBloom: p.LogsBloom[:], Random: p.PrevRandao, Number: p.BlockNumber, GasLimit: p.GasLimit, GasUsed: p.GasUsed,
		Timestamp: p.Timestamp, ExtraData: p.ExtraData, BaseFeePerGas: p.BaseFeePerGas, BlockHash: p.BlockHash,
		Transactions: p.Transactions, Withdrawals: p.Withdrawals, BlobGasUsed: p.BlobGasUsed, ExcessBlobGas: p.ExcessBlobGas,
		WithdrawalsRoot: p.WithdrawalsRoot,
	}
	return json.Marshal(struct {
		ExecutionPayload      *engine.ExecutableData `json:"executionPayload"`
		ParentBeaconBlockRoot *common.Hash           `json:"parentBeaconBlockRoot,omitempty"`
	}{&ed, env.ParentBeaconBlockRoot})
}

// An `opal run --l2.follow.source <sequencer's RPC>` with its own op-geth
// takes its safe and finalized heads from the sequencer (after checking
// their L1 origins on its own L1), with no deriver loaded, and reaches the
// sequencer's safe and finalized heads with equal hashes.
func TestFollowMode(t *testing.T) {
	bin := buildOpal(t)
	s := startStack(t, stack.Options{Chain: chain.Config{L1BlockTime: 1, L2BlockTime: 1}})
	cmd, eng, url := opalRun(t, bin, s, "follower",
		"--l2.follow.source", "http://"+s.Sequencer.RPCAddr(), "--rpc.enable-admin", "--data-dir", t.TempDir(), "--log.level", "info")
	startProcess(t, cmd)
	follower, err := rpc.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Close()
	ctx, cancel := context.WithCancel(context.Background())
	relayed := make(chan struct{})
	go func() { relayUnsafe(ctx, s, follower); close(relayed) }()
	defer func() { cancel(); <-relayed }()

	var st map[string]l2Ref
	waitUntil(t, 90*time.Second, "follower safe head 6 and a finalized block", func() bool {
		st, err = syncStatus(url)
		return err == nil && st["safe_l2"].Number >= 6 && st["finalized_l2"].Number > 0
	})
	seqL2, err := ethclient.Dial(s.Chain.Endpoints().L2HTTP)
	if err != nil {
		t.Fatal(err)
	}
	defer seqL2.Close()
	for _, label := range []string{"safe_l2", "finalized_l2", "local_safe_l2"} {
		ref := st[label]
		want, err := seqL2.HeaderByNumber(context.Background(), bigU(ref.Number))
		if err != nil {
			t.Fatal(err)
		}
		if want.Hash() != ref.Hash {
			t.Fatalf("follower %s %d is %s, the sequencer's block is %s", label, ref.Number, ref.Hash, want.Hash())
		}
	}
	// The follower's engine holds the same chain, labelled the same.
	verL2, err := ethclient.Dial(eng.HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer verL2.Close()
	safe, err := verL2.HeaderByNumber(context.Background(), bigU(st["safe_l2"].Number))
	if err != nil || safe.Hash() != st["safe_l2"].Hash {
		t.Fatalf("follower engine block %d: %v", st["safe_l2"].Number, err)
	}
	var fin map[string]any
	if err := verL2.Client().Call(&fin, "eth_getBlockByNumber", "finalized", false); err != nil || fin == nil {
		t.Fatalf("follower engine has no finalized block: %v", err)
	}
	// No batch derivation of its own: no deriver plugin is loaded.
	var plugins []struct {
		Kind string `json:"kind"`
	}
	if err := follower.Call(&plugins, "opal_pluginStatus"); err != nil {
		t.Fatal(err)
	}
	for _, p := range plugins {
		if p.Kind == "deriver" {
			t.Fatalf("a deriver is loaded in follow mode: %+v", plugins)
		}
	}
	// superroot_atTimestamp answers for the follower's safe block.
	var sr map[string]json.RawMessage
	if err := follower.Call(&sr, "superroot_atTimestamp", fmt.Sprintf("0x%x", safe.Time)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sr["chain_ids"]), s.Chain.Rollup.L2ChainID.String()) {
		t.Fatalf("superroot_atTimestamp: %v", sr)
	}
}
