// Package eth holds the plain value types that cross opal's plugin boundary:
// block ids and references, the system config, payload attributes, execution
// payloads and the data of an L1 block. They carry no behaviour beyond small
// helpers, so that a plugin author can build and compare them freely.
package eth
