// Package rollup holds the rollup configuration in op-node's rollup.json
// format and the fork schedule rules derived from it.
package rollup

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"reflect"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/eth"
)

// Genesis anchors the L2 chain to L1.
type Genesis struct {
	L1           eth.BlockID      `json:"l1"`
	L2           eth.BlockID      `json:"l2"`
	L2Time       uint64           `json:"l2_time"`
	SystemConfig eth.SystemConfig `json:"system_config"`
}

// ChainOpConfig holds the EIP-1559 parameters of the L2.
type ChainOpConfig struct {
	EIP1559Elasticity        uint64 `json:"eip1559Elasticity"`
	EIP1559Denominator       uint64 `json:"eip1559Denominator"`
	EIP1559DenominatorCanyon uint64 `json:"eip1559DenominatorCanyon"`
}

// Config is a rollup configuration. The JSON field names are op-node's, so a
// rollup.json written for op-node is read unchanged.
type Config struct {
	Genesis           Genesis `json:"genesis"`
	BlockTime         uint64  `json:"block_time"`
	MaxSequencerDrift uint64  `json:"max_sequencer_drift"`
	SeqWindowSize     uint64  `json:"seq_window_size"`
	ChannelTimeout    uint64  `json:"channel_timeout"`
	// GraniteChannelTimeout is the channel timeout from Granite; 0 means 50.
	GraniteChannelTimeout uint64 `json:"granite_channel_timeout,omitempty"`

	L1ChainID *big.Int `json:"l1_chain_id"`
	L2ChainID *big.Int `json:"l2_chain_id"`

	RegolithTime           *uint64 `json:"regolith_time,omitempty"`
	CanyonTime             *uint64 `json:"canyon_time,omitempty"`
	DeltaTime              *uint64 `json:"delta_time,omitempty"`
	EcotoneTime            *uint64 `json:"ecotone_time,omitempty"`
	FjordTime              *uint64 `json:"fjord_time,omitempty"`
	GraniteTime            *uint64 `json:"granite_time,omitempty"`
	HoloceneTime           *uint64 `json:"holocene_time,omitempty"`
	PectraBlobScheduleTime *uint64 `json:"pectra_blob_schedule_time,omitempty"`
	IsthmusTime            *uint64 `json:"isthmus_time,omitempty"`
	JovianTime             *uint64 `json:"jovian_time,omitempty"`
	KarstTime              *uint64 `json:"karst_time,omitempty"`
	// KeepKarstUpgradeGas keeps the Karst upgrade gas in the gas limit after
	// the activation block instead of subtracting it again.
	KeepKarstUpgradeGas bool `json:"keep_karst_upgrade_gas,omitempty"`
	// LagoonTime activates Lagoon, the interop upgrade.
	LagoonTime *uint64 `json:"lagoon_time,omitempty"`

	BatchInboxAddress       common.Address `json:"batch_inbox_address"`
	DepositContractAddress  common.Address `json:"deposit_contract_address"`
	L1SystemConfigAddress   common.Address `json:"l1_system_config_address"`
	ProtocolVersionsAddress common.Address `json:"protocol_versions_address,omitempty"`

	ChainOpConfig *ChainOpConfig `json:"chain_op_config,omitempty"`

	// DependencySet is the chain's interop dependency set (from Lagoon).
	// op-node takes it from the superchain registry, not from rollup.json,
	// so it is an opal extension of the format: Parse accepts it, and
	// MarshalOpNode leaves it out for tools that refuse unknown fields.
	DependencySet *DependencySet `json:"dependency_set,omitempty"`

	// UnknownForks holds the top-level "<name>_time" fields of the parsed
	// rollup.json that this package does not know, by fork name, with
	// their times (nil for null). A fork opal does not implement must not
	// be derived through silently: the node refuses, or halts before it
	// (see the node's rollup checks). Not marshaled.
	UnknownForks map[string]*uint64 `json:"-"`
}

// Load reads a rollup.json file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rollup config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("rollup config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes and validates a rollup.json document. Fields op-node does
// not define (such as a "_meta" table) are ignored, as op-node does.
func Parse(data []byte) (*Config, error) {
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, err
	}
	forks, err := unknownForks(data)
	if err != nil {
		return nil, err
	}
	cfg.UnknownForks = forks
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// unknownForks finds the top-level "*_time" fields of a rollup.json that
// Config has no field for.
func unknownForks(data []byte) (map[string]*uint64, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	var out map[string]*uint64
	for key, raw := range fields {
		name, ok := strings.CutSuffix(key, "_time")
		if !ok || knownTimeFields[key] {
			continue
		}
		var t *uint64
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("%s: a fork time must be a number or null: %w", key, err)
		}
		if out == nil {
			out = map[string]*uint64{}
		}
		out[name] = t
	}
	return out, nil
}

