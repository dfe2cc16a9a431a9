package batch

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// DeriveTxsWithTypes rebuilds every transaction of s through go-ethereum's
// types (buildTx), the reference for Derive's fast path.
func DeriveTxsWithTypes(s *Span, chainID *big.Int) ([][]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	t := &s.Txs
	out := make([][]byte, len(t.Datas))
	toIdx, legacyIdx := 0, 0
	for i, data := range t.Datas {
		f := t.fields(i, &toIdx, &legacyIdx)
		tx, err := buildTx(data, &f, chainID)
		if err != nil {
			return nil, err
		}
		out[i] = tx
	}
	return out, nil
}

// FastTx and TypesTx run the two transaction builders on a single tx_data.
func FastTx(data []byte, to *[20]byte, y uint64, r, s [32]byte, nonce, gas uint64, protected bool, chainID *big.Int) ([]byte, error) {
	f := fieldsFor(to, y, r, s, nonce, gas, protected)
	return newTxEncoder(chainID).appendTx(nil, data, &f)
}

func TypesTx(data []byte, to *[20]byte, y uint64, r, s [32]byte, nonce, gas uint64, protected bool, chainID *big.Int) ([]byte, error) {
	f := fieldsFor(to, y, r, s, nonce, gas, protected)
	return buildTx(data, &f, chainID)
}

func fieldsFor(to *[20]byte, y uint64, r, s [32]byte, nonce, gas uint64, protected bool) txFields {
	f := txFields{y: y, sig: &Signature{R: r, S: s}, nonce: nonce, gas: gas, protected: protected}
	if to != nil {
		addr := common.Address(*to)
		f.to = &addr
	}
	return f
}
