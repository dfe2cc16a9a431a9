// Package pipeline is the OP Stack derivation pipeline: it turns L1 block
// data into L2 payload attributes, stage by stage, as the protocol specifies.
//
//	traversal ─► retrieval ─► frameQueue ─► channelMux{channelBank | channelAssembler}
//	  ─► channelReader ─► batchMux{batchQueue | batchStage} ─► attributesQueue
//
// The pipeline is deterministic: it has no clock, no randomness and no I/O of
// its own. The caller feeds it L1 blocks (AddL1Block) and asks it for the
// attributes of the block after a parent (Step). The only outside reads are
// of the L2 safe chain, through the SafeChain interface, for span batches
// that overlap blocks the pipeline did not derive itself.
//
// Each stage is a small type that depends on the stage before it only through
// a narrow interface declared next to the consumer, so a variant deriver can
// swap one rule (one stage) and keep the rest. The pre-Holocene and Holocene
// variants of the channel and batch stages sit behind muxes that switch at
// the first L1 block at or after the Holocene time, as op-node's do.
//
// BuildAttributes is the single attributes builder: derivation uses it for
// every derived block and the sequencer for every new block.
package pipeline
