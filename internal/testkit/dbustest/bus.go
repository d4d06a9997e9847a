package dbustest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/godbus/dbus/v5"
)

// ErrNoDaemon is returned (wrapped) by [StartBus] when no dbus-daemon
// program is found in PATH.
var ErrNoDaemon = errors.New("dbus-daemon not found in PATH")

// maxSocketPath is the longest path a unix socket address can hold on Linux
// (sun_path is 108 bytes including the terminating NUL).
const maxSocketPath = 107

// configTemplate is the bus configuration: one unix socket, EXTERNAL
// authentication (the peer's uid), and a policy that lets every connection
// own any name and send anything, like a session bus.
const configTemplate = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>locksmith-test</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// Bus is a private dbus-daemon process.
type Bus struct {
	address string
	logPath string
	cmd     *exec.Cmd
	// exited is closed once the process has exited; waitErr is then set.
	exited    chan struct{}
	waitErr   error
	closeOnce sync.Once
	closeErr  error
}

// StartBus starts a private dbus-daemon whose configuration file
// (bus.conf), socket (bus) and log (dbus-daemon.log) live in dir, which must
// exist. It returns once the bus accepts connections. ctx bounds the start
// only; the bus runs until [Bus.Close].
//
// It returns an error wrapping [ErrNoDaemon] if dbus-daemon is not
// installed, and an error including the daemon's log if it does not start.
func StartBus(ctx context.Context, dir string) (*Bus, error) {
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, fmt.Errorf("dbustest: start bus: %w (%w)", ErrNoDaemon, err)
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("dbustest: start bus: %w", err)
	}
	socket := filepath.Join(dir, "bus")
	if len(socket) > maxSocketPath {
		return nil, fmt.Errorf("dbustest: start bus: socket path %q is longer than %d bytes", socket, maxSocketPath)
	}
	config := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(config, fmt.Appendf(nil, configTemplate, socket), 0o600); err != nil {
		return nil, fmt.Errorf("dbustest: start bus: write config: %w", err)
	}
	b := &Bus{logPath: filepath.Join(dir, "dbus-daemon.log"), exited: make(chan struct{})}
	logFile, err := os.Create(b.logPath)
	if err != nil {
		return nil, fmt.Errorf("dbustest: start bus: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	b.cmd = exec.Command(daemon, "--config-file="+config, "--nofork", "--nopidfile", "--nosyslog", "--print-address=1")
	b.cmd.Stderr = logFile
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("dbustest: start bus: %w", err)
	}
	b.cmd.Stdout = stdoutW
	err = b.cmd.Start()
	stdoutW.Close() // the child has its own copy
	if err != nil {
		stdout.Close()
		return nil, fmt.Errorf("dbustest: start bus: %w", err)
	}
	addresses := make(chan string, 1)
	go func() {
		defer stdout.Close()
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addresses <- strings.TrimSpace(line)
		// dbus-daemon writes nothing more; keep the pipe open until it
		// exits so that it never gets SIGPIPE.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		b.waitErr = b.cmd.Wait()
		close(b.exited)
	}()
	select {
	case b.address = <-addresses:
		if b.address != "" {
			return b, nil
		}
		<-b.exited
		return nil, fmt.Errorf("dbustest: start bus: dbus-daemon exited (%v): %s", b.waitErr, b.log())
	case <-ctx.Done():
		_ = b.Close()
		return nil, fmt.Errorf("dbustest: start bus: %w", ctx.Err())
	}
}

// log returns what dbus-daemon wrote on its standard error, for error
// messages.
func (b *Bus) log() string {
	data, err := os.ReadFile(b.logPath)
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(data))
}

// Address returns the bus address, e.g. "unix:path=/tmp/x/bus,guid=…",
// suitable for DBUS_SYSTEM_BUS_ADDRESS.
func (b *Bus) Address() string {
	return b.address
}

// Connect opens a new private connection to the bus, authenticated and
// Hello'd, with opts applied. The caller closes it.
func (b *Bus) Connect(opts ...dbus.ConnOption) (*dbus.Conn, error) {
	conn, err := dbus.Connect(b.address, opts...)
	if err != nil {
		return nil, fmt.Errorf("dbustest: connect to %s: %w", b.address, err)
	}
	return conn, nil
}

// Close stops dbus-daemon (SIGTERM) and waits until it has exited, which
// drops every connection to the bus. It returns an error if the daemon had
// already died by itself. Close may be called more than once.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		select {
		case <-b.exited:
			b.closeErr = fmt.Errorf("dbustest: dbus-daemon exited early (%v): %s", b.waitErr, b.log())
			return
		default:
		}
		if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			b.closeErr = fmt.Errorf("dbustest: stop dbus-daemon: %w", err)
		}
		<-b.exited
	})
	return b.closeErr
}
