package l1info

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/plugins/deriver/deposit"
	"github.com/opalnode/opal/plugins/deriver/upgrade"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

type decodedJSON struct {
	BaseFee              string         `json:"base_fee"`
	BaseFeeScalar        uint32         `json:"base_fee_scalar"`
	BatcherAddr          common.Address `json:"batcher_addr"`
	BlobBaseFee          *string        `json:"blob_base_fee"`
	BlobBaseFeeScalar    uint32         `json:"blob_base_fee_scalar"`
	BlockHash            common.Hash    `json:"block_hash"`
	DAFootprintGasScalar uint16         `json:"da_footprint_gas_scalar"`
	L1FeeOverhead        eth.Bytes32    `json:"l1_fee_overhead"`
	L1FeeScalar          eth.Bytes32    `json:"l1_fee_scalar"`
	Number               uint64         `json:"number"`
	OperatorFeeConstant  uint64         `json:"operator_fee_constant"`
	OperatorFeeScalar    uint32         `json:"operator_fee_scalar"`
	SequenceNumber       uint64         `json:"sequence_number"`
	Time                 uint64         `json:"time"`
}

func num(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("bad number %q", s)
	}
	return n
}

func (d *decodedJSON) info(t *testing.T, f Format) *Info {
	i := &Info{
		Format: f, Number: d.Number, Time: d.Time, BaseFee: num(t, d.BaseFee), BlockHash: d.BlockHash,
		SequenceNumber: d.SequenceNumber, BatcherAddr: d.BatcherAddr,
	}
	if f == FormatBedrock {
		i.L1FeeOverhead, i.L1FeeScalar = d.L1FeeOverhead, d.L1FeeScalar
		return i
	}
	if d.BlobBaseFee == nil {
		t.Fatal("missing blob base fee")
	}
	i.BlobBaseFee = num(t, *d.BlobBaseFee)
	i.BaseFeeScalar, i.BlobBaseFeeScalar = d.BaseFeeScalar, d.BlobBaseFeeScalar
	if f >= FormatIsthmus {
		i.OperatorFeeScalar, i.OperatorFeeConstant = d.OperatorFeeScalar, d.OperatorFeeConstant
	}
	if f == FormatJovian {
		i.DAFootprintGasScalar = d.DAFootprintGasScalar
	}
	return i
}

func formatOfSelector(t *testing.T, sel hexutil.Bytes) Format {
	for _, f := range []Format{FormatBedrock, FormatEcotone, FormatIsthmus, FormatJovian} {
		s := f.Selector()
		if bytes.Equal(s[:], sel) {
			return f
		}
	}
	t.Fatalf("unknown selector %x", sel)
	return 0
}

func sameInfo(t *testing.T, got, want *Info) {
	t.Helper()
	bigEq := func(a, b *big.Int) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return a.Cmp(b) == 0
	}
	g, w := *got, *want
	if !bigEq(g.BaseFee, w.BaseFee) || !bigEq(g.BlobBaseFee, w.BlobBaseFee) {
		t.Errorf("fees: got %v/%v, want %v/%v", g.BaseFee, g.BlobBaseFee, w.BaseFee, w.BlobBaseFee)
	}
	g.BaseFee, g.BlobBaseFee, w.BaseFee, w.BlobBaseFee = nil, nil, nil, nil
	if g != w {
		t.Errorf("info:\n got %+v\nwant %+v", g, w)
	}
}

func TestSelectors(t *testing.T) {
	for f, want := range map[Format]string{FormatBedrock: "0x015d8eb9", FormatEcotone: "0x440a5e20", FormatIsthmus: "0x098999be", FormatJovian: "0x3db6be2b"} {
		s := f.Selector()
		if hexutil.Encode(s[:]) != want {
			t.Errorf("%s selector %x, want %s", f, s, want)
		}
	}
	for f, want := range map[Format]int{FormatBedrock: 260, FormatEcotone: 164, FormatIsthmus: 176, FormatJovian: 178} {
		if f.Len() != want {
			t.Errorf("%s len %d", f, f.Len())
		}
	}
}

