package originselector

import (
	"math/big"
	"strconv"
)

type bigInt = big.Int

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
