package ctl

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"locksmith.dev/locksmith/internal/envflag"
)

// settingGroups are global options that make one setting together: when
// the command line or the process environment gives any option of a group,
// no option of that group is read from update.conf, so that a password
// never meets another source's password file or user name, nor a client
// certificate another source's key.
var settingGroups = [][]string{
	{"etcd-username", "etcd-password", "etcd-password-file"},
	{"etcd-certfile", "etcd-keyfile"},
}

// applyEnvironment sets the global options not given on the command line:
// first from the process environment (LOCKSMITHCTL_*,
// DBUS_SYSTEM_BUS_ADDRESS), then from locksmithd's LOCKSMITHD_* settings in
// update.conf, except the options of a settingGroup of which one option is
// set by then. A bad value is a usage error naming the variable.
func (r *run) applyEnvironment() error {
	fs := r.root.PersistentFlags()
	env := environment()
	cmdLine := given(fs)
	if err := env.Apply(fs, r.processEnv); err != nil {
		return usageError{err}
	}
	for _, w := range env.Unknown(fs, r.cli.EnvNames) {
		r.warnf("%s", w)
	}
	var set [][]string // the groups of which an option is set
	for _, group := range settingGroups {
		if slices.ContainsFunc(group, fs.Changed) {
			set = append(set, group)
		}
	}
	if err := env.Apply(fs, r.daemonSetting, slices.Concat(set...)...); err != nil {
		return usageError{err}
	}
	if r.opts.debug {
		r.debugSettings(fs, cmdLine, set)
	}
	return nil
}

// processEnv looks a variable up in the process environment, except
// LOCKSMITHD_* names: they are locksmithd's settings, read from update.conf
// only.
func (r *run) processEnv(name string) (string, bool) {
	if isDaemonSetting(name) {
		return "", false
	}
	return r.cli.lookupEnv(name)
}

// daemonSetting looks a LOCKSMITHD_* variable up in update.conf; other
// names are never found there.
func (r *run) daemonSetting(name string) (string, bool) {
	if !isDaemonSetting(name) {
		return "", false
	}
	v, ok := r.daemonSettings()[name]
	return v, ok
}

func isDaemonSetting(name string) bool {
	return strings.HasPrefix(name, daemonPrefix+"_")
}

// daemonSettings reads the update.conf files once. A file that cannot be
// read or parsed is skipped with a warning: it holds locksmithd's settings,
// which are only a fallback here, and the options can be given instead.
func (r *run) daemonSettings() map[string]string {
	if r.updateConf != nil {
		return r.updateConf
	}
	r.updateConf = map[string]string{}
	files := r.cli.UpdateConfFiles
	if files == nil {
		files = DefaultUpdateConfFiles()
	}
	for _, path := range files {
		vars, err := envflag.ReadEnvFile(path)
		if err != nil {
			r.warnf("%v; its settings are not used", err)
			continue
		}
		if r.opts.debug {
			r.debugf("update.conf file %s: %d variables", path, len(vars))
		}
		maps.Copy(r.updateConf, vars)
	}
	return r.updateConf
}

// warnf prints a warning line on stderr.
func (r *run) warnf(format string, args ...any) {
	fmt.Fprintf(r.cli.Stderr, "locksmithctl: warning: "+format+"\n", args...)
}
