package heads

import "math/big"

type bigInt = big.Int
