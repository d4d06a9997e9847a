package ctl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// given returns the names of the flags of fs given on the command line. (It
// asks each flag whether it changed: a subcommand parses into a flag set of
// its own, which fs.Visit would not see.)
func given(fs *pflag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { m[f.Name] = f.Changed })
	return m
}

// source says where the global option flag got its value, as
// applyEnvironment looked for it: the command line, the process
// environment, update.conf unless the option is in skipped, or nowhere.
func (r *run) source(flag string, cmdLine map[string]bool, skipped []string) string {
	env := environment()
	if cmdLine[flag] {
		return "from the command line"
	}
	if name, _, ok := env.Source(flag, r.processEnv); ok {
		return "from " + name
	}
	if slices.Contains(skipped, flag) {
		return "default"
	}
	if name, _, ok := env.Source(flag, r.daemonSetting); ok {
		return "from " + name + " in update.conf"
	}
	return "default"
}

// debugSettings prints, for --debug, every global option with its value
// and where it came from (passwords hidden), and the update.conf settings
// left out because another option of their group was given.
func (r *run) debugSettings(fs *pflag.FlagSet, cmdLine map[string]bool, groups [][]string) {
	skipped := slices.Concat(groups...)
	fs.VisitAll(func(f *pflag.Flag) {
		v := f.Value.String()
		if f.Name == "etcd-password" && v != "" {
			v = "(hidden)"
		}
		r.debugf("--%s=%s (%s)", f.Name, v, r.source(f.Name, cmdLine, skipped))
	})
	for _, group := range groups {
		set := slices.DeleteFunc(slices.Clone(group), func(name string) bool { return !fs.Changed(name) })
		for _, name := range group {
			variable := daemonVariable(name)
			if _, ok := r.daemonSetting(variable); ok {
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
