package config

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/etcdclient"
)

// source tells where each flag's value came from, for error messages.
type source struct {
	fs       *pflag.FlagSet
	lookup   envflag.LookupFunc
	fromArgs map[string]bool // flags given on the command line
}

// name returns "--flag" for a flag given on the command line or left at
// its default, and "$VARIABLE (--flag)" for one read from the environment.
func (s source) name(flag string) string {
	if !s.fromArgs[flag] {
		if v, _, ok := env.Source(flag, s.lookup); ok {
			return fmt.Sprintf("$%s (--%s)", v, flag)
		}
	}
	return "--" + flag
}

// invalid returns an error wrapping ErrInvalid that names the flag's source
// and value.
func (s source) invalid(flag string, err error) error {
	return fmt.Errorf("%w: %s=%q: %w", ErrInvalid, s.name(flag), s.fs.Lookup(flag).Value.String(), err)
}

// etcd returns an error of the etcd settings' checks wrapping ErrInvalid:
// a *etcdclient.FieldError is worded with the source of its setting, like
// the errors of invalid.
func (s source) etcd(err error) error {
	var fe *etcdclient.FieldError
	if !errors.As(err, &fe) {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return described{msg: ErrInvalid.Error() + ": " + fe.Describe(s.name(fe.Field)), err: fe}
}

// described is an error with its own text that wraps ErrInvalid and the
// error it words.
type described struct {
	msg string
	err error
}

func (d described) Error() string   { return d.msg }
func (d described) Unwrap() []error { return []error{ErrInvalid, d.err} }
