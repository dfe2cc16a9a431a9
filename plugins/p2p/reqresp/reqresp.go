// Package reqresp is the payload_by_number protocol of OP nodes: a peer asks
// for the L2 block at a height and gets it back unsigned, so the asking side
// links every answer to a block it already trusts.
//
// The wire format, as op-node v1.19.6 serves it (p2p-digest §8; where it and
// the spec text differ, op-node's code is followed):
//
//   - protocol id /opstack/req/payload_by_number/<chain id>/0, no trailing
//     slash;
//   - request: the block number as u64 little-endian, then the write side is
//     closed;
//   - response: one result byte (0 ok, 1 not found, 2 invalid request, 3
//     other, a rate-limit timeout included); on success a u32 LE version and
//     the SSZ body in snappy's framed format until EOF. Version 0 is a bare
//     payload (V1 before Canyon, V2 after); version 1 an envelope (beacon
//     root and payload) for every block from Ecotone, Isthmus included. The
//     spec's version 2 is never sent.
package reqresp

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	"github.com/opalnode/opal/sdk/rollup"
)

// Result codes of a response.
const (
	ResultOK       byte = 0
	ResultNotFound byte = 1
	ResultInvalid  byte = 2
	ResultOther    byte = 3
)

// Limits of the server and the client (op-node's server values).
const (
	globalRate    = 20
	globalBurst   = 40
	peerRate      = 4
	peerBurst     = 15
	tokenWait     = 20 * time.Second
	readDeadline  = 10 * time.Second
	writeDeadline = 10 * time.Second
	// maxResponse bounds a response body (the gossip limit).
	maxResponse = blockmsg.MaxGossipSize
)

// ProtocolID is the protocol of a chain.
func ProtocolID(chainID *big.Int) protocol.ID {
	return protocol.ID(fmt.Sprintf("/opstack/req/payload_by_number/%s/0", chainID))
}

// Stats counts requests on both sides.
type Stats struct {
	Served     [4]atomic.Uint64 // by result code
	Fetched    atomic.Uint64    // blocks fetched and linked
	FetchFails atomic.Uint64    // answers refused or failed
}

// expectedTime is the timestamp a block number has on the chain.
func expectedTime(cfg *rollup.Config, number uint64) (uint64, bool) {
	g := cfg.Genesis.L2
	if number < g.Number {
		return 0, false
	}
	return cfg.Genesis.L2Time + (number-g.Number)*cfg.BlockTime, true
}

// responseVersion is the version word of the response for a block time,
// and the SSZ layout its body takes.
func responseVersion(cfg *rollup.Config, timestamp uint64) (uint32, blockmsg.Version) {
	v := blockmsg.VersionAt(cfg, timestamp)
	if v >= blockmsg.V3 {
		return 1, v
	}
	return 0, v
}

func putU64(n uint64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	return b[:]
}
