package dbustest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"locksmith.dev/locksmith/internal/testkit/dbustest"
)

func TestStartBus(t *testing.T) {
	dbustest.RequireDaemon(t)
	dir := t.TempDir()
	b, err := dbustest.StartBus(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := "unix:path=" + filepath.Join(dir, "bus"); !strings.HasPrefix(b.Address(), want) {
		t.Errorf("Address = %q, want it to start with %q", b.Address(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "bus.conf")); err != nil {
		t.Errorf("no config file in the bus directory: %v", err)
	}
	conn, err := b.Connect()
	if err != nil {
		t.Fatal(err)
	}
	if name := conn.Names()[0]; !strings.HasPrefix(name, ":") {
		t.Errorf("connection's unique name %q, want one from Hello", name)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	<-conn.Context().Done() // the bus dropped the connection
	if _, err := b.Connect(); err == nil {
		t.Error("Connect succeeded after Close")
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStartBusWithoutDaemon(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := dbustest.StartBus(t.Context(), t.TempDir())
	if !errors.Is(err, dbustest.ErrNoDaemon) {
		t.Fatalf("StartBus without dbus-daemon: %v, want ErrNoDaemon", err)
	}
}

func TestStartBusSocketPathTooLong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := dbustest.StartBus(t.Context(), dir)
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("StartBus in a deep directory: %v, want a socket path error", err)
	}
}

// fakeTB records how StartBusT ends a test. Fatalf and Skipf stop the
// goroutine like the real ones.
type fakeTB struct {
	testing.TB
	dir         string
	fatal, skip string
	cleanups    []func()
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) TempDir() string   { return f.dir }
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runStartBusT runs StartBusT against a fakeTB and returns it.
func runStartBusT(t *testing.T) *fakeTB {
	f := &fakeTB{TB: t, dir: t.TempDir()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dbustest.StartBusT(f)
	}()
	<-done
	for _, fn := range slices.Backward(f.cleanups) {
		fn()
	}
	return f
}

func TestStartBusTWithoutDaemon(t *testing.T) {
	t.Setenv("PATH", t.TempDir())

	t.Setenv("CI", "true")
	if f := runStartBusT(t); f.fatal == "" || f.skip != "" || !strings.Contains(f.fatal, "CI=true") {
		t.Errorf("with CI=true: fatal %q, skip %q; want a failure naming CI", f.fatal, f.skip)
	}

	t.Setenv("CI", "")
	if f := runStartBusT(t); f.skip == "" || f.fatal != "" || !strings.Contains(f.skip, "dbus-daemon") {
		t.Errorf("without CI: fatal %q, skip %q; want a skip naming dbus-daemon", f.fatal, f.skip)
	}
}

func TestStartBusTWithDaemon(t *testing.T) {
	dbustest.RequireDaemon(t)
	t.Setenv("CI", "true")
	f := runStartBusT(t)
	if f.fatal != "" || f.skip != "" {
		t.Fatalf("StartBusT: fatal %q, skip %q", f.fatal, f.skip)
	}
	if len(f.cleanups) != 1 {
		t.Fatalf("StartBusT registered %d cleanups, want 1 (stopping the bus)", len(f.cleanups))
	}
}

func TestMatchRulesAndSignalChannels(t *testing.T) {
	b := dbustest.StartBusT(t)
	channels := dbustest.NewSignalChannels()
	conn := b.ConnectT(t, dbus.WithSignalHandler(channels))
	rule := []dbus.MatchOption{dbus.WithMatchInterface("org.example.Test"), dbus.WithMatchMember("Ping")}
	if err := conn.AddMatchSignal(rule...); err != nil {
		t.Fatal(err)
	}
	rules, ok := b.MatchRulesT(t, conn.Names()[0])
	if !ok {
		t.Skip("the bus daemon cannot list match rules")
	}
	if want := []string{"type='signal',interface='org.example.Test',member='Ping'"}; !slices.Equal(rules, want) {
		t.Errorf("MatchRules = %q, want %q", rules, want)
	}
	if err := conn.RemoveMatchSignal(rule...); err != nil {
		t.Fatal(err)
	}
	if rules, err := b.MatchRules(context.Background(), conn.Names()[0]); err != nil || len(rules) != 0 {
		t.Errorf("MatchRules after RemoveMatch = %q, %v; want none", rules, err)
	}

	ch := make(chan *dbus.Signal, 1)
	conn.Signal(ch)
	if n := channels.Registered(); n != 1 {
		t.Errorf("Registered = %d after Signal, want 1", n)
	}
	conn.RemoveSignal(ch)
	if n := channels.Registered(); n != 0 {
		t.Errorf("Registered = %d after RemoveSignal, want 0", n)
	}
}
