// Package envflag connects command-line flags to the environment the way
// locksmith's configuration contract wants it.
//
// Every flag --some-flag can also be given as PREFIX_SOME_FLAG (for example
// LOCKSMITHD_SOME_FLAG), plus optional legacy variable names; a flag given on
// the command line wins over the environment. A variable set to the empty
// string counts as unset, as it did for old locksmith. Legacy single-dash long flags
// (-endpoint=URL) are rewritten to their double-dash form before parsing.
// Environment files in the systemd EnvironmentFile= syntax (such as
// /etc/flatcar/update.conf) are read by ReadEnvFile.
//
// The package never reads the process environment itself: callers pass a
// lookup function (os.LookupEnv in main, a map in tests).
package envflag
