package dbustest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/godbus/dbus/v5"
)

// RequireDaemon ends the test unless dbus-daemon is in PATH: it skips the
// test, or fails it when the environment variable CI is "true", since CI
// must run the D-Bus tests. Tests that run the dbus-harness program call it
// first.
func RequireDaemon(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%v: %v; CI=true requires it (install the dbus-daemon package)", ErrNoDaemon, err)
		}
		tb.Skipf("skipping D-Bus test: %v (install the dbus-daemon package, or run ./scripts/test)", ErrNoDaemon)
	}
}

// MatchRulesT returns the match rules of the connection name like
// [Bus.MatchRules]. When the bus daemon offers no statistics interface it
// fails the test under CI=true (CI's dbus-daemon must let tests check their
// clean-up) and otherwise logs why and returns ok false. Any other error
// fails the test.
func (b *Bus) MatchRulesT(tb testing.TB, name string) (rules []string, ok bool) {
	tb.Helper()
	rules, err := b.MatchRules(context.Background(), name)
	switch {
	case errors.Is(err, ErrNoStats) && os.Getenv("CI") == "true":
		tb.Fatalf("%v; CI=true requires a dbus-daemon with org.freedesktop.DBus.Debug.Stats", err)
	case errors.Is(err, ErrNoStats):
		tb.Logf("match rules not checked: %v", err)
		return nil, false
	case err != nil:
		tb.Fatalf("match rules of %s: %v", name, err)
	}
	return rules, true
}

// StartBusT starts a private bus in tb.TempDir() and stops it when the test
// ends. Without dbus-daemon it ends the test as [RequireDaemon] does; any
// other start failure fails the test.
func StartBusT(tb testing.TB) *Bus {
	tb.Helper()
	RequireDaemon(tb)
	b, err := StartBus(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b
}

// ConnectT opens a connection to b like [Bus.Connect] and closes it when the
// test ends. It fails the test if the connection cannot be made.
func (b *Bus) ConnectT(tb testing.TB, opts ...dbus.ConnOption) *dbus.Conn {
	tb.Helper()
	conn, err := b.Connect(opts...)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return conn
}
