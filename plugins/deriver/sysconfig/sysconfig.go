// Package sysconfig applies the SystemConfig contract's ConfigUpdate logs on
// L1 to the rollup's system config, as op-node's derivation does.
package sysconfig

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/rollup"
)

// EventSignature is the SystemConfig update event.
const EventSignature = "ConfigUpdate(uint256,uint8,bytes)"

var (
	// EventTopic is topic0 of a ConfigUpdate log.
	EventTopic = crypto.Keccak256Hash([]byte(EventSignature))
	// EventVersion0 is the only event version (topic1) understood.
	EventVersion0 = common.Hash{}
)

// Update types (topic2).
const (
	UpdateBatcher              = 0
	UpdateFeeScalars           = 1 // a.k.a. GAS_CONFIG
	UpdateGasLimit             = 2
	UpdateUnsafeBlockSigner    = 3
	UpdateEIP1559Params        = 4
	UpdateOperatorFeeParams    = 5
	UpdateMinBaseFee           = 6
	UpdateDAFootprintGasScalar = 7
)

var (
	// ErrUnknownVersion: topic1 is not version 0.
	ErrUnknownVersion = errors.New("unknown SystemConfig event version")
	// ErrUnknownType: topic2 is not a known update type.
	ErrUnknownType = errors.New("unknown SystemConfig event type")
	// ErrParse: the log data does not hold a well-formed update.
	ErrParse = errors.New("error parsing system config")
	// ErrInvalidEIP1559Params: a zero denominator or elasticity with the
	// other non-zero.
	ErrInvalidEIP1559Params = errors.New("invalid EIP-1559 parameters")
)

// ProcessLog applies one ConfigUpdate log to cfg. The log must have three
// topics [EventTopic, version 0, update type]; its data is an ABI `bytes`
// whose offset word is 32 and whose length word matches the type (64 for fee
// scalars, 32 otherwise), with no trailing bytes. Integer and address words
// must carry zero padding. Per type:
//
//	0 batcher           address → BatcherAddr
//	1 fee scalars       overhead ‖ scalar. Before Ecotone (by l1Time) both are
//	                    stored. From Ecotone the scalar must be a valid
//	                    versioned scalar (v0 with clean padding, or v1);
//	                    otherwise the update is ignored without error. A
//	                    valid one is stored with the overhead zeroed.
//	2 gas limit         uint64 → GasLimit
//	3 unsafe signer     accepted and ignored (p2p reads it elsewhere)
//	4 EIP-1559 params   the word's low 8 bytes (denominator ‖ elasticity) →
//	                    EIP1559Params; both must be zero or both non-zero,
//	                    else it is an error. The high 24 bytes are not
//	                    checked.
//	5 operator fee      the whole word → OperatorFeeParams
//	6 min base fee      uint64 → MinBaseFee
//	7 DA footprint      uint16 → DAFootprintGasScalar
//
// On error cfg is left unchanged. The log's address is not checked.
func ProcessLog(cfg *eth.SystemConfig, log eth.Log, rcfg *rollup.Config, l1Time uint64) error {
	if cfg == nil || rcfg == nil {
		return errors.New("nil system config or rollup config")
	}
	if len(log.Topics) != 3 {
		return fmt.Errorf("expected 3 event topics (event identity, indexed version, indexed updateType), got %d", len(log.Topics))
	}
	if log.Topics[0] != EventTopic {
		return fmt.Errorf("invalid SystemConfig update event: %s, expected %s", log.Topics[0], EventTopic)
	}
	if version := log.Topics[1]; version != EventVersion0 {
		return fmt.Errorf("%w: %s", ErrUnknownVersion, version)
	}
	updateType := log.Topics[2]
	if !zero(updateType[:31]) || updateType[31] > UpdateDAFootprintGasScalar {
		return fmt.Errorf("%w: %s", ErrUnknownType, updateType)
	}
	switch updateType[31] {
	case UpdateBatcher:
		w, err := payload(log.Data, 32)
		if err != nil {
			return err
		}
		if !zero(w[:12]) {
			return fmt.Errorf("%w: could not read address", ErrParse)
		}
		cfg.BatcherAddr = common.BytesToAddress(w[12:32])
	case UpdateFeeScalars:
		w, err := payload(log.Data, 64)
		if err != nil {
			return err
		}
		var overhead, scalar eth.Bytes32
		copy(overhead[:], w[0:32])
		copy(scalar[:], w[32:64])
		if rcfg.IsEcotone(l1Time) {
			if eth.CheckEcotoneScalar(scalar) != nil {
				return nil // invalid versioned scalar: keep the old one
			}
			cfg.Scalar = scalar
			cfg.Overhead = eth.Bytes32{}
		} else {
			cfg.Overhead = overhead
			cfg.Scalar = scalar
		}
	case UpdateGasLimit:
		w, err := payload(log.Data, 32)
		if err != nil {
			return err
		}
		if !zero(w[:24]) {
			return fmt.Errorf("%w: could not read gas limit", ErrParse)
		}
		cfg.GasLimit = binary.BigEndian.Uint64(w[24:32])
	case UpdateUnsafeBlockSigner:
		// Not part of derivation; the p2p layer reads the signer from the
		// contract's storage.
	case UpdateEIP1559Params:
		w, err := payload(log.Data, 32)
		if err != nil {
			return err
		}
		if err := check1559Params(w[24:32]); err != nil {
			return err
		}
		copy(cfg.EIP1559Params[:], w[24:32])
	case UpdateOperatorFeeParams:
		w, err := payload(log.Data, 32)
		if err != nil {
			return err
		}
		copy(cfg.OperatorFeeParams[:], w)
	case UpdateMinBaseFee:
		w, err := payload(log.Data, 32)
		if err != nil {
			return err
		}
		if !zero(w[:24]) {
			return fmt.Errorf("%w: could not read minBaseFee", ErrParse)
		}
		cfg.MinBaseFee = binary.BigEndian.Uint64(w[24:32])
	case UpdateDAFootprintGasScalar:
		w, err := payload(log.Data, 32)
		if err != nil {
			return err
		}
		if !zero(w[:30]) {
			return fmt.Errorf("%w: could not read DA footprint gas scalar", ErrParse)
		}
		cfg.DAFootprintGasScalar = binary.BigEndian.Uint16(w[30:32])
	}
	return nil
}

