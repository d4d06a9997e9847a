package envflag

import (
	"strings"

	"github.com/spf13/pflag"
)

// habits maps the names of etcdctl's flags to locksmith's, where fs has the latter.
var habits = map[string]string{"endpoints": "endpoint"}

// NormalizeArgs rewrites legacy single-dash long flags, as old locksmith
// accepted them (-endpoint=URL, -endpoint URL), to the double-dash form
// pflag parses, and etcdctl's --endpoints to --endpoint. An argument is
// rewritten only when the name after the dash is longer than one character
// and names a long flag of fs (or etcdctl's name of one); shorthand flags
// (-h), positional arguments, values of flags that take one, and
// everything after a "--" terminator are left unchanged.
func NormalizeArgs(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	expectValue := false
	for i, a := range args {
		if expectValue {
			expectValue = false
			out = append(out, a)
			continue
		}
		if a == "--" {
			return append(out, args[i:]...)
		}
		a = habit(fs, a)
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 2 {
			name, _, hasValue := strings.Cut(a[1:], "=")
			if f := fs.Lookup(name); f != nil && len(name) > 1 {
				a = "-" + a
				expectValue = !hasValue && f.NoOptDefVal == ""
			}
		} else if strings.HasPrefix(a, "--") && len(a) > 2 {
			name, _, hasValue := strings.Cut(a[2:], "=")
			if f := fs.Lookup(name); f != nil {
				expectValue = !hasValue && f.NoOptDefVal == ""
			}
		}
		out = append(out, a)
	}
	return out
}

// habit rewrites an argument that names a flag by etcdctl's name (--endpoints=URL, -endpoints)
// to locksmith's, when fs has locksmith's and not etcdctl's.
func habit(fs *pflag.FlagSet, a string) string {
	dashes := "--"
	if !strings.HasPrefix(a, dashes) {
		dashes = "-"
	}
	name, value, hasValue := strings.Cut(strings.TrimPrefix(a, dashes), "=")
	ours, ok := habits[name]
	if !ok || !strings.HasPrefix(a, "-") || fs.Lookup(name) != nil || fs.Lookup(ours) == nil {
		return a
	}
	if hasValue {
		return dashes + ours + "=" + value
	}
	return dashes + ours
}
