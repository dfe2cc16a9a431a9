package discovery

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/enr"
	"github.com/ethereum/go-ethereum/rlp"
)

// OpStackKey is the ENR key of op-node's chain entry.
const OpStackKey = "opstack"

// OpStackVersion is the only entry version op-node writes and accepts.
const OpStackVersion = 0

// OpStackEntry is op-node's "opstack" ENR entry: an RLP byte string
// holding uvarint(chain id) ‖ uvarint(version). Chain 901 encodes as
// 83 85 07 00, Base (8453) as 83 85 42 00.
//
// Like op-node, decoding reads the two varints and ignores any bytes after
// them (room for later versions); anything else that is not a byte string
// holding two valid varints is an error.
type OpStackEntry struct {
	ChainID uint64
	Version uint64
}

var (
	_ enr.Entry   = OpStackEntry{}
	_ enr.Entry   = (*OpStackEntry)(nil)
	_ rlp.Encoder = OpStackEntry{}
	_ rlp.Decoder = (*OpStackEntry)(nil)
)

// ENRKey implements enr.Entry.
func (OpStackEntry) ENRKey() string { return OpStackKey }

// EncodeRLP implements rlp.Encoder.
func (e OpStackEntry) EncodeRLP(w io.Writer) error {
	var buf [2 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(buf[:], e.ChainID)
	n += binary.PutUvarint(buf[n:], e.Version)
	return rlp.Encode(w, buf[:n])
}

// DecodeRLP implements rlp.Decoder.
func (e *OpStackEntry) DecodeRLP(s *rlp.Stream) error {
	b, err := s.Bytes()
	if err != nil {
		return fmt.Errorf("opstack entry: %w", err)
	}
	r := bytes.NewReader(b)
	chainID, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("opstack entry: chain id: %w", err)
	}
	version, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("opstack entry: version: %w", err)
	}
	e.ChainID, e.Version = chainID, version
	return nil
}

// ChainOf returns the opstack entry of a node record; ok is false when the
// record has none or it does not decode.
func ChainOf(n *enode.Node) (e OpStackEntry, ok bool) {
	if n == nil {
		return OpStackEntry{}, false
	}
	if err := n.Load(&e); err != nil {
		return OpStackEntry{}, false
	}
	return e, true
}

// OnChain reports whether n advertises chainID with entry version 0,
// op-node's filter for discovered records.
func OnChain(n *enode.Node, chainID uint64) bool {
	e, ok := ChainOf(n)
	return ok && e.ChainID == chainID && e.Version == OpStackVersion
}
