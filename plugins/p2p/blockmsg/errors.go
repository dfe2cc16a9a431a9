package blockmsg

import "errors"

// Sentinel errors. Every error of this package wraps one of them, so that a
// validator can classify a failure with errors.Is and log the full text.
var (
	// ErrVersion is an unknown block version.
	ErrVersion = errors.New("blockmsg: unknown block version")
	// ErrSnappy is a message that is not valid snappy block data, or whose
	// decoded size is out of bounds.
	ErrSnappy = errors.New("blockmsg: invalid snappy data")
	// ErrSSZ is a body that does not decode with the topic's layout, or an
	// envelope that cannot be encoded with it.
	ErrSSZ = errors.New("blockmsg: invalid ssz")
	// ErrSignature is a signature that does not recover a signer.
	ErrSignature = errors.New("blockmsg: invalid signature")
	// ErrBlockHash is a payload whose block hash does not match its fields.
	ErrBlockHash = errors.New("blockmsg: invalid block hash")
	// ErrFields is a payload whose fields do not fit its topic.
	ErrFields = errors.New("blockmsg: invalid payload fields")
)
