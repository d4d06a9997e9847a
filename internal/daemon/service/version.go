package service

import "runtime/debug"

// Version is printed by locksmithd --version. A release build sets it with
// -ldflags "-X locksmith.dev/locksmith/internal/daemon/service.Version=v1.2.3";
// when it is empty, the main module's version from the build information
// is printed ("(devel)" for a build from a work tree).
var Version string

// version returns the version to print.
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
