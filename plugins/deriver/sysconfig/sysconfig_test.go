package sysconfig

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/opalnode/opal/internal/vectors"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

type updateCase struct {
	Name       string           `json:"name"`
	UpdateType *int             `json:"update_type"`
	Before     eth.SystemConfig `json:"before"`
	After      eth.SystemConfig `json:"after"`
	Error      *string          `json:"error"`
	RecError   *string          `json:"receipts_error"`
	IsEcotone  bool             `json:"is_ecotone"`
	L1Time     uint64           `json:"l1_time"`
	Log        struct {
		Address common.Address `json:"address"`
		Data    hexutil.Bytes  `json:"data"`
		Topics  []common.Hash  `json:"topics"`
	} `json:"log"`
}

type updateDoc struct {
	Cases        []updateCase `json:"cases"`
	EventTopic0  common.Hash  `json:"event_topic0"`
	RollupConfig struct {
		L1SystemConfigAddress common.Address     `json:"l1_system_config_address"`
		ForkActivationTimes   map[string]*uint64 `json:"fork_activation_times"`
	} `json:"rollup_config"`
}

func loadDoc(tb testing.TB) (*updateDoc, *rollup.Config) {
	var doc updateDoc
	if err := json.Unmarshal(vectors.Read(tb, "reference/system_config_updates.json"), &doc); err != nil {
		tb.Fatal(err)
	}
	f := doc.RollupConfig.ForkActivationTimes
	rcfg := &rollup.Config{
		BlockTime: 2, RegolithTime: f["regolith"], CanyonTime: f["canyon"], DeltaTime: f["delta"],
		EcotoneTime: f["ecotone"], FjordTime: f["fjord"], GraniteTime: f["granite"], HoloceneTime: f["holocene"],
		IsthmusTime: f["isthmus"], JovianTime: f["jovian"], KarstTime: f["karst"],
		L1SystemConfigAddress: doc.RollupConfig.L1SystemConfigAddress,
	}
	return &doc, rcfg
}

func (c *updateCase) log() eth.Log {
	return eth.Log{Address: c.Log.Address, Topics: c.Log.Topics, Data: c.Log.Data, Index: 5}
}

// errorSpirit maps the reference's error text to the sentinel or text ours
// must carry.
func checkErrorSpirit(t *testing.T, got error, want string) {
	t.Helper()
	switch {
	case strings.Contains(want, "unknown SystemConfig event version"):
		if !errors.Is(got, ErrUnknownVersion) {
			t.Errorf("want ErrUnknownVersion, got %v", got)
		}
	case strings.Contains(want, "unknown SystemConfig event type"):
		if !errors.Is(got, ErrUnknownType) {
			t.Errorf("want ErrUnknownType, got %v", got)
		}
	case strings.Contains(want, "invalid EIP-1559 parameters"):
		if !errors.Is(got, ErrInvalidEIP1559Params) {
			t.Errorf("want ErrInvalidEIP1559Params, got %v", got)
		}
	case strings.HasPrefix(want, "error parsing system config: "):
		detail := strings.TrimPrefix(want, "error parsing system config: ")
		if !errors.Is(got, ErrParse) || !strings.Contains(got.Error(), detail) {
			t.Errorf("want ErrParse (%s), got %v", detail, got)
		}
	case strings.Contains(want, "expected 3 event topics"):
		if !strings.Contains(got.Error(), "expected 3 event topics") {
			t.Errorf("want a topic-count error, got %v", got)
		}
	default:
		t.Errorf("unclassified reference error %q (ours: %v)", want, got)
	}
}

