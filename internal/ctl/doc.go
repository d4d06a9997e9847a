// Package ctl is locksmithctl, the operator command line of locksmith, as a
// library: [Run] parses the arguments, runs one command against the reboot
// semaphore in etcd (or against D-Bus) and returns an error instead of
// exiting. [CLI.Run] does the same with the host (environment, files,
// clock) set by the caller, so that tests drive it like a user would.
//
// Commands: status, lock [ID], unlock [ID], set-max N, reboot,
// send-need-reboot, remove-stale, repair, help [COMMAND], completion SHELL,
// and the --version flag. The text output keeps old locksmithctl's lines that
// scripts parse ("Available: N", "Max: M", "Old-Max: X", the "MACHINE ID"
// table); --json prints machine-readable output instead.
//
// Global options may come before or after the command, in the legacy
// single-dash spelling (-endpoint=URL) too. An option not given on the
// command line is read from LOCKSMITHCTL_<OPTION> in the environment, then,
// for the settings the CLI shares with locksmithd (endpoint, group, etcd
// TLS files and credentials), from LOCKSMITHD_<OPTION> in update.conf, so
// that both programs talk to the same semaphore by default. The user name,
// password and password file are taken together from one place: if the
// command line or the environment gives one of them, none is read from
// update.conf; the same holds for the client certificate and its key.
// --debug (old locksmithctl's -debug) prints on stderr every option's value
// and where it came from.
//
// Exit status, as computed by [ExitCode] from Run's error:
//   - 0: the command succeeded;
//   - 1: the command was valid but failed (etcd or D-Bus unreachable or
//     refusing, no free slot, not a holder, corrupt value, timeout);
//   - 2: usage error, wrapping [ErrUsage]: unknown command or option, bad
//     argument, bad environment value or connection settings. Nothing was
//     attempted.
//
// Every error is one line naming what failed.
package ctl
