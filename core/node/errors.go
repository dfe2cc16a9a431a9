package node

import (
	"errors"

	"github.com/opalnode/opal/sdk/eth"
)

func isNotFound(err error) bool { return errors.Is(err, eth.ErrNotFound) }
