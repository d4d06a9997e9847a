package main_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testbin"
	"locksmith.dev/locksmith/internal/testkit/testlog"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/updateengine"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// patience bounds every wait for the daemon.
const patience = 60 * time.Second

const (
	machineID = "0123456789abcdef0123456789abcdef"
	group     = "it"
)

var (
	idle       = updateengine.Status{CurrentOperation: updateengine.StatusIdle}
	needReboot = updateengine.Status{CurrentOperation: updateengine.StatusNeedReboot, NewVersion: "4081.2.1"}
)

// waitLine waits for a line of l containing every one of parts and
// returns it; what names it in the failure.
func waitLine(t *testing.T, l *testlog.Lines, what string, parts ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	_, line, err := l.Wait(ctx, 0, parts...)
	if err != nil {
		t.Fatalf("no %s: %v in:\n%s", what, err, l.String())
	}
	return line
}

// env is what one test's daemons run against: a real etcd, a private
// D-Bus with update_engine and logind stand-ins, identity files and an
// sd_notify socket.
type env struct {
	t        *testing.T
	bin      string
	dir      string
	etcd     *embedetcd.Server
	client   *clientv3.Client
	sem      *semaphore.Semaphore
	bus      *dbustest.Bus
	ue       *dbustest.UpdateEngine
	logind   *dbustest.Logind
	notify   string
	notes    *testlog.Lines
	bootFile string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, bin: binary(t), dir: t.TempDir(), notes: &testlog.Lines{}}
	e.bus = dbustest.StartBusT(t)
	var err error
	if e.ue, err = dbustest.ServeUpdateEngine(e.bus, idle); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.ue.Close() })
	if e.logind, err = dbustest.ServeLogind(e.bus); err != nil {
		t.Fatal(err)
	}
	e.etcd = embedetcd.StartT(t)
	e.client = e.etcd.ClientT(t)
	e.sem = semaphore.New(e.client, group)
	t.Cleanup(func() { _ = e.sem.Close() })
	e.write("machine-id", machineID)
	e.bootFile = e.write("boot_id", "boot-1")
	e.write("os-release", `VERSION="4081.2.0"`)
	e.notify = filepath.Join(e.dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: e.notify, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			e.notes.Add(string(buf[:n]))
		}
	}()
	return e
}

// bootInto stands for a reboot into a new OS version: a new boot id, and os-release says so.
func (e *env) bootInto(bootID, version string) {
	e.write("boot_id", bootID)
	e.write("os-release", `VERSION="`+version+`"`)
}

// write writes a file in the test's directory and returns its path.
func (e *env) write(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content+"\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// binary returns the locksmithd binary, built once per test process.
func binary(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithd")
}

// proc is a running locksmithd.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *testlog.Lines
	stderr *testlog.Lines
	exited chan struct{}
	err    error
}

// start runs locksmithd with the environment's settings and args, which
// come later and so override them.
func (e *env) start(args ...string) *proc {
	e.t.Helper()
	base := []string{
		"--reboot-strategy=etcd-lock",
		"--endpoint=" + strings.Join(e.etcd.Endpoints(), ","),
		"--group=" + group,
		"--dbus-address=" + e.bus.Address(),
		"--machine-id-file=" + filepath.Join(e.dir, "machine-id"),
		"--boot-id-file=" + e.bootFile,
		"--os-release-file=" + filepath.Join(e.dir, "os-release"),
		"--coordinator-file=" + filepath.Join(e.dir, "coordinator.conf"),
		"--state-dir=" + filepath.Join(e.dir, "state"),
		"--log-level=debug",
	}
	return startProc(e.t, e.bin, append(base, args...), []string{"NOTIFY_SOCKET=" + e.notify})
}

// startProc runs bin with args and only the variables vars (and PATH).
func startProc(t *testing.T, bin string, args, vars []string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(bin, args...), stdout: &testlog.Lines{}, stderr: &testlog.Lines{}, exited: make(chan struct{})}
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, vars...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("locksmithd %q log:\n%s", args, p.stderr.String())
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit status.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(patience):
		p.t.Fatalf("locksmithd did not exit; log:\n%s", p.stderr.String())
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	if p.err != nil {
		p.t.Fatal(p.err)
	}
	return 0
}

// terminate sends SIGTERM, as systemd does, and checks a clean exit.
func (p *proc) terminate() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	if code := p.wait(); code != 0 {
		p.t.Fatalf("locksmithd exited with %d after SIGTERM; log:\n%s", code, p.stderr.String())
	}
}

// waitSemaphore waits until ok accepts the semaphore, watching its key.
func (e *env) waitSemaphore(what string, ok func(semaphore.State) bool) semaphore.State {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	watch := e.client.Watch(ctx, semaphore.Key(group))
	for {
		st, err := e.sem.Get(ctx)
		if err != nil {
			e.t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok(st) {
			return st
		}
		select {
		case <-watch:
		case <-ctx.Done():
			e.t.Fatalf("semaphore never showed %s; last state %+v", what, st)
		}
	}
}

// waitRebootCalls waits until logind's Reboot has been called n times in
// all.
func (e *env) waitRebootCalls(n int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := e.logind.WaitRebootCalls(ctx, n); err != nil {
		e.t.Fatal(err)
	}
}

// holders returns the ids holding slots now.
func (e *env) holders() []string {
	e.t.Helper()
	st, err := e.sem.Get(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, h := range st.Holders {
		ids = append(ids, h.ID)
	}
	return ids
}

// coordinatorState returns the STATE= line of coordinator.conf.
func (e *env) coordinatorState() string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "coordinator.conf"))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "STATE="); ok {
			return v
		}
	}
	e.t.Fatalf("coordinator.conf without STATE=: %q", b)
	return ""
}

// busName returns the unique name of the process's connection to the bus
// of conn.
func (p *proc) busName(conn *dbus.Conn) string {
	p.t.Helper()
	var names []string
	if err := conn.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
		p.t.Fatal(err)
	}
	for _, n := range names {
		var pid uint32
		if !strings.HasPrefix(n, ":") || conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, n).Store(&pid) != nil {
			continue
		}
		if int(pid) == p.cmd.Process.Pid {
			return n
		}
	}
	p.t.Fatalf("no connection of pid %d among %q", p.cmd.Process.Pid, names)
	return ""
}
