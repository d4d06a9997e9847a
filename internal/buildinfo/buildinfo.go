// Package buildinfo words the version of a locksmith program from what the Go toolchain
// recorded in its binary: the module version of a release, or the VCS revision and commit time
// of a build from a git checkout.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Version returns set when a release build set it (with -ldflags -X), else the main module's
// version (as `go install …@v1.2.3` records it), else "devel" with the VCS revision, its commit
// time and "modified" when the work tree had changes (`go build` in a checkout), else "devel".
func Version(set string) string {
	if set != "" {
		return set
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return fromInfo(bi)
}

// fromInfo is Version for the build information bi.
func fromInfo(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	rev := vcs["vcs.revision"]
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	parts := []string{"revision " + rev}
	if t := vcs["vcs.time"]; t != "" {
		parts = append(parts, "committed "+t)
	}
	if vcs["vcs.modified"] == "true" {
		parts = append(parts, "modified")
	}
	return "devel (" + strings.Join(parts, ", ") + ")"
}
