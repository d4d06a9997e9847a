package envflag

import (
	"fmt"
	"os"
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

// Unknown returns a warning for each of names (variable names) that starts with the Prefix and an
// underscore but sets no flag of fs (nor one in skip): "$LOCKSMITHD_LOCK_TL names no option (did
// you mean $LOCKSMITHD_LOCK_TTL?)". The suggestion is the closest variable by edit distance, when
// it is close.
func (e Env) Unknown(fs *pflag.FlagSet, names []string, skip ...string) []string {
	known := map[string]bool{}
	var all []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(skip, f.Name) {
			known[e.Name(f.Name)] = true
			all = append(all, e.Name(f.Name))
		}
	})
	var warnings []string
	for _, n := range names {
		if !strings.HasPrefix(n, e.Prefix+"_") || known[n] {
			continue
		}
		w := "$" + n + " names no option"
		best, dist := "", len(n)
		for _, k := range all {
			if d := editDistance(n, k); d < dist {
				best, dist = k, d
			}
		}
		if best != "" && dist <= max(2, len(n)/4) {
			w += " (did you mean $" + best + "?)"
		}
		warnings = append(warnings, w+"; it is ignored")
	}
	return warnings
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Environment is where a program's variables come from: Lookup finds one, Names lists those set
// (for the warning about unknown ones).
type Environment struct {
	Lookup LookupFunc
	Names  []string
}

// OS returns the process environment.
func OS() Environment {
	var names []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	return Environment{Lookup: os.LookupEnv, Names: names}
}

// Map returns an Environment over m, for tests.
func Map(m map[string]string) Environment {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return Environment{Lookup: MapLookup(m), Names: names}
}