func TestReferenceComputedL1Info(t *testing.T) {
	var doc struct {
		L1Info map[string]json.RawMessage `json:"l1_info"`
	}
	if err := json.Unmarshal(vectors.Read(t, "expected/reference_computed.json"), &doc); err != nil {
		t.Fatal(err)
	}
	type calldataVec struct {
		Calldata     hexutil.Bytes `json:"calldata"`
		CalldataLen  int           `json:"calldata_len"`
		Decoded      decodedJSON   `json:"decoded"`
		SourceHash   common.Hash   `json:"l1_info_source_hash"`
		Selector     hexutil.Bytes `json:"selector"`
		Raw          hexutil.Bytes `json:"raw"`
		DataLen      int           `json:"data_len"`
		TxHash       common.Hash   `json:"tx_hash"`
		TxSourceHash common.Hash   `json:"source_hash"`
		Gas          uint64        `json:"gas"`
		IsSystemTx   bool          `json:"is_system_tx"`
		From         common.Address
		To           common.Address
	}
	seen := map[Format]bool{}
	for name, raw := range doc.L1Info {
		var v calldataVec
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			if v.Raw != nil {
				// A full deposit transaction (the Jovian mainnet txs).
				dep, err := deposit.Decode(v.Raw)
				if err != nil {
					t.Fatal(err)
				}
				if h := dep.Hash(); h != v.TxHash {
					t.Errorf("tx hash %s, want %s", h, v.TxHash)
				}
				if name == "jovian_op_mainnet_l2_151539208_deposit_tx" {
					// Checked against OP mainnet RPC (MANIFEST (X)).
					if dep.Hash() != common.HexToHash("0x8298e19f39ad1e9a2d670739614fafbbed1d5b3824319384f479168d2d8c8f95") ||
						dep.SourceHash != common.HexToHash("0xc912db3c7247e182b351c44e56b691ebcafbc8ada96c394ee5f5aa65d90b930e") {
						t.Errorf("OP mainnet L2 151539208 deposit: hash %s source %s", dep.Hash(), dep.SourceHash)
					}
				}
				info, err := Decode(dep.Data)
				if err != nil {
					t.Fatal(err)
				}
				if len(dep.Data) != v.DataLen {
					t.Errorf("data len %d", len(dep.Data))
				}
				if v.Decoded.Number != 0 {
					sameInfo(t, info, v.Decoded.info(t, FormatJovian))
				}
				src := deposit.L1InfoDepositSource(info.BlockHash, info.SequenceNumber)
				if src != v.TxSourceHash || dep.SourceHash != src {
					t.Errorf("source hash %s, tx has %s, want %s", src, dep.SourceHash, v.TxSourceHash)
				}
				// Rebuild the whole tx from the decoded info.
				rcfg := &rollup.Config{RegolithTime: new(uint64)}
				data, err := info.Marshal()
				if err != nil || !bytes.Equal(data, dep.Data) {
					t.Fatalf("re-marshal: %v", err)
				}
				again, err := Deposit(rcfg, info.BlockHash, info.SequenceNumber, data, 1).MarshalBinary()
				if err != nil || !bytes.Equal(again, v.Raw) {
					t.Fatalf("rebuilt deposit differs: %v\n%x\n%x", err, again, []byte(v.Raw))
				}
				if dep.Gas != v.Gas || dep.IsSystemTx != v.IsSystemTx || dep.From != DepositorAddress || *dep.To != L1BlockAddress {
					t.Errorf("deposit fields: %+v", dep)
				}
				seen[FormatJovian] = true
				return
			}
			f := formatOfSelector(t, v.Selector)
			seen[f] = true
			if len(v.Calldata) != v.CalldataLen || v.CalldataLen != f.Len() {
				t.Fatalf("length %d", len(v.Calldata))
			}
			want := v.Decoded.info(t, f)
			got, err := Decode(v.Calldata)
			if err != nil {
				t.Fatal(err)
			}
			sameInfo(t, got, want)
			if got2, err := DecodeFormat(f, v.Calldata); err != nil {
				t.Fatal(err)
			} else {
				sameInfo(t, got2, want)
			}
			enc, err := want.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, v.Calldata) {
				t.Errorf("encoding\n%x\nwant\n%x", enc, []byte(v.Calldata))
			}
			if src := deposit.L1InfoDepositSource(want.BlockHash, want.SequenceNumber); src != v.SourceHash {
				t.Errorf("source hash %s, want %s", src, v.SourceHash)
			}
		})
	}
	for _, f := range []Format{FormatBedrock, FormatEcotone, FormatIsthmus, FormatJovian} {
		if !seen[f] {
			t.Errorf("no %s vector", f)
		}
	}
}