func TestSystemConfigUpdateVectors(t *testing.T) {
	doc, rcfg := loadDoc(t)
	if doc.EventTopic0 != EventTopic {
		t.Fatalf("event topic %s, want %s", EventTopic, doc.EventTopic0)
	}
	types := map[int]bool{}
	var malformed int
	for _, c := range doc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if rcfg.IsEcotone(c.L1Time) != c.IsEcotone {
				t.Fatalf("is_ecotone mismatch at %d", c.L1Time)
			}
			cfg := c.Before
			err := ProcessLog(&cfg, c.log(), rcfg, c.L1Time)
			if c.Error != nil {
				malformed++
				if err == nil {
					t.Fatalf("accepted; reference error: %s", *c.Error)
				}
				checkErrorSpirit(t, err, *c.Error)
				if cfg != c.Before {
					t.Errorf("config changed on error")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if cfg != c.After {
					t.Errorf("after:\n got %+v\nwant %+v", cfg, c.After)
				}
				types[*c.UpdateType] = true
			}
			// The same log through ApplyReceipts, alone in one successful
			// receipt; and ignored in a failed one.
			cfg = c.Before
			rerr := ApplyReceipts(&cfg, []eth.Receipt{{TxIndex: 0, Status: 1, Logs: []eth.Log{c.log()}}}, rcfg.L1SystemConfigAddress, rcfg, c.L1Time)
			if (rerr != nil) != (c.RecError != nil) {
				t.Fatalf("ApplyReceipts error %v, reference %v", rerr, c.RecError)
			}
			if cfg != c.After {
				t.Errorf("ApplyReceipts after:\n got %+v\nwant %+v", cfg, c.After)
			}
			if rerr != nil && !strings.Contains(rerr.Error(), "malformed L1 system config log in tx 0, log 5") {
				t.Errorf("ApplyReceipts error %v", rerr)
			}
			cfg = c.Before
			if err := ApplyReceipts(&cfg, []eth.Receipt{{Status: 0, Logs: []eth.Log{c.log()}}}, rcfg.L1SystemConfigAddress, rcfg, c.L1Time); err != nil || cfg != c.Before {
				t.Errorf("failed receipt applied: %v", err)
			}
		})
	}
	for ty := 0; ty <= 7; ty++ {
		if !types[ty] {
			t.Errorf("no successful vector for update type %d", ty)
		}
	}
	if malformed < 5 {
		t.Errorf("only %d malformed vectors", malformed)
	}
}

func TestApplyReceiptsContinuesPastBadLogs(t *testing.T) {
	doc, rcfg := loadDoc(t)
	byName := map[string]updateCase{}
	for _, c := range doc.Cases {
		byName[c.Name] = c
	}
	batcher, gas, bad := byName["batcher"], byName["gas_limit"], byName["malformed_unknown_type"]
	other := gas.log()
	other.Address = common.Address{1} // another emitter: ignored
	other.Data = append([]byte{}, other.Data...)
	other.Data[len(other.Data)-1] = 0x55
	cfg := batcher.Before
	recs := []eth.Receipt{
		{TxIndex: 1, Status: 1, Logs: []eth.Log{batcher.log(), bad.log()}},
		{TxIndex: 2, Status: 1, Logs: []eth.Log{other, gas.log()}},
	}
	err := ApplyReceipts(&cfg, recs, rcfg.L1SystemConfigAddress, rcfg, 1700001200)
	if !errors.Is(err, ErrUnknownType) {
		t.Fatalf("err = %v", err)
	}
	if cfg.BatcherAddr != batcher.After.BatcherAddr || cfg.GasLimit != gas.After.GasLimit {
		t.Fatalf("valid updates around the bad one not applied: %+v", cfg)
	}
}

