package node

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/core/config"
	"github.com/opalnode/opal/core/runtimecfg"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/sdktest"
)

// The node loads the unsafe block signer from the rollup's SystemConfig at
// the L1 head less the verifier's confirmations, and shows it.
func TestLoadsTheUnsafeBlockSigner(t *testing.T) {
	chain := sdktest.NewL1Chain(10)
	sysConfig := sdktest.TestRollupConfig(eth.HeaderRef(chain.Blocks[0].Header())).L1SystemConfigAddress
	signer := common.HexToAddress("0x000000000000000000000000000000000000a11c")
	chain.Storage = map[common.Address]map[common.Hash]common.Hash{
		sysConfig: {runtimecfg.UnsafeBlockSignerSlot: common.BytesToHash(signer[:])},
	}
	n, _, _ := fakeNodeWith(t, t.TempDir(), chain, func(c *config.Config) { c.Verifier.L1Confs = 2 })
	waitFor(t, "the unsafe block signer", func() bool { _, ok := n.UnsafeBlockSigner(); return ok })
	s, _ := n.UnsafeBlockSigner()
	if s.Address != signer || s.L1 != eth.HeaderRef(chain.Blocks[8].Header()) {
		t.Fatalf("loaded %s at %s, want %s at block 8", s.Address, s.L1, signer)
	}
}