type l1InfoCase struct {
	Name         string             `json:"name"`
	Calldata     hexutil.Bytes      `json:"calldata"`
	Decoded      decodedJSON        `json:"decoded"`
	Format       string             `json:"format"`
	From         common.Address     `json:"from"`
	To           common.Address     `json:"to"`
	Gas          uint64             `json:"gas"`
	IsSystemTx   bool               `json:"is_system_tx"`
	L2Timestamp  uint64             `json:"l2_timestamp"`
	Mint         *string            `json:"mint"`
	RawTx        hexutil.Bytes      `json:"raw_tx"`
	RollupForks  map[string]*uint64 `json:"rollup_forks"`
	Selector     hexutil.Bytes      `json:"selector"`
	SourceHash   common.Hash        `json:"source_hash"`
	SystemConfig eth.SystemConfig   `json:"system_config"`
	TxHash       common.Hash        `json:"tx_hash"`
	Value        string             `json:"value"`
}

type l1InfoDoc struct {
	Cases    []l1InfoCase `json:"cases"`
	L1Header struct {
		BlobBaseFee string        `json:"blob_base_fee"`
		Hash        common.Hash   `json:"hash"`
		RLP         hexutil.Bytes `json:"rlp"`
		Time        uint64        `json:"time"`
	} `json:"l1_header"`
	L2Timestamp    uint64 `json:"l2_timestamp"`
	SequenceNumber uint64 `json:"sequence_number"`
	RollupBase     struct {
		BlockTime     uint64 `json:"block_time"`
		GenesisL2Time uint64 `json:"genesis_l2_time"`
		L2ChainID     int64  `json:"l2_chain_id"`
	} `json:"rollup_base"`
}

func loadL1InfoDoc(t *testing.T) (*l1InfoDoc, *types.Header) {
	var doc l1InfoDoc
	if err := json.Unmarshal(vectors.Read(t, "reference/l1_info_txs.json"), &doc); err != nil {
		t.Fatal(err)
	}
	var h types.Header
	if err := rlp.DecodeBytes(doc.L1Header.RLP, &h); err != nil {
		t.Fatal(err)
	}
	if h.Hash() != doc.L1Header.Hash {
		t.Fatalf("header hash %s, want %s", h.Hash(), doc.L1Header.Hash)
	}
	return &doc, &h
}

func (c *l1InfoCase) rollupConfig(doc *l1InfoDoc) *rollup.Config {
	cfg := &rollup.Config{BlockTime: doc.RollupBase.BlockTime, L2ChainID: big.NewInt(doc.RollupBase.L2ChainID)}
	cfg.Genesis.L2Time = doc.RollupBase.GenesisL2Time
	cfg.Genesis.L2.Number = 0
	f := c.RollupForks
	cfg.RegolithTime, cfg.CanyonTime, cfg.DeltaTime = f["regolith"], f["canyon"], f["delta"]
	cfg.EcotoneTime, cfg.FjordTime, cfg.GraniteTime = f["ecotone"], f["fjord"], f["granite"]
	cfg.HoloceneTime, cfg.IsthmusTime, cfg.JovianTime, cfg.KarstTime = f["holocene"], f["isthmus"], f["jovian"], f["karst"]
	return cfg
}

