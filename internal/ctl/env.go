package ctl

import (
	"fmt"
	"maps"
	"strings"

	"github.com/flatcar/locksmith/internal/envflag"
)

// lookup finds a variable for a global option: LOCKSMITHD_* names in
// update.conf only (they are locksmithd's settings), every other name in
// the process environment.
func (r *run) lookup(name string) (string, bool) {
	if strings.HasPrefix(name, daemonPrefix+"_") {
		v, ok := r.daemonSettings()[name]
		return v, ok
	}
	return r.cli.lookupEnv(name)
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
		maps.Copy(r.updateConf, vars)
	}
	return r.updateConf
}

// warnf prints a warning line on stderr.
func (r *run) warnf(format string, args ...any) {
	fmt.Fprintf(r.cli.Stderr, "locksmithctl: warning: "+format+"\n", args...)
}
