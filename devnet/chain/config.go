// Package chain assembles the embedded devnet's chain: an in-process L1
// with the deposit portal and system config in its genesis, an in-process
// op-geth L2 engine, and the rollup config that ties them, written to a
// data directory in the files other tools read (rollup.json in op-node's
// format, both genesis files, the engine's JWT secret). The rollup node,
// the batcher and any verifier join it through the endpoints it exposes.
package chain

import (
	"crypto/ecdsa"
	"fmt"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/devnet/devkeys"
	"github.com/opalnode/opal/devnet/l2"
)

// Fixed L1 addresses of the devnet contracts, placed by the L1 genesis.
var (
	PortalAddress       = common.HexToAddress("0x1000000000000000000000000000000000000001")
	SystemConfigAddress = common.HexToAddress("0x1000000000000000000000000000000000000002")
)

// BatchInboxAddress is the OP convention for a chain's batch inbox:
// 0xff00…00 followed by the chain id's decimal digits (0xff00…0901 for
// chain 901).
func BatchInboxAddress(l2ChainID uint64) common.Address {
	return common.HexToAddress(fmt.Sprintf("0xff%038d", l2ChainID))
}

// Keys are the accounts with a role on the devnet. All of them are funded
// on L1 and L2.
type Keys struct {
	// Admin owns the SystemConfig.
	Admin *ecdsa.PrivateKey
	// Batcher is the genesis batcher: derivation reads its transactions
	// to the batch inbox.
	Batcher *ecdsa.PrivateKey
	// Sequencer signs unsafe blocks; the SystemConfig holds its address.
	Sequencer *ecdsa.PrivateKey
	// Users are free for people and tests.
	Users []*ecdsa.PrivateKey
}

// DevKeys assigns the well-known dev accounts (package devkeys).
func DevKeys() Keys {
	k := Keys{
		Admin:     devkeys.Key(devkeys.Admin),
		Batcher:   devkeys.Key(devkeys.Batcher),
		Sequencer: devkeys.Key(devkeys.Sequencer),
	}
	for i := devkeys.FirstUser; i < devkeys.Count; i++ {
		k.Users = append(k.Users, devkeys.Key(i))
	}
	return k
}

func (k Keys) all() []*ecdsa.PrivateKey {
	return append([]*ecdsa.PrivateKey{k.Admin, k.Batcher, k.Sequencer}, k.Users...)
}

// Address is the address of a key.
func Address(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

// Config describes the devnet. Zero fields take the defaults noted.
type Config struct {
	// DataDir receives the chain's files and the L1 and L2 databases; ""
	// means a temporary directory removed by Close, with both chains in
	// memory. Started again on the same DataDir, the chain continues: the
	// devnet is deterministic given its genesis time, which is read back
	// from the L1 genesis file.
	DataDir string

	// L1ChainID and L2ChainID default to 900 and 901.
	L1ChainID, L2ChainID uint64
	// L1BlockTime is the L1 slot time in seconds; default 2.
	L1BlockTime uint64
	// L1OnDemand makes L1 blocks only when Chain.L1.Commit is called.
	L1OnDemand bool
	// L1SafeLag and L1FinalizedLag are how far the L1 safe and finalized
	// labels trail the head, in blocks; defaults 4 and 8.
	L1SafeLag, L1FinalizedLag uint64

	// L2BlockTime is the rollup's block time in seconds; default 2.
	L2BlockTime uint64
	// L2GasLimit defaults to 30,000,000.
	L2GasLimit uint64
	// Forks is the OP fork schedule, as offsets from genesis; default
	// l2.DefaultForks (Regolith..Jovian at genesis, Karst off).
	Forks *l2.Forks
	// MinBaseFee is the Jovian base fee floor at genesis; default 0.
	MinBaseFee uint64

	// Rollup parameters; defaults 200, 50 and 600.
	SeqWindowSize, ChannelTimeout, MaxSequencerDrift uint64

	// Keys defaults to DevKeys.
	Keys *Keys
	// Logger receives the devnet's own messages; default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(v *uint64, d uint64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.L1ChainID, 900)
	def(&c.L2ChainID, 901)
	def(&c.L1BlockTime, 2)
	def(&c.L1SafeLag, 4)
	def(&c.L1FinalizedLag, 8)
	def(&c.L2BlockTime, 2)
	def(&c.L2GasLimit, 30_000_000)
	def(&c.SeqWindowSize, 200)
	def(&c.ChannelTimeout, 50)
	def(&c.MaxSequencerDrift, 600)
	if c.Forks == nil {
		f := l2.DefaultForks()
		c.Forks = &f
	}
	if c.Keys == nil {
		k := DevKeys()
		c.Keys = &k
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
