package sequencer

// Tick: time to start building the next block.
type Tick struct{}

func (Tick) String() string { return "sequencer-tick" }

// Seal: time to seal the block being built (Seq names the build).
type Seal struct{ Seq uint64 }

func (Seal) String() string { return "seal-block" }
