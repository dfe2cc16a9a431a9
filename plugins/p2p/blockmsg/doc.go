// Package blockmsg is the gossip wire format of unsafe L2 blocks, as op-node
// v1.19.6 sends and checks it on the four block topics
// /optimism/<chain id>/<n>/blocks.
//
// # Format
//
// A gossip message is the snappy block encoding (not the framed stream
// format) of a 65-byte secp256k1 signature r‖s‖v, v in {0,1}, followed by the
// body. The body is the SSZ encoding of the execution payload; on the V3 and
// V4 topics (Ecotone and Isthmus onward) it is the 32-byte parent beacon block
// root followed by the payload. The payload layout (508, 512, 528 or 560
// bytes of fixed part, then extraData, transactions and withdrawals) is the
// one of the topic the message travels on.
//
// The signature covers keccak256(32 zero bytes ‖ chain id as a 32-byte
// big-endian integer ‖ keccak256(body)).
//
// A validator applies, in op-node's order: [Decode] (snappy and size checks),
// [RecoverSigner] against the current (or previous) unsafe block signer,
// [UnmarshalBody] with the topic's version, the timestamp window (left to the
// caller, it needs a clock), [BlockHash], [CheckFields], then the per-height
// duplicate rules (left to the caller, they need state).
//
// # Where op-node's code and the spec text differ
//
// This package follows op-node's code:
//
//   - The message id includes the topic: sha256(domain ‖ u64le(len(topic)) ‖
//     topic ‖ data)[:20]; the spec leaves the topic out. See [MessageID].
//   - The signature is checked right after snappy decoding, before the SSZ
//     decode and the other checks, not last as the spec lists it.
//   - Recovery accepts a high-s signature, so a malleated copy (s → n−s,
//     v^1) of a valid message recovers to the same signer.
//   - The block hash is rebuilt from which payload fields are present, not
//     from the fork schedule: a withdrawals list (the V2+ layouts) puts the
//     withdrawals trie root in the header, a withdrawalsRoot (the V4 layout)
//     replaces it and adds the empty requests hash, the blob gas fields and
//     the beacon root go in whenever they are set. On a decoded message the
//     fields present are the ones of the topic's layout. With a
//     withdrawalsRoot the withdrawals list is not hashed at all, so a V4
//     block with a withdrawal keeps a valid hash and is refused only by
//     [CheckFields].
//   - A blobGasUsed other than zero is refused only before Jovian (it holds
//     the DA footprint from Jovian on); excessBlobGas must always be zero.
//   - op-node's encoder picks the layout from the fields present, not from the
//     topic: an Isthmus block whose withdrawalsRoot is the empty-trie root
//     goes out in the V3 layout on the V4 topic, and every V4 decoder (op-node's
//     own included) refuses it.
//   - SSZ decoding follows op-node's bounds: extraData at most 32 bytes, at
//     most 2^20 transactions and 16 withdrawals. As in SSZ, the last dynamic
//     field runs to the end of the body, so bytes appended to a valid body
//     are read as part of it (as transactions on V1, as withdrawals on V2+)
//     and are refused only when they do not form whole elements.
//
// # Where this package differs from op-node's code
//
//   - [MarshalBody] takes the layout from the version, and refuses an envelope
//     that lacks a field the layout needs or has one the layout cannot carry;
//     it never falls back to another layout.
//   - [RecoverSigner] refuses a recovery id other than 0 or 1 itself rather
//     than leaving it to the secp256k1 library.
//   - op-node puts the block number in the rebuilt header as a signed 64-bit
//     value, so for numbers of 2^63 and more the header fails to encode and
//     every such block "hashes" to keccak256 of nothing. [BlockHash] uses the
//     number as unsigned and hashes such headers properly. Only the
//     sequencer's key could produce a message where this matters.
//
// Karst, Jovian and Lagoon add no topic and no header field to the rebuild;
// Lagoon's 0x7D post-exec transactions are opaque transaction bytes here.
package blockmsg
