package pipeline

import (
	"github.com/ethereum/go-ethereum/crypto/kzg4844"

	"github.com/opalnode/opal/plugins/deriver/blob"
)

// decodeBlob is the default blob decoder: the spec's blob encoding (version
// 0, 4 field elements carrying 127 bytes per round).
func decodeBlob(b *kzg4844.Blob) ([]byte, error) { return blob.Decode(b) }
