package chain

import (
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/devnet/contracts"
	"github.com/opalnode/opal/plugins/deriver/sysconfig"
	"github.com/opalnode/opal/sdk/eth"
)

// Each SystemConfig setter emits one ConfigUpdate that the deriver applies
// as the intended change, and nothing else.
func TestSystemConfigUpdates(t *testing.T) {
	t.Parallel()
	c, l1c := startChain(t)
	admin := c.Keys.Admin
	newBatcher := common.HexToAddress("0x00000000000000000000000000000000000ba7c4")
	for _, tc := range []struct {
		name   string
		data   []byte
		change func(*eth.SystemConfig)
	}{
		{"batcher", contracts.PackSetBatcherHash(newBatcher), func(s *eth.SystemConfig) { s.BatcherAddr = newBatcher }},
		{"fee scalars", contracts.PackSetGasConfigEcotone(11, 7), func(s *eth.SystemConfig) {
			s.Scalar = eth.Bytes32{}
			s.Scalar[0] = eth.ScalarVersionEcotone
			s.Scalar[27], s.Scalar[31] = 7, 11
		}},
		{"gas limit", contracts.PackSetGasLimit(40_000_000), func(s *eth.SystemConfig) { s.GasLimit = 40_000_000 }},
		{"unsafe block signer", contracts.PackSetUnsafeBlockSigner(newBatcher), func(*eth.SystemConfig) {}},
		{"eip-1559 params", contracts.PackSetEIP1559Params(100, 4), func(s *eth.SystemConfig) {
			s.EIP1559Params = eth.Bytes8{0, 0, 0, 100, 0, 0, 0, 4}
		}},
		{"operator fee", contracts.PackSetOperatorFeeScalars(5, 9), func(s *eth.SystemConfig) {
			s.OperatorFeeParams = eth.Bytes32{}
			binary.BigEndian.PutUint32(s.OperatorFeeParams[20:24], 5)
			binary.BigEndian.PutUint64(s.OperatorFeeParams[24:32], 9)
		}},
		{"min base fee", contracts.PackSetMinBaseFee(1_000), func(s *eth.SystemConfig) { s.MinBaseFee = 1_000 }},
		{"da footprint", contracts.PackSetDAFootprintGasScalar(321), func(s *eth.SystemConfig) { s.DAFootprintGasScalar = 321 }},
	} {
		rec, block := send(t, c, l1c, admin, &SystemConfigAddress, nil, tc.data)
		if rec.Status != 1 || len(rec.Logs) != 1 {
			t.Fatalf("%s: status %d, %d logs", tc.name, rec.Status, len(rec.Logs))
		}
		before := c.Rollup.Genesis.SystemConfig
		got, want := before, before
		tc.change(&want)
		if err := sysconfig.ProcessLog(&got, toEthLog(rec.Logs[0]), c.Rollup, block.Time()); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != want {
			t.Errorf("%s: applied %+v, want %+v", tc.name, got, want)
		}
	}
	// The signer is also in its storage slot, where p2p reads it.
	slot, err := l1c.StorageAt(t.Context(), SystemConfigAddress, contracts.UnsafeBlockSignerSlot, nil)
	if err != nil || common.BytesToAddress(slot) != newBatcher {
		t.Fatalf("signer slot %x, %v", slot, err)
	}
	// Only the owner may change the config.
	if rec, _ := send(t, c, l1c, c.Keys.Users[0], &SystemConfigAddress, nil, contracts.PackSetGasLimit(1)); rec.Status != 0 {
		t.Fatal("a stranger changed the gas limit")
	}
	// The pre-Ecotone form carries overhead and scalar as given.
	rec, block := send(t, c, l1c, admin, &SystemConfigAddress, nil, contracts.PackSetGasConfig(big.NewInt(188), big.NewInt(684_000)))
	got := c.Rollup.Genesis.SystemConfig
	pre := *c.Rollup
	pre.EcotoneTime = nil
	pre.FjordTime, pre.GraniteTime, pre.HoloceneTime, pre.IsthmusTime, pre.JovianTime = nil, nil, nil, nil, nil
	if err := sysconfig.ProcessLog(&got, toEthLog(rec.Logs[0]), &pre, block.Time()); err != nil {
		t.Fatal(err)
	}
	if new(big.Int).SetBytes(got.Overhead[:]).Int64() != 188 || new(big.Int).SetBytes(got.Scalar[:]).Int64() != 684_000 {
		t.Fatalf("pre-Ecotone gas config %x %x", got.Overhead, got.Scalar)
	}
}
