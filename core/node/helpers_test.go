package node

import (
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/hashicorp/go-hclog"

	"github.com/opalnode/opal/sdk/engine"
)

type (
	engineIface     = engine.Engine
	typesWithdrawal = types.Withdrawal
)

func nullLog() hclog.Logger { return hclog.NewNullLogger() }
