// Command dbus-harness runs a private D-Bus bus with stand-ins for
// update_engine (com.coreos.update1) and logind (org.freedesktop.login1),
// for end-to-end tests and manual runs of locksmithd. It is steered by line
// commands on standard input.
//
// Usage:
//
//	dbus-harness [--dir DIR]
//
// DIR holds the bus's socket ("bus"), configuration ("bus.conf") and log
// ("dbus-daemon.log"); it must exist and its path must be short enough for a
// unix socket. Without --dir a temporary directory is used and removed on
// exit.
//
// # Protocol
//
// The first line on standard output gives the bus address, ready for use as
// an environment assignment:
//
//	DBUS_SYSTEM_BUS_ADDRESS=unix:path=DIR/bus,guid=…
//
// update_engine then reports UPDATE_STATUS_IDLE, logind accepts Reboot and
// lists no session. Each line on standard input is one command, words
// separated by blanks; each command is answered by exactly one line, "ok"
// (or "ok VALUE") or "error MESSAGE", in order:
//
//	status OPERATION [NEW_VERSION]  GetStatus reports OPERATION from now on; no signal
//	emit OPERATION [NEW_VERSION]    same, and update_engine broadcasts a StatusUpdate with it
//	signal OPERATION [NEW_VERSION]  update_engine broadcasts a StatusUpdate only; GetStatus unchanged
//	restart-update-engine           update_engine's connection closes and a new one (new unique name) owns the name
//	fail-reboot MESSAGE…            every later Reboot fails with org.freedesktop.DBus.Error.Failed: MESSAGE
//	ok-reboot                       Reboot succeeds again
//	sessions [SESSION…]             logind lists exactly these sessions (none without arguments)
//	reboot-calls                    answered "ok N": Reboot was called N times, failed calls included
//	quit                            answered "ok", then everything stops and the program exits 0
//
// OPERATION is an update_engine operation such as
// UPDATE_STATUS_UPDATED_NEED_REBOOT. SESSION is comma-separated key=value
// pairs with keys id, user, uid, seat, tty, remote_host, type, class, state
// and remote (true or false), e.g. id=2,user=core,uid=500,type=tty,class=user,remote=true.
//
// Events are reported on their own lines, between replies:
//
//	reboot  logind's Reboot was called and succeeded (printed before the caller gets its reply)
//
// The end of standard input, SIGINT and SIGTERM stop the program like quit.
// It exits 1 with a message on standard error if the bus or a stand-in
// cannot start, 2 on bad arguments.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"locksmith.dev/locksmith/internal/testkit/dbustest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := dbustest.RunHarness(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, dbustest.ErrUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
