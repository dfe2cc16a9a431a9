// Package l1source is opal's default L1 source plugin: it reads the L1
// chain over JSON-RPC (and blobs over the beacon API) and passes nothing on
// that it has not checked against the block hash.
//
// For every block it serves it recomputes the header hash from the header
// fields, and the transactions, withdrawals and receipts roots from the
// data the endpoint sent; blobs are checked against their KZG commitments
// and versioned hashes; a storage slot (StorageAt) is read with eth_getProof
// and proven against the state root of the block's header. Data that fails
// a check is dropped and the request moves to the next endpoint (unless the
// operator set trust_rpc).
//
// Several endpoints give failover with health tracking; requests are
// retried with exponential backoff (honouring Retry-After), optionally rate
// limited, and verified blocks, receipts and blobs are kept in a cache
// bounded in bytes, filled ahead of a caller that walks L1 by number.
//
// Only APIs present in upstream go-ethereum are used outside tests, so the
// package builds against go-ethereum as well as op-geth.
package l1source