func TestProcessLogRules(t *testing.T) {
	rcfg := &rollup.Config{}
	word := func(b ...byte) []byte { w := make([]byte, 32); copy(w[32-len(b):], b); return w }
	data := func(length byte, payload ...[]byte) []byte {
		d := append(word(32), word(length)...)
		for _, p := range payload {
			d = append(d, p...)
		}
		return d
	}
	lg := func(ty byte, d []byte) eth.Log {
		return eth.Log{Topics: []common.Hash{EventTopic, {}, {31: ty}}, Data: d}
	}
	var cfg eth.SystemConfig
	// DA footprint scalar: uint16 with 30 bytes of padding.
	if err := ProcessLog(&cfg, lg(7, data(32, word(1, 2))), rcfg, 0); err != nil || cfg.DAFootprintGasScalar != 0x102 {
		t.Fatalf("da scalar: %v %d", err, cfg.DAFootprintGasScalar)
	}
	if err := ProcessLog(&cfg, lg(7, data(32, word(1, 0, 0))), rcfg, 0); !errors.Is(err, ErrParse) {
		t.Fatalf("da scalar over 16 bits: %v", err)
	}
	// Gas limit over 64 bits.
	if err := ProcessLog(&cfg, lg(2, data(32, word(1, 0, 0, 0, 0, 0, 0, 0, 0))), rcfg, 0); !errors.Is(err, ErrParse) {
		t.Fatalf("gas limit over 64 bits: %v", err)
	}
	// Batcher with dirty padding.
	if err := ProcessLog(&cfg, lg(0, data(32, word(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))), rcfg, 0); !errors.Is(err, ErrParse) {
		t.Fatalf("batcher padding: %v", err)
	}
	// EIP-1559: the high 24 bytes are ignored; 0/0 is allowed.
	hi := word(0, 0, 0, 50, 0, 0, 0, 4)
	hi[0] = 0xff
	if err := ProcessLog(&cfg, lg(4, data(32, hi)), rcfg, 0); err != nil || cfg.EIP1559Params != (eth.Bytes8{0, 0, 0, 50, 0, 0, 0, 4}) {
		t.Fatalf("eip1559: %v %x", err, cfg.EIP1559Params)
	}
	if err := ProcessLog(&cfg, lg(4, data(32, word(0))), rcfg, 0); err != nil || cfg.EIP1559Params != (eth.Bytes8{}) {
		t.Fatalf("eip1559 zero: %v", err)
	}
	// Framing: short data, bad pointer, short payload.
	for name, d := range map[string][]byte{
		"empty":         nil,
		"pointer 64":    append(word(64), word(32)...),
		"no length":     word(32),
		"short payload": data(32, word(1)[:31]),
	} {
		if err := ProcessLog(&cfg, lg(2, d), rcfg, 0); !errors.Is(err, ErrParse) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The unsafe block signer is not even parsed.
	if err := ProcessLog(&cfg, lg(3, nil), rcfg, 0); err != nil {
		t.Fatalf("unsafe signer: %v", err)
	}
	// Wrong topic0; type with high bits; nil inputs.
	if err := ProcessLog(&cfg, eth.Log{Topics: []common.Hash{{1}, {}, {}}}, rcfg, 0); err == nil {
		t.Fatal("wrong topic0 accepted")
	}
	if err := ProcessLog(&cfg, eth.Log{Topics: []common.Hash{EventTopic, {}, {0: 1}}}, rcfg, 0); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("type with high bits: %v", err)
	}
	if ProcessLog(nil, lg(3, nil), rcfg, 0) == nil || ProcessLog(&cfg, lg(3, nil), nil, 0) == nil || ApplyReceipts(nil, nil, common.Address{}, rcfg, 0) == nil {
		t.Fatal("nil inputs accepted")
	}
}

// TestEIP1559ParamsBothZeroOrBothSet is op-node's rule for an EIP-1559
// params update (parseSystemConfigUpdateEIP1559Params, through op-geth's
// ValidateHolocene1559Params): denominator and elasticity are both zero or
// both non-zero. A zero on one side only is invalid, either way round; the
// update is then rejected and the config left as it was.
func TestEIP1559ParamsBothZeroOrBothSet(t *testing.T) {
	t.Parallel()
	rcfg := &rollup.Config{}
	old := eth.Bytes8{0, 0, 0, 250, 0, 0, 0, 6}
	cases := []struct {
		name        string
		denominator uint32
		elasticity  uint32
		valid       bool
	}{
		{"both zero", 0, 0, true},
		{"both set", 50, 4, true},
		{"both at the uint32 maximum", 0xffffffff, 0xffffffff, true},
		{"zero denominator, elasticity set", 0, 4, false},
		{"denominator set, zero elasticity", 50, 0, false},
		{"max denominator, zero elasticity", 0xffffffff, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := make([]byte, 96)
			d[31], d[63] = 32, 32
			binary.BigEndian.PutUint32(d[88:92], tc.denominator)
			binary.BigEndian.PutUint32(d[92:96], tc.elasticity)
			log := eth.Log{Topics: []common.Hash{EventTopic, {}, {31: UpdateEIP1559Params}}, Data: d}
			cfg := eth.SystemConfig{EIP1559Params: old}
			err := ProcessLog(&cfg, log, rcfg, 0)
			if !tc.valid {
				if !errors.Is(err, ErrInvalidEIP1559Params) {
					t.Fatalf("error %v, want ErrInvalidEIP1559Params", err)
				}
				if cfg.EIP1559Params != old {
					t.Fatalf("rejected update changed the params to %v", cfg.EIP1559Params)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want eth.Bytes8
			binary.BigEndian.PutUint32(want[:4], tc.denominator)
			binary.BigEndian.PutUint32(want[4:], tc.elasticity)
			if cfg.EIP1559Params != want {
				t.Fatalf("params %v, want %v", cfg.EIP1559Params, want)
			}
		})
	}
}
