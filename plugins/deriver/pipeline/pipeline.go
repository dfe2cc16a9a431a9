package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	sdkderiver "github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
)

// Outcome says what a Step produced: the deriver contract's own outcomes,
// so the plugin passes them on unchanged.
type Outcome = sdkderiver.Outcome

const (
	// Attributes: the result holds the attributes of the next block.
	Attributes = sdkderiver.Attributes
	// More: progress was made without a result; step again.
	More = sdkderiver.More
	// NeedL1: every fed L1 block is read; feed the next one.
	NeedL1 = sdkderiver.NeedL1
)

// stepBudget bounds the stage pulls of one Step, so that a Step returns
// (More) after a bounded amount of work whatever the input.
const stepBudget = 256

// Pipeline is the derivation pipeline. It is not safe for concurrent use.
type Pipeline struct {
	cfg Config
	log *slog.Logger

	trav    traversal
	epochs  epochStore
	retr    retrieval
	frames  frameQueue
	chans   channelMux
	reader  channelReader
	batches batchMux
	attrs   attributesQueue
	check   checker
	chain   chainRecord

	isReset bool
	// replacement is the deposits-only result the next Step on its parent
	// returns, after an invalid payload (Holocene).
	replacement *Result
}

// New builds a pipeline. It must be Reset before use.
func New(cfg Config) (*Pipeline, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.DecodeBlob == nil {
		cfg.DecodeBlob = decodeBlob
	}
	p := &Pipeline{cfg: cfg, log: cfg.logger()}
	r := cfg.Rollup
	p.trav = traversal{cfg: r, log: p.log}
	p.retr = retrieval{cfg: r, log: p.log, decodeBlob: cfg.DecodeBlob, prev: &p.trav, extraBatchers: cfg.ExtraBatchers}
	p.frames = frameQueue{cfg: r, log: p.log, prev: &p.retr}
	p.chans = channelMux{cfg: r, log: p.log, prev: &p.frames}
	p.reader = channelReader{cfg: r, log: p.log, prev: &p.chans}
	p.chain = chainRecord{cfg: r, safe: cfg.SafeChain}
	p.check = checker{cfg: r, log: p.log, l2: &p.chain}
	p.batches = batchMux{base: batchBase{cfg: r, log: p.log, prev: &p.reader, check: &p.check}}
	p.attrs = attributesQueue{cfg: r, l1: cfg.L1, log: p.log, prev: &p.batches, epochs: &p.epochs, chain: &p.chain}
	return p, nil
}

// Reset positions the pipeline: derivation continues after safeHead, whose
// system config is safeConfig, reading L1 from l1Start, the first block the
// caller will feed, with l1Config the system config in effect there (for
// batcher authentication). l1Start must not be after the safe head's L1
// origin: the origins of the next blocks are read from the fed blocks.
func (p *Pipeline) Reset(safeHead eth.L2BlockRef, safeConfig eth.SystemConfig, l1Start eth.L1BlockRef, l1Config eth.SystemConfig) error {
	return p.reset(safeHead, safeConfig, l1Start, l1Config, false)
}

// ResetOffline is Reset for a replay without an engine: the L2 hashes the
// caller passes as parents are stand-ins (it has no state roots to compute
// the real ones), so the batch checks that compare a batch's parent hash
// with the safe head's are skipped. Every other rule applies unchanged.
func (p *Pipeline) ResetOffline(safeHead eth.L2BlockRef, safeConfig eth.SystemConfig, l1Start eth.L1BlockRef, l1Config eth.SystemConfig) error {
	return p.reset(safeHead, safeConfig, l1Start, l1Config, true)
}

