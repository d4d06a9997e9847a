package ctl

import (
	"errors"
	"fmt"
)

// ErrUsage is wrapped by every error [Run] and [CLI.Run] return because of the
// command line or the configuration (unknown command or option, bad
// argument, bad environment value, invalid connection settings). Nothing
// was attempted when Run returns it.
var ErrUsage = errors.New("usage error")

// ExitCode returns the exit status of locksmithctl for an error returned by
// [Run] or [CLI.Run]: 0 for nil, 2 for an error wrapping [ErrUsage], 1
// otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	default:
		return 1
	}
}

// usageError marks err as a usage error without changing its text.
type usageError struct{ err error }

func (e usageError) Error() string        { return e.err.Error() }
func (e usageError) Unwrap() error        { return e.err }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// usagef returns a usage error with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// explained is an error whose text replaces that of the error it wraps:
// errors.Is still finds the cause, but the message reads well on its own.
type explained struct {
	msg   string
	cause error
}

func (e explained) Error() string { return e.msg }
func (e explained) Unwrap() error { return e.cause }

// explain returns an error with a formatted message that wraps cause.
func explain(cause error, format string, args ...any) error {
	return explained{msg: fmt.Sprintf(format, args...), cause: cause}
}