func TestReferenceL1InfoTxs(t *testing.T) {
	doc, header := loadL1InfoDoc(t)
	if len(doc.Cases) < 10 {
		t.Fatalf("only %d cases", len(doc.Cases))
	}
	for _, c := range doc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			cfg := c.rollupConfig(doc)
			f := FormatAt(cfg, c.L2Timestamp)
			if f.String() != c.Format {
				t.Fatalf("format %s, want %s", f, c.Format)
			}
			info, err := New(cfg, params.MainnetChainConfig, c.SystemConfig, doc.SequenceNumber, header, c.L2Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			sameInfo(t, info, c.Decoded.info(t, f))
			data, err := info.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, c.Calldata) {
				t.Fatalf("calldata\n%x\nwant\n%x", data, []byte(c.Calldata))
			}
			tx, err := DepositTx(cfg, params.MainnetChainConfig, c.SystemConfig, doc.SequenceNumber, header, c.L2Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			if tx.SourceHash != c.SourceHash || tx.Gas != c.Gas || tx.IsSystemTx != c.IsSystemTx || tx.From != c.From || *tx.To != c.To || tx.Mint != nil {
				t.Errorf("deposit fields %+v", tx)
			}
			raw, err := DepositBytes(cfg, params.MainnetChainConfig, c.SystemConfig, doc.SequenceNumber, header, c.L2Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, c.RawTx) {
				t.Fatalf("raw tx\n%x\nwant\n%x", raw, []byte(c.RawTx))
			}
			if h := deposit.HashOf(raw); h != c.TxHash || tx.Hash() != c.TxHash {
				t.Errorf("tx hash %s, want %s", h, c.TxHash)
			}
			// Decoding: by selector, and strictly by time.
			got, err := Decode(c.Calldata)
			if err != nil {
				t.Fatal(err)
			}
			sameInfo(t, got, info)
			if _, err := DecodeAt(cfg, c.L2Timestamp, c.Calldata); err != nil {
				t.Fatal(err)
			}
			checkSystemConfigFromBlock(t, cfg, &c, raw, info)
		})
	}
}

