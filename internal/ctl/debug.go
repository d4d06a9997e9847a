package ctl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// sources records where the global options got their values.
type sources struct {
	// cmdLine holds the options given on the command line.
	cmdLine map[string]bool
	// found holds the variables that were found set, and not empty, when
	// looked up.
	found map[string]bool
}

// newSources starts recording, after the command line is parsed. (It asks
// each flag whether it changed: a subcommand parses into a flag set of its
// own, which fs.Visit would not see.)
func newSources(fs *pflag.FlagSet) *sources {
	s := &sources{cmdLine: map[string]bool{}, found: map[string]bool{}}
	fs.VisitAll(func(f *pflag.Flag) { s.cmdLine[f.Name] = f.Changed })
	return s
}

// record returns lookup, noting every variable it finds with a value.
func (s *sources) record(lookup func(string) (string, bool)) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := lookup(name)
		if ok && v != "" {
			s.found[name] = true
		}
		return v, ok
	}
}

// of says where option flag got its value. envflag.Apply stops at the
// first variable it finds set, an empty one counting as unset, so the
// first found name is the one used.
func (s *sources) of(flag string) string {
	if s.cmdLine[flag] {
		return "from the command line"
	}
	for _, name := range environment().Names(flag) {
		switch {
		case !s.found[name]:
		case isDaemonSetting(name):
			return "from " + name + " in update.conf"
		default:
			return "from " + name
		}
	}
	return "default"
}

// debugSettings prints, for --debug, every global option with its value
// and where it came from (passwords hidden), and the update.conf settings
// left out because another option of their group was given.
func (r *run) debugSettings(fs *pflag.FlagSet, src *sources, given [][]string) {
	fs.VisitAll(func(f *pflag.Flag) {
		v := f.Value.String()
		if f.Name == "etcd-password" && v != "" {
			v = "(hidden)"
		}
		r.debugf("--%s=%s (%s)", f.Name, v, src.of(f.Name))
	})
	for _, group := range given {
		set := slices.DeleteFunc(slices.Clone(group), func(name string) bool { return !fs.Changed(name) })
		for _, name := range group {
			variable := daemonVariable(name)
			if _, ok := r.daemonSettings()[variable]; ok {
				r.debugf("%s in update.conf is not used: it belongs with --%s, given as options or LOCKSMITHCTL_ variables",
					variable, strings.Join(set, ", --"))
			}
		}
	}
}

// debugf prints a --debug line on stderr.
func (r *run) debugf(format string, args ...any) {
	fmt.Fprintf(r.cli.Stderr, "locksmithctl: debug: "+format+"\n", args...)
}
