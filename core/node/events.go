package node

import (
	"context"
)

// AdminCommand runs fn on the loop goroutine and replies with its error.
type AdminCommand struct {
	Name  string
	Fn    func(ctx context.Context) error
	Reply chan error
}

func (AdminCommand) String() string { return "admin-command" }
