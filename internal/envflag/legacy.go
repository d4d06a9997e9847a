package envflag

import (
	"strings"

	"github.com/spf13/pflag"
)

// NormalizeArgs rewrites legacy single-dash long flags, as old locksmith
// accepted them (-endpoint=URL, -endpoint URL), to the double-dash form
// pflag parses. An argument is rewritten only when the name after the dash
// is longer than one character and names a long flag of fs; shorthand
// flags (-h), positional arguments, values of flags that take one, and
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
