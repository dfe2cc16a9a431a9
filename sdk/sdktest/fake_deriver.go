package sdktest

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/deriver"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// FakeDeriver derives one deposit-only block per L1 block fed to it after
// the safe head's L1 origin, with a marker deposit naming the L1 block. It keeps the deriver contract
// (continuity checks, reset, determinism) without the protocol's rules.
type FakeDeriver struct {
	cfg     *rollup.Config
	reset   bool
	next    eth.L1BlockRef // the block expected next (by parent), zero before the first
	started bool
	queue   []eth.L1BlockRef
	origin  eth.L1BlockRef
	sysCfg  eth.SystemConfig
	safe    eth.L2BlockRef
	invalid int
}

var _ deriver.Deriver = (*FakeDeriver)(nil)

func (d *FakeDeriver) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "fake-deriver", Version: "test"}, nil
}

func (d *FakeDeriver) Configure(_ context.Context, req base.ConfigureRequest) error {
	if req.Rollup == nil {
		return fmt.Errorf("%w: rollup config required", eth.ErrInvalidArgument)
	}
	d.cfg = req.Rollup
	return nil
}

func (d *FakeDeriver) Reset(_ context.Context, req deriver.ResetRequest) error {
	if d.cfg == nil {
		return fmt.Errorf("%w: not configured", eth.ErrInvalidArgument)
	}
	d.reset = true
	d.started = false
	d.next = req.L1Start
	d.queue = nil
	d.origin = req.L1Start
	d.sysCfg = req.SystemConfig
	d.safe = req.SafeHead
	return nil
}

func (d *FakeDeriver) AddL1Block(_ context.Context, block *eth.L1BlockData) error {
	if !d.reset {
		return fmt.Errorf("%w: not reset", eth.ErrReset)
	}
	ref := block.Ref()
	if !d.started {
		if ref.Hash != d.next.Hash {
			return fmt.Errorf("%w: first block %s is not the reset start %s", eth.ErrReset, ref, d.next)
		}
		d.started = true
	} else if ref.ParentHash != d.next.Hash || ref.Number != d.next.Number+1 {
		return fmt.Errorf("%w: block %s does not build on %s", eth.ErrReset, ref, d.next)
	}
	d.next = ref
	// L1 blocks up to the safe head's origin were derived before the reset.
	if ref.Number > d.safe.L1Origin.Number {
		d.queue = append(d.queue, ref)
	}
	return nil
}

func (d *FakeDeriver) Step(_ context.Context, parent eth.L2BlockRef) (deriver.StepResult, error) {
	if !d.reset {
		return deriver.StepResult{}, fmt.Errorf("%w: not reset", eth.ErrReset)
	}
	if len(d.queue) == 0 {
		return deriver.StepResult{Outcome: deriver.NeedL1, Origin: d.origin}, nil
	}
	l1 := d.queue[0]
	d.queue = d.queue[1:]
	d.origin = l1
	attrs := d.attributes(parent, l1, parent.Time+d.cfg.BlockTime)
	return deriver.StepResult{
		Outcome:    deriver.Attributes,
		Attributes: &deriver.DerivedAttributes{Attributes: attrs, Parent: parent, DerivedFrom: l1, IsLastInSpan: true},
		Origin:     l1,
	}, nil
}

func (d *FakeDeriver) attributes(parent eth.L2BlockRef, origin eth.L1BlockRef, ts uint64) *eth.PayloadAttributes {
	marker := append([]byte{eth.DepositTxType}, origin.Hash.Bytes()...)
	marker = binary.BigEndian.AppendUint64(marker, origin.Number)
	marker = binary.BigEndian.AppendUint64(marker, parent.Number+1)
	if origin.Hash == parent.L1Origin.Hash {
		marker = binary.BigEndian.AppendUint64(marker, parent.SequenceNumber+1)
	} else {
		marker = binary.BigEndian.AppendUint64(marker, 0)
	}
	gas := d.sysCfg.GasLimit
	return &eth.PayloadAttributes{
		Timestamp:             ts,
		PrevRandao:            origin.Hash,
		SuggestedFeeRecipient: common.HexToAddress("0x4200000000000000000000000000000000000011"),
		Transactions:          [][]byte{marker},
		NoTxPool:              true,
		GasLimit:              &gas,
	}
}

func (d *FakeDeriver) PayloadInvalid(context.Context, *deriver.DerivedAttributes) error {
	d.invalid++
	return nil
}

func (d *FakeDeriver) BuildAttributes(_ context.Context, req deriver.BuildRequest) (*deriver.BuildResult, error) {
	if d.cfg == nil {
		return nil, fmt.Errorf("%w: not configured", eth.ErrInvalidArgument)
	}
	if req.L1Origin == nil {
		return nil, fmt.Errorf("%w: no L1 origin", eth.ErrInvalidArgument)
	}
	d.sysCfg = req.ParentSystemConfig
	attrs := d.attributes(req.Parent, req.L1Origin.Ref(), req.Timestamp)
	attrs.NoTxPool = false // a sequencer's block takes transactions from the pool
	return &deriver.BuildResult{Attributes: attrs, SystemConfig: req.ParentSystemConfig}, nil
}

// FakeOrigin decodes the L1 origin and sequence number FakeDeriver put in a
// block's first transaction; use it as FakeEngine.Origin.
func FakeOrigin(p *eth.ExecutionPayload) (eth.BlockID, uint64) {
	if len(p.Transactions) == 0 || len(p.Transactions[0]) != 1+32+8+8+8 {
		return eth.BlockID{}, 0
	}
	tx := p.Transactions[0]
	return eth.BlockID{Hash: common.BytesToHash(tx[1:33]), Number: binary.BigEndian.Uint64(tx[33:41])},
		binary.BigEndian.Uint64(tx[49:57])
}
