package dbustest

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/godbus/dbus/v5"
)

// StartBusT starts a private bus in tb.TempDir() and stops it when the test
// ends. If dbus-daemon is not installed it skips the test, unless the
// environment variable CI is "true", where it fails the test: CI must run
// the D-Bus tests. Any other start failure fails the test.
func StartBusT(tb testing.TB) *Bus {
	tb.Helper()
	b, err := StartBus(context.Background(), tb.TempDir())
	if errors.Is(err, ErrNoDaemon) {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%v; CI=true requires it (install the dbus-daemon package)", err)
		}
		tb.Skipf("skipping D-Bus test: %v (install the dbus-daemon package, or run ./scripts/test)", err)
	}
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