// check1559Params is op-node's rule for an update's denominator ‖
// elasticity (its decoder calls op-geth's ValidateHolocene1559Params):
// both zero, which tells the engine to use the chain's Canyon constants,
// or both non-zero. A lone zero is rejected either way round, since the
// engine divides by both and would refuse such attributes.
func check1559Params(p []byte) error {
	denom, elast := binary.BigEndian.Uint32(p[0:4]), binary.BigEndian.Uint32(p[4:8])
	switch {
	case denom == 0 && elast != 0:
		return fmt.Errorf("%w: denominator is 0 but elasticity is %d; both must be 0 or both non-zero", ErrInvalidEIP1559Params, elast)
	case denom != 0 && elast == 0:
		return fmt.Errorf("%w: elasticity is 0 but denominator is %d; both must be 0 or both non-zero", ErrInvalidEIP1559Params, denom)
	}
	return nil
}

// payload checks the ABI `bytes` framing of the log data and returns the
// wantLen content bytes.
func payload(data []byte, wantLen uint64) ([]byte, error) {
	if len(data) < 32 || !zero(data[:24]) || binary.BigEndian.Uint64(data[24:32]) != 32 {
		return nil, fmt.Errorf("%w: invalid pointer field", ErrParse)
	}
	if len(data) < 64 || !zero(data[32:56]) || binary.BigEndian.Uint64(data[56:64]) != wantLen {
		return nil, fmt.Errorf("%w: invalid length field", ErrParse)
	}
	if uint64(len(data)) < 64+wantLen {
		return nil, fmt.Errorf("%w: payload is %d bytes, want %d", ErrParse, len(data)-64, wantLen)
	}
	if uint64(len(data)) > 64+wantLen {
		return nil, fmt.Errorf("%w: too many bytes", ErrParse)
	}
	return data[64:], nil
}

func zero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// ApplyReceipts applies, in order, every ConfigUpdate log emitted by
// systemConfigAddr in the successful receipts (Status == 1) of an L1 block
// with time l1Time.
//
// As in op-node, updates apply one by one: a malformed log is skipped
// (leaving cfg as it was before that log) and processing continues. The
// returned error joins one entry per skipped log ("malformed L1 system
// config log in tx <i>, log <index>: ..."). op-node's L1 traversal only logs
// this error as a warning, and its attributes builder drops it; both carry
// on with the partially updated config. It is informational, not a reason
// to stop deriving: the bad log stays on L1, so no retry could get past it.
func ApplyReceipts(cfg *eth.SystemConfig, receipts []eth.Receipt, systemConfigAddr common.Address, rcfg *rollup.Config, l1Time uint64) error {
	if cfg == nil || rcfg == nil {
		return errors.New("nil system config or rollup config")
	}
	var errs []error
	for _, rec := range receipts {
		if rec.Status != 1 {
			continue
		}
		for _, log := range rec.Logs {
			if log.Address != systemConfigAddr || len(log.Topics) == 0 || log.Topics[0] != EventTopic {
				continue
			}
			if err := ProcessLog(cfg, log, rcfg, l1Time); err != nil {
				errs = append(errs, fmt.Errorf("malformed L1 system config log in tx %d, log %d: %w", rec.TxIndex, log.Index, err))
			}
		}
	}
	return errors.Join(errs...)
}
