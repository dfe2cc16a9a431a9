package engine

import (
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// Engine API method names, by version.
const (
	methodFCUV1        = "engine_forkchoiceUpdatedV1"
	methodFCUV2        = "engine_forkchoiceUpdatedV2"
	methodFCUV3        = "engine_forkchoiceUpdatedV3"
	methodGetPayloadV2 = "engine_getPayloadV2"
	methodGetPayloadV3 = "engine_getPayloadV3"
	methodGetPayloadV4 = "engine_getPayloadV4"
	methodGetPayloadV5 = "engine_getPayloadV5"
	methodNewPayloadV2 = "engine_newPayloadV2"
	methodNewPayloadV3 = "engine_newPayloadV3"
	methodNewPayloadV4 = "engine_newPayloadV4"
)

// fcuMethod picks forkchoiceUpdated's version. With attributes it follows
// the fork of the block to build: V1 before Canyon (geth refuses V2 before
// Shanghai), V2 for Canyon and Delta, V3 from Ecotone (Cancun); OP forks
// after Ecotone keep V3. Without attributes it is always V3, as op-node
// does: a head-only update carries no fork-specific fields, engines accept
// V3 for it at any fork, and it spares a block lookup to learn the head's
// timestamp.
func fcuMethod(cfg *rollup.Config, attrs *eth.PayloadAttributes) string {
	switch {
	case attrs == nil:
		return methodFCUV3
	case cfg.IsEcotone(attrs.Timestamp):
		return methodFCUV3
	case cfg.IsCanyon(attrs.Timestamp):
		return methodFCUV2
	default:
		return methodFCUV1
	}
}

// getPayloadMethod picks getPayload's version from the payload's
// timestamp: V2 before Ecotone, V3 for Ecotone..Holocene (Cancun), V4 for
// Isthmus and Jovian (Prague), V5 from Karst, whose L2 adopts Osaka and
// whose engine answers "Unsupported fork" to V4.
func getPayloadMethod(cfg *rollup.Config, timestamp uint64) string {
	switch {
	case cfg.IsKarst(timestamp):
		return methodGetPayloadV5
	case cfg.IsIsthmus(timestamp):
		return methodGetPayloadV4
	case cfg.IsEcotone(timestamp):
		return methodGetPayloadV3
	default:
		return methodGetPayloadV2
	}
}

// newPayloadMethod picks newPayload's version from the payload's
// timestamp: V2 before Ecotone, V3 (blob hashes and beacon root) for
// Ecotone..Holocene, V4 (execution requests) from Isthmus. Osaka brings no
// newPayload change, so Karst stays on V4.
func newPayloadMethod(cfg *rollup.Config, timestamp uint64) string {
	switch {
	case cfg.IsIsthmus(timestamp):
		return methodNewPayloadV4
	case cfg.IsEcotone(timestamp):
		return methodNewPayloadV3
	default:
		return methodNewPayloadV2
	}
}
