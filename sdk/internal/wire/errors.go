// Package wire converts between the sdk's Go types and the generated
// protobuf types, and carries error identity across gRPC. Only the sdk's
// shims use it; plugin authors and the core never see protobuf types.
package wire

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/opalnode/opal/sdk/internal/pb/common/v1"

	"github.com/opalnode/opal/sdk/eth"
)

var (
	registryMu sync.RWMutex
	// Order matters only for the gRPC code chosen; every match is carried.
	registry []registered
)

type registered struct {
	kind commonv1.ErrorKind
	err  error
}

// RegisterError makes a sentinel travel across the wire as kind. Kind
// packages register their own sentinels at init.
func RegisterError(kind commonv1.ErrorKind, sentinel error) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, r := range registry {
		if r.kind == kind {
			if r.err == sentinel {
				return
			}
			panic(fmt.Sprintf("wire: error kind %v registered twice", kind))
		}
	}
	registry = append(registry, registered{kind, sentinel})
}

func init() {
	RegisterError(commonv1.ErrorKind_ERROR_KIND_NOT_FOUND, eth.ErrNotFound)
	RegisterError(commonv1.ErrorKind_ERROR_KIND_TEMPORARY, eth.ErrTemporary)
	RegisterError(commonv1.ErrorKind_ERROR_KIND_RESET, eth.ErrReset)
	RegisterError(commonv1.ErrorKind_ERROR_KIND_CRITICAL, eth.ErrCritical)
	RegisterError(commonv1.ErrorKind_ERROR_KIND_INVALID_ARGUMENT, eth.ErrInvalidArgument)
	RegisterError(commonv1.ErrorKind_ERROR_KIND_UNSUPPORTED, eth.ErrUnsupported)
	RegisterError(commonv1.ErrorKind_ERROR_KIND_UNAVAILABLE, eth.ErrUnavailable)
}

// ToStatus turns an implementation's error into a gRPC status error that
// names every registered sentinel it matches.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	info := &commonv1.ErrorInfo{}
	registryMu.RLock()
	for _, r := range registry {
		if errors.Is(err, r.err) {
			info.Kinds = append(info.Kinds, r.kind)
		}
	}
	registryMu.RUnlock()
	code := codes.Unknown
	switch {
	case errors.Is(err, eth.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, eth.ErrInvalidArgument):
		code = codes.InvalidArgument
	case errors.Is(err, eth.ErrUnsupported):
		code = codes.Unimplemented
	case errors.Is(err, eth.ErrTemporary):
		code = codes.ResourceExhausted
	}
	st, derr := status.New(code, err.Error()).WithDetails(info)
	if derr != nil {
		return status.Error(code, err.Error())
	}
	return st.Err()
}

// remoteError is an error returned by a plugin across the wire. It prints
// the plugin's message and matches the sentinels the plugin's error matched.
type remoteError struct {
	msg       string
	sentinels []error
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Unwrap() []error { return e.sentinels }

// FromStatus rebuilds the error a plugin returned. A plugin that cannot be
// reached (its process exited, the connection closed) becomes
// eth.ErrUnavailable; a cancelled call returns the caller's context error.
func FromStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Unavailable, codes.Canceled:
		return fmt.Errorf("%w: %s", eth.ErrUnavailable, st.Message())
	case codes.DeadlineExceeded:
		return fmt.Errorf("%w: %s", context.DeadlineExceeded, st.Message())
	}
	re := &remoteError{msg: st.Message()}
	for _, d := range st.Details() {
		info, ok := d.(*commonv1.ErrorInfo)
		if !ok {
			continue
		}
		registryMu.RLock()
		for _, k := range info.Kinds {
			for _, r := range registry {
				if r.kind == k {
					re.sentinels = append(re.sentinels, r.err)
				}
			}
		}
		registryMu.RUnlock()
	}
	if len(re.sentinels) == 0 && st.Code() == codes.Unimplemented {
		re.sentinels = append(re.sentinels, eth.ErrUnsupported)
	}
	return re
}
