package blockmsg

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/opalnode/opal/sdk/rollup"
)

// Version is a block topic version, V1 to V4. Vn travels on topic n−1.
type Version int

// The block versions.
const (
	// V1 is the Bedrock payload, before Canyon (topic 0).
	V1 Version = 1
	// V2 adds the withdrawals list, from Canyon (topic 1).
	V2 Version = 2
	// V3 adds the blob gas fields and the parent beacon root, from Ecotone
	// (topic 2).
	V3 Version = 3
	// V4 adds the withdrawalsRoot, from Isthmus (topic 3).
	V4 Version = 4
)

// Versions lists the block versions in topic order.
var Versions = [...]Version{V1, V2, V3, V4}

// VersionAt returns the version of a block with the given timestamp: the
// topic op-node publishes it on. A nil config has no forks.
func VersionAt(cfg *rollup.Config, timestamp uint64) Version {
	switch {
	case cfg == nil || !cfg.IsCanyon(timestamp):
		return V1
	case !cfg.IsEcotone(timestamp):
		return V2
	case !cfg.IsIsthmus(timestamp):
		return V3
	default:
		return V4
	}
}

// Valid reports whether v is one of V1 to V4.
func (v Version) Valid() bool { return v >= V1 && v <= V4 }

// TopicIndex is the n of the version's topic, 0 to 3 (−1 for an unknown
// version).
func (v Version) TopicIndex() int {
	if !v.Valid() {
		return -1
	}
	return int(v) - 1
}

// String is "v1" to "v4".
func (v Version) String() string { return "v" + strconv.Itoa(int(v)) }

// HasWithdrawals reports whether the layout has a withdrawals list (V2+).
func (v Version) HasWithdrawals() bool { return v >= V2 && v <= V4 }

// HasBlobGas reports whether the layout has blobGasUsed and excessBlobGas
// (V3+).
func (v Version) HasBlobGas() bool { return v == V3 || v == V4 }

// HasBeaconRoot reports whether the body starts with the parent beacon block
// root (V3+).
func (v Version) HasBeaconRoot() bool { return v == V3 || v == V4 }

// HasWithdrawalsRoot reports whether the layout has a withdrawalsRoot (V4).
func (v Version) HasWithdrawalsRoot() bool { return v == V4 }

// Topic returns the gossip topic of version v blocks on the chain:
// "/optimism/<decimal chain id>/<n>/blocks". It returns "" for an unknown
// version.
func Topic(chainID *big.Int, v Version) string {
	if !v.Valid() {
		return ""
	}
	return fmt.Sprintf("/optimism/%s/%d/blocks", chainID.String(), v.TopicIndex())
}

// TopicVersion returns the version whose topic on the chain is topic, or
// false if topic is none of the chain's four block topics.
func TopicVersion(chainID *big.Int, topic string) (Version, bool) {
	for _, v := range Versions {
		if Topic(chainID, v) == topic {
			return v, true
		}
	}
	return 0, false
}
