// Package sdnotify tells systemd about the daemon's state (READY, STATUS, WATCHDOG, STOPPING)
// through go-systemd's daemon package, which speaks sd_notify to the socket in $NOTIFY_SOCKET.
// What it adds: status texts made one line, errors that name the socket, and the watchdog
// interval as half the timeout.
package sdnotify

import (
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier sends notifications to the socket that $NOTIFY_SOCKET names when a method is called
// (an '@' first names an abstract socket). Without that variable, as when the service does not
// run under systemd, its methods do nothing and return nil. The zero Notifier is ready to use.
type Notifier struct{}

// Ready sends READY=1 together with a status text (made one line as by Status).
func (Notifier) Ready(status string) error {
	return send(daemon.SdNotifyReady + "\nSTATUS=" + oneLine(status))
}

// Status sends STATUS=status; systemctl status shows it. Line breaks and other control characters
// in status are replaced by spaces, so that a multi-line text (a command's output) stays one
// assignment: sd_notify assignments are separated by newlines, and go-systemd sends the text as
// it is given.
func (Notifier) Status(status string) error { return send("STATUS=" + oneLine(status)) }

// Watchdog sends WATCHDOG=1, the keep-alive ping of WatchdogSec=.
func (Notifier) Watchdog() error { return send(daemon.SdNotifyWatchdog) }

// Stopping sends STOPPING=1 together with a status text (made one line as by Status).
func (Notifier) Stopping(status string) error {
	return send(daemon.SdNotifyStopping + "\nSTATUS=" + oneLine(status))
}

// send sends state in one datagram. It returns nil when it was sent or when $NOTIFY_SOCKET is
// unset, and an error naming the socket otherwise (no listener, socket missing, message too long).
func send(state string) error {
	if _, err := daemon.SdNotify(false, state); err != nil {
		return fmt.Errorf("sd_notify to %s: %w", os.Getenv("NOTIFY_SOCKET"), err)
	}
	return nil
}

// oneLine replaces the control characters of s (line breaks, tabs, NUL) by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// WatchdogInterval returns how often to send WATCHDOG=1: half the timeout that $WATCHDOG_USEC
// gives, as sd_watchdog_enabled(3) advises. It returns 0 and no error when the watchdog is off
// ($WATCHDOG_USEC unset, or $WATCHDOG_PID naming another process). An unparsable or
// non-positive value is an error naming the variable.
func WatchdogInterval() (time.Duration, error) {
	timeout, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return 0, fmt.Errorf("invalid WATCHDOG_USEC %q or WATCHDOG_PID %q: %w",
			os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"), err)
	}
	return timeout / 2, nil
}
