package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen opens a unixgram socket in a temporary directory, like systemd's notify socket, points
// $NOTIFY_SOCKET at it, and returns a function reading one datagram.
func listen(t *testing.T) func() string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return func() string {
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

// Each message is one datagram, and a status text is one assignment whatever it holds: go-systemd
// sends the text as given, so a newline in it would start a new assignment (READY=0 below).
func TestMessages(t *testing.T) {
	read := listen(t)
	var n Notifier
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
		t.Fatalf("abstract unix socket: %v", err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", "@"+name)
	if err := (Notifier{}).Status("x"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "STATUS=x" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

func TestWithoutSocketAndErrors(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := (Notifier{}).Ready("x"); err != nil {
		t.Fatalf("without $NOTIFY_SOCKET: %v, want nothing done and no error", err)
	}
	missing := filepath.Join(t.TempDir(), "absent")
	t.Setenv("NOTIFY_SOCKET", missing)
	err := Notifier{}.Status("x")
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("sending to a missing socket: %v, want an error naming it", err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		usec, pid string
		want      time.Duration
		err       bool
	}{
		{"", "", 0, false},
		{"20000000", "", 10 * time.Second, false},
		{"20000000", self, 10 * time.Second, false},
		{"20000000", "1", 0, false},
		{"soon", "", 0, true},
		{"0", "", 0, true},
		{"20000000", "x", 0, true},
	}
	for _, tt := range tests {
		t.Setenv("WATCHDOG_USEC", tt.usec)
		t.Setenv("WATCHDOG_PID", tt.pid)
		got, err := WatchdogInterval()
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("WatchdogInterval with WATCHDOG_USEC=%q WATCHDOG_PID=%q = %v, %v; want %v, error %v",
				tt.usec, tt.pid, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), "WATCHDOG_USEC") {
			t.Errorf("error %q does not name the variable", err)
		}
	}
}
