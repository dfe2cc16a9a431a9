// Package e2e holds opal's end-to-end tests: real L1 and L2 nodes on
// loopback, opal with its default plugins, and chains made by the reference
// implementation or by opal's own devnet.
package e2e
