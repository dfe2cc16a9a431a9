package blockmsg

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/golang/snappy"
)

const (
	// MaxGossipSize is the largest decoded message op-node accepts, and the
	// pubsub maximum message size it sets: 10 MiB.
	MaxGossipSize = 10 << 20
	// MinGossipSize is the smallest decoded message op-node accepts: the
	// signature and one byte.
	MinGossipSize = SignatureSize + 1
)

// Message id domains: the first four bytes hashed into a message id.
var (
	// MessageDomainInvalidSnappy prefixes the raw data of a message that does
	// not decode (or decodes to more than MaxGossipSize).
	MessageDomainInvalidSnappy = [4]byte{0, 0, 0, 0}
	// MessageDomainValidSnappy prefixes the decoded data of a message.
	MessageDomainValidSnappy = [4]byte{1, 0, 0, 0}
)

// idBufs holds the buffers MessageID decodes into: pubsub computes an id for
// every message it sees, duplicates included.
var idBufs = sync.Pool{New: func() any { return new([]byte) }}

// Encode returns the gossip data of a signed body: the snappy block format
// (not framed) of sig ‖ body.
func Encode(sig [SignatureSize]byte, body []byte) []byte {
	msg := make([]byte, 0, SignatureSize+len(body))
	msg = append(msg, sig[:]...)
	msg = append(msg, body...)
	return snappy.Encode(nil, msg)
}

// Decode splits gossip data into the signature and the body, with op-node's
// checks in its order: a readable length header, a decoded length of at most
// MaxGossipSize (checked before anything is allocated) and at least
// MinGossipSize, and valid snappy data. The body does not alias data. Errors
// wrap ErrSnappy.
func Decode(data []byte) (sig [SignatureSize]byte, body []byte, err error) {
	n, err := snappy.DecodedLen(data)
	if err != nil {
		return sig, nil, fmt.Errorf("%w: bad length header: %v", ErrSnappy, err)
	}
	if n > MaxGossipSize {
		return sig, nil, fmt.Errorf("%w: decoded length %d exceeds %d", ErrSnappy, n, MaxGossipSize)
	}
	if n < MinGossipSize {
		return sig, nil, fmt.Errorf("%w: decoded length %d is below %d", ErrSnappy, n, MinGossipSize)
	}
	msg, err := snappy.Decode(make([]byte, n), data)
	if err != nil {
		return sig, nil, fmt.Errorf("%w: %v", ErrSnappy, err)
	}
	copy(sig[:], msg)
	return sig, msg[SignatureSize:], nil
}

// MessageID is op-node's pubsub message id of gossip data on a topic:
// sha256(domain ‖ u64le(len(topic)) ‖ topic ‖ payload)[:20] as a string of
// raw bytes. When data is valid snappy that decodes to at most MaxGossipSize,
// the domain is MessageDomainValidSnappy and the payload the decoded data;
// otherwise the domain is MessageDomainInvalidSnappy and the payload the raw
// data. No minimum size applies here.
func MessageID(topic string, data []byte) string {
	domain, payload := MessageDomainInvalidSnappy, data
	if n, err := snappy.DecodedLen(data); err == nil && n <= MaxGossipSize {
		buf := idBufs.Get().(*[]byte)
		defer idBufs.Put(buf)
		if cap(*buf) < n {
			*buf = make([]byte, n)
		}
		if dec, err := snappy.Decode((*buf)[:n], data); err == nil {
			domain, payload = MessageDomainValidSnappy, dec
		}
	}
	h := sha256.New()
	h.Write(domain[:])
	var topicLen [8]byte
	binary.LittleEndian.PutUint64(topicLen[:], uint64(len(topic)))
	h.Write(topicLen[:])
	h.Write([]byte(topic))
	h.Write(payload)
	return string(h.Sum(nil)[:20])
}
