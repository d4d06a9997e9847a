package envflag

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// LookupFunc returns the value of an environment variable and whether it is
// set, like os.LookupEnv.
type LookupFunc func(name string) (string, bool)

// Env describes how the flags of one program map to environment variables.
type Env struct {
	// Prefix of the variable names, e.g. "LOCKSMITHD".
	Prefix string
	// Aliases lists, per flag name, further variable names read when the
	// prefixed one is unset, in order of preference (e.g. "strategy" ->
	// ["REBOOT_STRATEGY"]).
	Aliases map[string][]string
}

// Name returns the prefixed variable name of a flag: Prefix, an underscore,
// and the flag name upper-cased with dashes turned into underscores.
func (e Env) Name(flag string) string {
	return e.Prefix + "_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Names returns every variable name that may set flag, most preferred first.
func (e Env) Names(flag string) []string {
	return append([]string{e.Name(flag)}, e.Aliases[flag]...)
}

// Document appends the variable names of every flag of fs to its usage
// text, so that --help tells where each value may come from. Flags named
// in skip (e.g. "help", "version") are left alone.
func (e Env) Document(fs *pflag.FlagSet, skip ...string) {
	fs.VisitAll(func(f *pflag.Flag) {
		if slices.Contains(skip, f.Name) {
			return
		}
		f.Usage += " [$" + strings.Join(e.Names(f.Name), ", $") + "]"
	})
}

// Apply sets every flag of fs that was not given on the command line from
// the first of its variable names that lookup finds set to a non-empty
// value (see Source). It must be called after fs.Parse. Flags named in
// skip are never read from the environment.
//
// A value the flag rejects is an error naming the variable, the flag and the
// value; the flag keeps its default then. Slice flags receive the variable's
// value as they would receive it on the command line once (a StringSlice
// splits on commas).
func (e Env) Apply(fs *pflag.FlagSet, lookup LookupFunc, skip ...string) error {
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if firstErr != nil || f.Changed || slices.Contains(skip, f.Name) {
			return
		}
		name, v, ok := e.Source(f.Name, lookup)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			firstErr = fmt.Errorf("invalid value %q in %s (for --%s): %w", v, name, f.Name, err)
		}
	})
	return firstErr
}

// Source returns the variable that sets flag, the first of its names that
// lookup finds with a non-empty value, and that value; ok is false when
// there is none. An empty variable counts as unset, as it did for old
// locksmith, which read its variables with os.Getenv: an update.conf line
// "LOCKSMITHD_REBOOT_WINDOW_START=" does not hide REBOOT_WINDOW_START.
func (e Env) Source(flag string, lookup LookupFunc) (name, value string, ok bool) {
	for _, name := range e.Names(flag) {
		if v, ok := lookup(name); ok && v != "" {
			return name, v, true
		}
	}
	return "", "", false
}

// Chain returns a LookupFunc that asks each lookup in turn and returns the
// first value found.
func Chain(lookups ...LookupFunc) LookupFunc {
	return func(name string) (string, bool) {
		for _, l := range lookups {
			if v, ok := l(name); ok {
				return v, true
			}
		}
		return "", false
	}
}

// MapLookup returns a LookupFunc over a map.
func MapLookup(m map[string]string) LookupFunc {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}
