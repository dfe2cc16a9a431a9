package pipeline

import (
	"errors"
	"fmt"

	"github.com/opalnode/opal/sdk/eth"
)

// errNotEnoughData tells the caller that a stage made progress (consumed
// input, dropped an item) without producing output: call it again. It never
// leaves the package; Step turns it into a More outcome.
var errNotEnoughData = errors.New("not enough data")

// Errors a Step can return keep the sdk's identities, so the deriver plugin
// and the core can classify them with errors.Is.
func resetErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", eth.ErrReset, fmt.Sprintf(format, args...))
}

func criticalErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", eth.ErrCritical, fmt.Sprintf(format, args...))
}

func temporaryErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", eth.ErrTemporary, fmt.Sprintf(format, args...))
}