// knownTimeFields are the "*_time" fields of Config, from its JSON tags.
var knownTimeFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if strings.HasSuffix(name, "_time") {
			m[name] = true
		}
	}
	return m
}()

// Marshal encodes the config as rollup.json, with opal's extensions (the
// dependency set) when set.
func (c *Config) Marshal() ([]byte, error) { return json.MarshalIndent(c, "", "  ") }

// MarshalOpNode encodes the config as op-node's rollup.json: only the
// fields op-node defines, since op-node refuses unknown ones.
func (c *Config) MarshalOpNode() ([]byte, error) {
	cp := *c
	cp.DependencySet = nil
	return json.MarshalIndent(&cp, "", "  ")
}

// Validate checks the fields every chain needs and the order of the forks.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.BlockTime > 0, "block_time must be > 0")
	check(c.SeqWindowSize >= 2, "seq_window_size must be >= 2")
	check(c.ChannelTimeout > 0, "channel_timeout must be > 0")
	check(c.MaxSequencerDrift > 0, "max_sequencer_drift must be > 0")
	check(c.L1ChainID != nil && c.L1ChainID.Sign() > 0, "l1_chain_id must be set")
	check(c.L2ChainID != nil && c.L2ChainID.Sign() > 0, "l2_chain_id must be set")
	check(c.Genesis.L1.Hash != (common.Hash{}), "genesis.l1.hash must be set")
	check(c.Genesis.L2.Hash != (common.Hash{}), "genesis.l2.hash must be set")
	check(c.Genesis.SystemConfig.GasLimit > 0, "genesis.system_config.gasLimit must be > 0")
	check(c.BatchInboxAddress != (common.Address{}), "batch_inbox_address must be set")
	check(c.DepositContractAddress != (common.Address{}), "deposit_contract_address must be set")
	check(c.L1SystemConfigAddress != (common.Address{}), "l1_system_config_address must be set")
	// Each fork needs the previous one: it may not be scheduled earlier, nor
	// scheduled when the previous one is not.
	forks := c.Forks()
	for i := 1; i < len(forks); i++ {
		prev, cur := forks[i-1], forks[i]
		if cur.Time == nil {
			continue
		}
		if prev.Time == nil {
			errs = append(errs, fmt.Errorf("%s_time is set but %s_time is not", cur.Name, prev.Name))
		} else if *cur.Time < *prev.Time {
			errs = append(errs, fmt.Errorf("%s_time (%d) is before %s_time (%d)", cur.Name, *cur.Time, prev.Name, *prev.Time))
		}
	}
	// op-node refuses Lagoon at the same post-genesis time as Karst: both
	// activation blocks carry a NUT bundle and the two are not merged.
	if c.KarstTime != nil && c.LagoonTime != nil && *c.KarstTime == *c.LagoonTime && *c.LagoonTime > c.Genesis.L2Time {
		errs = append(errs, fmt.Errorf("lagoon_time (%d) equals karst_time after genesis: the two upgrades need their own activation blocks", *c.LagoonTime))
	}
	if c.DependencySet != nil {
		if err := checkDependencySet(c.DependencySet, c.L2ChainID); err != nil {
			errs = append(errs, fmt.Errorf("dependency_set: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ForkTime is one scheduled fork.
type ForkTime struct {
	Name string
	Time *uint64
}

// Forks lists the mainline forks after Bedrock in activation order.
func (c *Config) Forks() []ForkTime {
	return []ForkTime{
		{"regolith", c.RegolithTime}, {"canyon", c.CanyonTime}, {"delta", c.DeltaTime},
		{"ecotone", c.EcotoneTime}, {"fjord", c.FjordTime}, {"granite", c.GraniteTime},
		{"holocene", c.HoloceneTime}, {"isthmus", c.IsthmusTime}, {"jovian", c.JovianTime},
		{"karst", c.KarstTime}, {"lagoon", c.LagoonTime},
	}
}

func active(fork *uint64, t uint64) bool { return fork != nil && t >= *fork }

func (c *Config) IsRegolith(t uint64) bool { return active(c.RegolithTime, t) }
func (c *Config) IsCanyon(t uint64) bool   { return active(c.CanyonTime, t) }
func (c *Config) IsDelta(t uint64) bool    { return active(c.DeltaTime, t) }
func (c *Config) IsEcotone(t uint64) bool  { return active(c.EcotoneTime, t) }
func (c *Config) IsFjord(t uint64) bool    { return active(c.FjordTime, t) }
func (c *Config) IsGranite(t uint64) bool  { return active(c.GraniteTime, t) }
func (c *Config) IsHolocene(t uint64) bool { return active(c.HoloceneTime, t) }
func (c *Config) IsIsthmus(t uint64) bool  { return active(c.IsthmusTime, t) }
func (c *Config) IsJovian(t uint64) bool   { return active(c.JovianTime, t) }
func (c *Config) IsKarst(t uint64) bool    { return active(c.KarstTime, t) }
func (c *Config) IsLagoon(t uint64) bool   { return active(c.LagoonTime, t) }

// IsInterop reports whether the interop rules (executing messages, the
// dependency set) apply at t. Interop is a feature of Lagoon, not a fork.
func (c *Config) IsInterop(t uint64) bool { return c.IsLagoon(t) }

// IsSDM reports whether sequencer-defined metering (post-exec transactions,
// type 0x7D) is on at t. It is a feature of Lagoon.
func (c *Config) IsSDM(t uint64) bool { return c.IsLagoon(t) }

// IsPectraBlobSchedule reports whether the Prague blob base fee fraction
// applies at L1 time t on a chain that sets pectra_blob_schedule_time.
func (c *Config) IsPectraBlobSchedule(t uint64) bool { return active(c.PectraBlobScheduleTime, t) }

// activation reports whether the L2 block at time t is the first one of a
// fork. The genesis block never is.
func (c *Config) activation(is func(uint64) bool, t uint64) bool {
	return is(t) && t >= c.BlockTime && !is(t-c.BlockTime) && t > c.Genesis.L2Time
}

func (c *Config) IsEcotoneActivationBlock(t uint64) bool  { return c.activation(c.IsEcotone, t) }
func (c *Config) IsFjordActivationBlock(t uint64) bool    { return c.activation(c.IsFjord, t) }
func (c *Config) IsHoloceneActivationBlock(t uint64) bool { return c.activation(c.IsHolocene, t) }
func (c *Config) IsIsthmusActivationBlock(t uint64) bool  { return c.activation(c.IsIsthmus, t) }
func (c *Config) IsJovianActivationBlock(t uint64) bool   { return c.activation(c.IsJovian, t) }
func (c *Config) IsKarstActivationBlock(t uint64) bool    { return c.activation(c.IsKarst, t) }
func (c *Config) IsLagoonActivationBlock(t uint64) bool   { return c.activation(c.IsLagoon, t) }

// Protocol constants that change with forks.
const (
	MaxSequencerDriftFjord       = 1800
	MaxRLPBytesPerChannelBedrock = 10_000_000
	MaxRLPBytesPerChannelFjord   = 100_000_000
	MaxChannelBankSizeBedrock    = 100_000_000
	MaxChannelBankSizeFjord      = 1_000_000_000
	DefaultGraniteChannelTimeout = 50
	MaxSpanBatchElementCount     = 10_000_000
	MaxFrameLen                  = 1_000_000
	ChannelBankFrameOverhead     = 200
	DefaultDAFootprintGasScalar  = 400
	MaxReorgSeqWindows           = 5
)

// MaxDrift is the max sequencer drift at L1 origin time t.
func (c *Config) MaxDrift(l1Time uint64) uint64 {
	if c.IsFjord(l1Time) {
		return MaxSequencerDriftFjord
	}
	return c.MaxSequencerDrift
}

// MaxRLPBytesPerChannel is the channel size limit at L1 origin time t.
func (c *Config) MaxRLPBytesPerChannel(l1Time uint64) uint64 {
	if c.IsFjord(l1Time) {
		return MaxRLPBytesPerChannelFjord
	}
	return MaxRLPBytesPerChannelBedrock
}

// MaxChannelBankSize is the channel bank limit at L1 origin time t.
func (c *Config) MaxChannelBankSize(l1Time uint64) uint64 {
	if c.IsFjord(l1Time) {
		return MaxChannelBankSizeFjord
	}
	return MaxChannelBankSizeBedrock
}

// ChannelTimeoutAt is the channel timeout in L1 blocks at L1 time t.
func (c *Config) ChannelTimeoutAt(l1Time uint64) uint64 {
	if c.IsGranite(l1Time) {
		if c.GraniteChannelTimeout != 0 {
			return c.GraniteChannelTimeout
		}
		return DefaultGraniteChannelTimeout
	}
	return c.ChannelTimeout
}

// TargetBlockNumber is the L2 block number at time t (t must be on a slot).
func (c *Config) TargetBlockNumber(t uint64) (uint64, error) {
	if t < c.Genesis.L2Time {
		return 0, fmt.Errorf("time %d is before L2 genesis %d", t, c.Genesis.L2Time)
	}
	return c.Genesis.L2.Number + (t-c.Genesis.L2Time)/c.BlockTime, nil
}
