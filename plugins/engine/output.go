package engine

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	sdkengine "github.com/opalnode/opal/sdk/engine"
)

// MessagePasserAddress is the L2ToL1MessagePasser predeploy, whose storage
// root commits to the withdrawals an output root proves.
var MessagePasserAddress = common.HexToAddress("0x4200000000000000000000000000000000000016")

// OutputRootV0 is the version-0 output root the L2OutputOracle and dispute
// games commit to: keccak256(version 0 ‖ stateRoot ‖
// messagePasserStorageRoot ‖ blockHash), each 32 bytes.
func OutputRootV0(o sdkengine.OutputV0) common.Hash { return o.Root() }

// proofResult is the part of eth_getProof's answer the output needs.
type proofResult struct {
	Address     common.Address `json:"address"`
	StorageHash common.Hash    `json:"storageHash"`
}

// OutputV0AtBlock gathers the output root inputs of an L2 block. From
// Isthmus the header's withdrawalsRoot is the message passer's storage
// root; before, it comes from eth_getProof of the predeploy at that block
// (the engine must still hold that block's state).
func (e *Engine) OutputV0AtBlock(ctx context.Context, hash common.Hash) (sdkengine.OutputV0, error) {
	c, err := e.current()
	if err != nil {
		return sdkengine.OutputV0{}, err
	}
	h, tx0, err := c.headerAndFirstTx(ctx, selHash(hash))
	if err != nil {
		return sdkengine.OutputV0{}, err
	}
	ref, err := c.refOf(h, tx0)
	if err != nil {
		return sdkengine.OutputV0{}, err
	}
	out := sdkengine.OutputV0{StateRoot: h.StateRoot, BlockHash: h.Hash, Block: ref}
	if c.cfg.IsIsthmus(uint64(h.Timestamp)) {
		if h.WithdrawalsRoot == nil {
			return sdkengine.OutputV0{}, c.badAnswer("eth_getBlockByHash", fmt.Errorf("isthmus block %s has no withdrawalsRoot", h.Hash))
		}
		out.MessagePasserStorageRoot = *h.WithdrawalsRoot
		return out, nil
	}
	var proof *proofResult
	if err := c.call(ctx, &proof, "eth_getProof", MessagePasserAddress, []hexutil.Bytes{}, h.Hash); err != nil {
		return sdkengine.OutputV0{}, c.readError(selHash(hash), err)
	}
	if proof == nil {
		return sdkengine.OutputV0{}, notFound(selHash(hash))
	}
	if proof.Address != MessagePasserAddress {
		return sdkengine.OutputV0{}, c.badAnswer("eth_getProof", fmt.Errorf("proof is for %s", proof.Address))
	}
	out.MessagePasserStorageRoot = proof.StorageHash
	return out, nil
}
