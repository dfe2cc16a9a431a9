package e2e

import "math/big"

func bigU(n uint64) *big.Int { return new(big.Int).SetUint64(n) }