func (p *Pipeline) reset(safeHead eth.L2BlockRef, safeConfig eth.SystemConfig, l1Start eth.L1BlockRef, l1Config eth.SystemConfig, offline bool) error {
	if l1Start.Number > safeHead.L1Origin.Number {
		return fmt.Errorf("%w: L1 start %s is after the safe head's L1 origin %s", eth.ErrInvalidArgument, l1Start, safeHead.L1Origin)
	}
	if l1Start.Number == safeHead.L1Origin.Number && l1Start.Hash != safeHead.L1Origin.Hash {
		return fmt.Errorf("%w: L1 start %s is not the safe head's L1 origin %s", eth.ErrInvalidArgument, l1Start, safeHead.L1Origin)
	}
	p.trav.reset(l1Start, l1Config)
	p.epochs.reset()
	p.epochs.min = safeHead.L1Origin.Number
	p.retr.reset()
	p.frames.reset()
	p.chans.resetTo(l1Start)
	p.reader.reset()
	p.batches.resetTo(l1Start)
	p.attrs.reset()
	p.check.l2Err = nil
	p.check.offline, p.attrs.offline = offline, offline
	p.chain.reset(safeHead, safeConfig)
	p.replacement = nil
	p.isReset = true
	return nil
}

// AddL1Block feeds the next L1 block. A block that does not build on the
// previous one (or, first after a reset, is not the start block) is
// eth.ErrReset.
func (p *Pipeline) AddL1Block(d *eth.L1BlockData) error {
	if !p.isReset {
		return resetErr("pipeline not reset")
	}
	if err := checkBlockData(d); err != nil {
		return err
	}
	ref := d.Ref()
	if err := p.trav.add(d, ref); err != nil {
		return err
	}
	p.epochs.add(d, ref.Hash)
	return nil
}

// Origin is the L1 block derivation has read up to.
func (p *Pipeline) Origin() eth.L1BlockRef { return p.trav.Origin() }

// Step derives towards the attributes of the block after parent, the
// current (pending) safe head. It returns Attributes with the result, More
// after a bounded amount of work, or NeedL1 when it has read every fed
// block. Errors wrap eth.ErrReset, eth.ErrTemporary or eth.ErrCritical.
func (p *Pipeline) Step(ctx context.Context, parent eth.L2BlockRef) (Outcome, *Result, error) {
	if !p.isReset {
		return 0, nil, resetErr("pipeline not reset")
	}
	given := parent
	if parent = p.chain.observe(parent); parent != given {
		p.log.Warn("parent's L1 origin differs from the attributes it was built from", "parent", given.ID(),
			"origin", given.L1Origin, "seq", given.SequenceNumber, "built_origin", parent.L1Origin, "built_seq", parent.SequenceNumber)
	}
	if r := p.replacement; r != nil {
		p.replacement = nil
		if r.Parent == given {
			p.chain.built = r
			return Attributes, r, nil
		}
	}
	p.epochs.prune(parent.L1Origin.Number)
	for range stepBudget {
		res, err := p.attrs.next(ctx, parent)
		switch {
		case err == nil:
			// Report the parent as the caller gave it.
			res.Parent = given
			p.chain.built = res
			return Attributes, res, nil
		case errors.Is(err, errNotEnoughData):
		case errors.Is(err, io.EOF):
			if !p.advance() {
				return NeedL1, nil, nil
			}
		default:
			return 0, nil, err
		}
	}
	return More, nil, nil
}

// advance moves traversal to the next fed block and, when that block is
// the first at or after the Holocene time, swaps in the Holocene stages.
func (p *Pipeline) advance() bool {
	prev := p.trav.Origin()
	if !p.trav.advance() {
		return false
	}
	next := p.trav.Origin()
	if r := p.cfg.Rollup; !r.IsHolocene(prev.Time) && r.IsHolocene(next.Time) {
		p.log.Info("activating Holocene derivation", "origin", next)
		p.frames.reset()
		p.chans.activateHolocene()
		p.batches.activateHolocene()
	}
	return true
}

// PayloadInvalid reports that the engine refused the payload built from
// res. From Holocene (by the time of the L1 block res was derived from) the
// next Step on the same parent returns res cut to its deposits, and the rest
// of its span batch and channel are dropped. Before Holocene nothing is
// replaced: the next Step on that parent looks for another batch.
func (p *Pipeline) PayloadInvalid(res *Result) error {
	if res == nil || res.Attributes == nil {
		return fmt.Errorf("%w: no attributes", eth.ErrInvalidArgument)
	}
	if !p.cfg.Rollup.IsHolocene(res.DerivedFrom.Time) {
		return nil
	}
	p.batches.flush()
	p.attrs.reset()
	replacement := *res
	replacement.Attributes = res.Attributes.DepositsOnly()
	p.replacement = &replacement
	return nil
}
