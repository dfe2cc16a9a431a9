package wire

import (
	"testing"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"
)

// Whatever a plugin (or a peer of one) sends, decoding never panics: bad
// lengths and bad RLP become eth.ErrInvalidArgument.
func FuzzDecode(f *testing.F) {
	seed, _ := proto.Marshal(&commonv1.L1BlockData{Header: []byte{0xc0}, Blobs: []*commonv1.Blob{{VersionedHash: make([]byte, 32)}}})
	f.Add(seed)
	seed2, _ := proto.Marshal(&commonv1.ExecutionPayloadEnvelope{ExecutionPayload: &commonv1.ExecutionPayload{BlockHash: make([]byte, 31)}})
	f.Add(seed2)
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		var blk commonv1.L1BlockData
		if proto.Unmarshal(data, &blk) == nil {
			d.L1BlockData(&blk)
		}
		var env commonv1.ExecutionPayloadEnvelope
		if proto.Unmarshal(data, &env) == nil {
			d.Envelope(&env)
		}
		var attrs commonv1.PayloadAttributes
		if proto.Unmarshal(data, &attrs) == nil {
			d.Attributes(&attrs)
		}
		var ref commonv1.L2BlockRef
		if proto.Unmarshal(data, &ref) == nil {
			d.L2Ref(&ref)
		}
		var sc commonv1.SystemConfig
		if proto.Unmarshal(data, &sc) == nil {
			d.SystemConfig(&sc)
		}
	})
}
