package service

import "locksmith.dev/locksmith/internal/buildinfo"

// Version is printed by locksmithd --version. A release build sets it with
// -ldflags "-X locksmith.dev/locksmith/internal/daemon/service.Version=v1.2.3";
// when it is empty, buildinfo.Version words what the build recorded (the VCS
// revision for a build from a work tree).
var Version string

// version returns the version to print.
func version() string { return buildinfo.Version(Version) }
