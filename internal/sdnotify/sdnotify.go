// Package sdnotify tells systemd about the daemon's state with the
// sd_notify protocol: datagrams such as "READY=1" or "STATUS=waiting" sent
// to the unix socket systemd names in $NOTIFY_SOCKET.
//
// The package never reads the environment: main passes the socket path (and
// the watchdog variables to [WatchdogInterval]).
package sdnotify

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Notifier sends notifications to one socket. The zero Notifier, and one
// made from an empty path, is disabled: its methods do nothing and return
// nil, as when the service does not run under systemd.
type Notifier struct {
	path string
}

// New returns a Notifier for the socket at path, the value of
// $NOTIFY_SOCKET. A path starting with '@' names an abstract socket. An
// empty path gives a disabled Notifier.
func New(path string) *Notifier { return &Notifier{path: path} }

// Enabled reports whether n sends anything.
func (n *Notifier) Enabled() bool { return n != nil && n.path != "" }

// Notify sends state, one or more newline-separated VARIABLE=value
// assignments, in one datagram. It returns nil if n is disabled or the
// datagram was sent, and an error naming the socket otherwise (no listener,
// socket missing, message too long).
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	name := n.path
	if name[0] == '@' {
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify to %s: %w", n.path, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify to %s: %w", n.path, err)
	}
	return nil
}

// Ready sends READY=1 together with a status text (made one line as by
// Status).
func (n *Notifier) Ready(status string) error { return n.Notify("READY=1\nSTATUS=" + oneLine(status)) }

// Status sends STATUS=status; systemctl status shows it. Line breaks and
// other control characters in status are replaced by spaces, so that a
// multi-line text (a command's output) stays one assignment.
func (n *Notifier) Status(status string) error { return n.Notify("STATUS=" + oneLine(status)) }

// Watchdog sends WATCHDOG=1, the keep-alive ping of WatchdogSec=.
func (n *Notifier) Watchdog() error { return n.Notify("WATCHDOG=1") }

// Stopping sends STOPPING=1 together with a status text (made one line as
// by Status).
func (n *Notifier) Stopping(status string) error {
	return n.Notify("STOPPING=1\nSTATUS=" + oneLine(status))
}

// oneLine replaces the control characters of s (line breaks, tabs, NUL)
// by spaces: sd_notify assignments are separated by newlines.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// WatchdogInterval returns how often to send WATCHDOG=1, from the values of
// $WATCHDOG_USEC and $WATCHDOG_PID: half the timeout, as sd_watchdog_enabled
// advises. It returns 0 and no error when the watchdog is off (usec empty,
// or pid set to another process than self). An unparsable or non-positive
// value is an error naming the variable.
func WatchdogInterval(usec, pid string, self int) (time.Duration, error) {
	if usec == "" {
		return 0, nil
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, fmt.Errorf("invalid WATCHDOG_PID %q: %w", pid, err)
		}
		if p != self {
			return 0, nil
		}
	}
	us, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || us <= 0 {
		return 0, fmt.Errorf("invalid WATCHDOG_USEC %q: not a positive number of microseconds", usec)
	}
	return time.Duration(us) * time.Microsecond / 2, nil
}
