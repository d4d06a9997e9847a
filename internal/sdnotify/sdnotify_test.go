package sdnotify

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen opens a unixgram socket in a temporary directory, like systemd's
// notify socket, and returns its path and a function reading one datagram.
func listen(t *testing.T) (string, func() string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return path, func() string {
		t.Helper()
		if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("read notification: %v", err)
		}
		return string(buf[:n])
	}
}

func TestMessages(t *testing.T) {
	path, read := listen(t)
	n := New(path)
	if !n.Enabled() {
		t.Fatal("notifier with a path is disabled")
	}
	steps := []struct {
		send func() error
		want string
	}{
		{func() error { return n.Ready("running") }, "READY=1\nSTATUS=running"},
		{func() error { return n.Status("waiting for\nreboot window") }, "STATUS=waiting for reboot window"},
		{func() error { return n.Status("check failed: a\r\nb\tc\x00") }, "STATUS=check failed: a  b c "},
		{func() error { return n.Ready("up\nREADY=0") }, "READY=1\nSTATUS=up READY=0"},
		{n.Watchdog, "WATCHDOG=1"},
		{func() error { return n.Stopping("bye") }, "STOPPING=1\nSTATUS=bye"},
	}
	for _, s := range steps {
		if err := s.send(); err != nil {
			t.Fatal(err)
		}
		if got := read(); got != s.want {
			t.Errorf("datagram %q, want %q", got, s.want)
		}
	}
}

func TestAbstractSocket(t *testing.T) {
	name := "locksmith-sdnotify-test-" + filepath.Base(t.TempDir())
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "\x00" + name, Net: "unixgram"})
	if err != nil {
		t.Skipf("abstract unix sockets unavailable here: %v", err)
	}
	defer conn.Close()
	if err := New("@" + name).Status("x"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "STATUS=x" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

func TestDisabledAndErrors(t *testing.T) {
	var zero *Notifier
	if zero.Enabled() || zero.Notify("READY=1") != nil || New("").Ready("x") != nil {
		t.Fatal("disabled notifier must do nothing and succeed")
	}
	missing := filepath.Join(t.TempDir(), "absent")
	err := New(missing).Status("x")
	if err == nil {
		t.Fatal("sending to a missing socket succeeded")
	}
	if want := missing; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the socket", err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	tests := []struct {
		usec, pid string
		want      time.Duration
		err       bool
	}{
		{"", "", 0, false},
		{"20000000", "", 10 * time.Second, false},
		{"20000000", "42", 10 * time.Second, false},
		{"20000000", "43", 0, false},
		{"soon", "", 0, true},
		{"0", "", 0, true},
		{"20000000", "x", 0, true},
	}
	for _, tt := range tests {
		got, err := WatchdogInterval(tt.usec, tt.pid, 42)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("WatchdogInterval(%q, %q) = %v, %v; want %v, error %v", tt.usec, tt.pid, got, err, tt.want, tt.err)
		}
	}
}