// checkSystemConfigFromBlock rebuilds the system config from an L2 block
// carrying the case's deposit and checks it against the rules.
func checkSystemConfigFromBlock(t *testing.T, cfg *rollup.Config, c *l1InfoCase, raw []byte, info *Info) {
	t.Helper()
	sc := c.SystemConfig
	ts := c.L2Timestamp
	var extra []byte
	switch {
	case cfg.IsJovian(ts):
		extra = make([]byte, 17)
		extra[0] = 1
		copy(extra[1:9], sc.EIP1559Params[:])
		binary.BigEndian.PutUint64(extra[9:], sc.MinBaseFee)
	case cfg.IsHolocene(ts):
		extra = append([]byte{0}, sc.EIP1559Params[:]...)
	}
	blk := L2Block{Hash: common.Hash{1}, ParentHash: common.Hash{2}, Number: 50, Time: ts, GasLimit: sc.GasLimit, ExtraData: extra}
	got, err := SystemConfigFromL2Block(cfg, blk, raw)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := BlockRef(cfg, blk, raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := (eth.L2BlockRef{Hash: blk.Hash, ParentHash: blk.ParentHash, Number: 50, Time: ts,
		L1Origin: eth.BlockID{Hash: c.Decoded.BlockHash, Number: c.Decoded.Number}, SequenceNumber: c.Decoded.SequenceNumber}); ref != want {
		t.Errorf("block ref %+v, want %+v", ref, want)
	}
	want := eth.SystemConfig{BatcherAddr: sc.BatcherAddr, GasLimit: sc.GasLimit}
	if info.Format == FormatBedrock {
		want.Overhead, want.Scalar = sc.Overhead, sc.Scalar
	} else {
		want.Scalar[0] = 1
		binary.BigEndian.PutUint32(want.Scalar[24:28], c.Decoded.BlobBaseFeeScalar)
		binary.BigEndian.PutUint32(want.Scalar[28:32], c.Decoded.BaseFeeScalar)
	}
	if cfg.IsHolocene(ts) {
		want.EIP1559Params = sc.EIP1559Params
	}
	if cfg.IsIsthmus(ts) {
		binary.BigEndian.PutUint32(want.OperatorFeeParams[20:24], c.Decoded.OperatorFeeScalar)
		binary.BigEndian.PutUint64(want.OperatorFeeParams[24:32], c.Decoded.OperatorFeeConstant)
	}
	if cfg.IsJovian(ts) {
		want.MinBaseFee = sc.MinBaseFee
		want.DAFootprintGasScalar = c.Decoded.DAFootprintGasScalar
	}
	if got != want {
		t.Errorf("system config\n got %+v\nwant %+v", got, want)
	}
	// On steady-state blocks the round trip is exact (up to the v1 re-pack
	// and the DA scalar default).
	if info.Format == FormatJovian && sc.DAFootprintGasScalar != 0 && got != sc {
		t.Errorf("jovian round trip\n got %+v\nwant %+v", got, sc)
	}
}

func TestBlobBaseFee(t *testing.T) {
	doc, header := loadL1InfoDoc(t)
	fee, err := BlobBaseFee(&rollup.Config{}, params.MainnetChainConfig, header)
	if err != nil {
		t.Fatal(err)
	}
	if fee.String() != doc.L1Header.BlobBaseFee {
		t.Fatalf("prague fee %s, want %s", fee, doc.L1Header.BlobBaseFee)
	}
	// Before the pectra blob schedule the Cancun fraction applies even
	// though L1 is on Prague; from it on, L1's schedule.
	sched := header.Time + 1
	rcfg := &rollup.Config{PectraBlobScheduleTime: &sched}
	cancun, err := BlobBaseFee(rcfg, params.MainnetChainConfig, header)
	if err != nil {
		t.Fatal(err)
	}
	if want := fakeExp(1, *header.ExcessBlobGas, 3338477); cancun.Cmp(want) != 0 {
		t.Fatalf("cancun fee %s, want %s", cancun, want)
	}
	if want := fakeExp(1, *header.ExcessBlobGas, 5007716); fee.Cmp(want) != 0 {
		t.Fatalf("prague fee %s, independent %s", fee, want)
	}
	sched = header.Time
	if f, _ := BlobBaseFee(rcfg, params.MainnetChainConfig, header); f.Cmp(fee) != 0 {
		t.Fatalf("at the schedule time: %s, want %s", f, fee)
	}
	// Without blob fields: 1. With blob fields on a pre-Cancun config: an
	// error, not a panic.
	noBlob := types.CopyHeader(header)
	noBlob.ExcessBlobGas, noBlob.BlobGasUsed = nil, nil
	if f, err := BlobBaseFee(nil, nil, noBlob); err != nil || f.Int64() != 1 {
		t.Fatalf("no blob fields: %v %v", f, err)
	}
	pre := *params.MainnetChainConfig
	pre.CancunTime, pre.PragueTime, pre.OsakaTime = nil, nil, nil
	pre.BPO1Time, pre.BPO2Time = nil, nil
	if _, err := BlobBaseFee(nil, &pre, header); err == nil {
		t.Fatal("pre-Cancun config accepted")
	}
	if _, err := BlobBaseFee(nil, nil, header); err == nil {
		t.Fatal("nil L1 config accepted")
	}
}

// fakeExp is an independent transcription of EIP-4844's fake_exponential.
func fakeExp(factor, numerator, denominator uint64) *big.Int {
	f, n, d := new(big.Int).SetUint64(factor), new(big.Int).SetUint64(numerator), new(big.Int).SetUint64(denominator)
	out := new(big.Int)
	acc := new(big.Int).Mul(f, d)
	for i := int64(1); acc.Sign() > 0; i++ {
		out.Add(out, acc)
		acc.Mul(acc, n)
		acc.Div(acc, new(big.Int).Mul(d, big.NewInt(i)))
	}
	return out.Div(out, d)
}

func u64(v uint64) *uint64 { return &v }

func jovianConfig() *rollup.Config {
	z := u64(0)
	cfg := &rollup.Config{BlockTime: 2, RegolithTime: z, CanyonTime: z, DeltaTime: z, EcotoneTime: z, FjordTime: z,
		GraniteTime: z, HoloceneTime: z, IsthmusTime: z, JovianTime: z}
	cfg.Genesis.L2Time = 1000
	cfg.Genesis.L2.Hash = common.Hash{0xee}
	cfg.Genesis.SystemConfig.GasLimit = 30_000_000
	return cfg
}

func testHeader() *types.Header {
	ebg, used := uint64(0), uint64(0)
	return &types.Header{Number: big.NewInt(100), Time: 2_000_000_000, BaseFee: big.NewInt(7), ExcessBlobGas: &ebg, BlobGasUsed: &used, Difficulty: new(big.Int)}
}

func TestSystemConfigFromL2BlockRules(t *testing.T) {
	cfg := jovianConfig()
	cfg.KarstTime = u64(1100)
	sc := eth.SystemConfig{BatcherAddr: common.Address{1}, GasLimit: 30_000_000, EIP1559Params: eth.Bytes8{0, 0, 0, 50, 0, 0, 0, 6}, MinBaseFee: 9, DAFootprintGasScalar: 7}
	sc.Scalar[0] = 1
	sc.Scalar[31] = 5
	extra := append(append([]byte{1}, sc.EIP1559Params[:]...), 0, 0, 0, 0, 0, 0, 0, 9)
	depAt := func(ts uint64) []byte {
		raw, err := DepositBytes(cfg, params.MainnetChainConfig, sc, 0, testHeader(), ts)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	// Karst activation block: the upgrade gas is subtracted again...
	blk := L2Block{Number: 50, Time: 1100, GasLimit: sc.GasLimit + upgrade.KarstUpgradeGas(), ExtraData: extra}
	got, err := SystemConfigFromL2Block(cfg, blk, depAt(1100))
	if err != nil {
		t.Fatal(err)
	}
	if got != sc {
		t.Fatalf("karst activation:\n got %+v\nwant %+v", got, sc)
	}
	// ...unless the chain keeps it.
	cfg.KeepKarstUpgradeGas = true
	if got, _ := SystemConfigFromL2Block(cfg, blk, depAt(1100)); got.GasLimit != blk.GasLimit {
		t.Fatalf("keep_karst_upgrade_gas: gas limit %d", got.GasLimit)
	}
	cfg.KeepKarstUpgradeGas = false
	blk.GasLimit = 10
	if _, err := SystemConfigFromL2Block(cfg, blk, depAt(1100)); err == nil {
		t.Fatal("gas limit below upgrade gas accepted")
	}
	// The block after: nothing subtracted.
	blk = L2Block{Number: 51, Time: 1102, GasLimit: sc.GasLimit, ExtraData: extra}
	if got, err := SystemConfigFromL2Block(cfg, blk, depAt(1102)); err != nil || got != sc {
		t.Fatalf("after karst: %+v %v", got, err)
	}
	// Bad extraData.
	for _, bad := range [][]byte{nil, extra[:9], append([]byte{0}, extra[1:]...), {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
		{1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, // zero elasticity
	} {
		blk.ExtraData = bad
		if _, err := SystemConfigFromL2Block(cfg, blk, depAt(1102)); err == nil {
			t.Errorf("extraData %x accepted", bad)
		}
	}
	blk.ExtraData = extra
	// Genesis.
	if got, err := SystemConfigFromL2Block(cfg, L2Block{Number: 0, Hash: common.Hash{0xee}}, nil); err != nil || got != cfg.Genesis.SystemConfig {
		t.Fatalf("genesis: %+v %v", got, err)
	}
	if _, err := SystemConfigFromL2Block(cfg, L2Block{Number: 0, Hash: common.Hash{1}}, nil); err == nil {
		t.Fatal("wrong genesis hash accepted")
	}
	cfg.Genesis.L1 = eth.BlockID{Hash: common.Hash{0xaa}, Number: 77}
	if ref, err := BlockRef(cfg, L2Block{Number: 0, Hash: common.Hash{0xee}, Time: 1000}, nil); err != nil || ref.L1Origin != cfg.Genesis.L1 || ref.SequenceNumber != 0 {
		t.Fatalf("genesis ref: %+v %v", ref, err)
	}
	if _, err := BlockRef(cfg, L2Block{Number: 0, Hash: common.Hash{1}}, nil); err == nil {
		t.Fatal("wrong genesis hash accepted by BlockRef")
	}
	if _, err := BlockRef(cfg, blk, nil); err == nil {
		t.Fatal("BlockRef without deposit accepted")
	}
	// Missing or wrong first tx.
	if _, err := SystemConfigFromL2Block(cfg, blk, nil); err == nil {
		t.Fatal("missing deposit accepted")
	}
	if _, err := SystemConfigFromL2Block(cfg, blk, []byte{2, 0xc0}); err == nil {
		t.Fatal("non-deposit accepted")
	}
	// A Bedrock-format deposit in a Jovian block.
	bedrockCfg := &rollup.Config{BlockTime: 2}
	old, _ := DepositBytes(bedrockCfg, nil, sc, 0, testHeader(), 1102)
	if _, err := SystemConfigFromL2Block(cfg, blk, old); err == nil {
		t.Fatal("wrong-format deposit accepted")
	}
	// Pre-Holocene blocks must have empty extraData.
	if _, err := SystemConfigFromL2Block(bedrockCfg, L2Block{Number: 5, Time: 1102, ExtraData: []byte{0}}, old); err == nil {
		t.Fatal("extraData before Holocene accepted")
	}
	if got, err := SystemConfigFromL2Block(bedrockCfg, L2Block{Number: 5, Time: 1102, GasLimit: 3}, old); err != nil || got.Scalar != sc.Scalar || got.GasLimit != 3 {
		t.Fatalf("bedrock: %+v %v", got, err)
	}
}

func TestEcotoneScalarRules(t *testing.T) {
	var sc eth.SystemConfig
	sc.Scalar[31] = 9
	if b, bl, err := EcotoneScalars(&sc); err != nil || b != 9 || bl != 0 {
		t.Fatalf("v0: %d %d %v", b, bl, err)
	}
	sc.Scalar[5] = 1 // v0 with dirty padding: MaxUint32
	if b, bl, err := EcotoneScalars(&sc); err != nil || b != ^uint32(0) || bl != 0 {
		t.Fatalf("v0 padding: %d %d %v", b, bl, err)
	}
	sc.Scalar[0] = 1 // v1 with dirty padding: error
	if _, _, err := EcotoneScalars(&sc); err == nil {
		t.Fatal("v1 padding accepted")
	}
	sc.Scalar = eth.Bytes32{0: 2}
	if _, _, err := EcotoneScalars(&sc); err == nil {
		t.Fatal("v2 accepted")
	}
	cfg := jovianConfig()
	if _, err := DepositTx(cfg, params.MainnetChainConfig, sc, 0, testHeader(), 1100); err == nil {
		t.Fatal("deposit with a v2 scalar built")
	}
}

func TestDecodeRejects(t *testing.T) {
	info := &Info{Format: FormatJovian, BaseFee: big.NewInt(1), BlobBaseFee: big.NewInt(1), BatcherAddr: common.Address{1}}
	good, err := info.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(good); err != nil {
		t.Fatal(err)
	}
	bad := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short":         good[:3],
		"truncated":     good[:len(good)-1],
		"trailing":      append(append([]byte{}, good...), 0),
		"selector":      bad(func(b []byte) []byte { b[0] ^= 1; return b }),
		"batcher pad":   bad(func(b []byte) []byte { b[132] = 1; return b }),
		"isthmus bytes": bad(func(b []byte) []byte { copy(b, SelectorIsthmus[:]); return b }),
	} {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	bed := &Info{Format: FormatBedrock, BaseFee: big.NewInt(1)}
	bgood, _ := bed.Marshal()
	for _, off := range []int{4, 36, 4 + 32*4, 4 + 32*5} { // number, time, seq padding; batcher padding
		b := append([]byte{}, bgood...)
		b[off] = 1
		if _, err := Decode(b); err == nil {
			t.Errorf("bedrock padding at %d accepted", off)
		}
	}
	cfg := jovianConfig()
	if _, err := DecodeAt(cfg, 1100, bgood); err == nil {
		t.Error("bedrock calldata accepted in a jovian block")
	}
	if _, err := (&Info{Format: FormatEcotone, BaseFee: big.NewInt(1)}).Marshal(); err == nil {
		t.Error("ecotone info without blob base fee marshalled")
	}
	if _, err := (&Info{Format: 9}).Marshal(); err == nil {
		t.Error("unknown format marshalled")
	}
	if _, err := New(cfg, nil, eth.SystemConfig{}, 0, &types.Header{Number: big.NewInt(1)}, 1100); err == nil {
		t.Error("pre-London header accepted")
	}
}
