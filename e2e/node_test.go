package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/internal/testkit/testlog"
	"locksmith.dev/locksmith/updateengine"
)

var (
	idle       = updateengine.Status{CurrentOperation: updateengine.StatusIdle}
	needReboot = updateengine.Status{CurrentOperation: updateengine.StatusNeedReboot, NewVersion: "4152.2.0"}
)

// stopPatience bounds how long a daemon may take to exit after SIGTERM or
// SIGKILL.
const stopPatience = 30 * time.Second

// node is one simulated host: its identity files, its private D-Bus with
// update_engine and logind stand-ins, and the locksmithd process of its
// current boot. Its methods are safe for concurrent use.
type node struct {
	name      string
	machineID string
	dir       string
	bin       string
	args      []string // the daemon's flags, the same in every boot
	bus       *dbustest.Bus
	ue        *dbustest.UpdateEngine
	logind    *dbustest.Logind
	out       *testlog.Lines // every boot's stdout and stderr
	// rebootCalled receives a value for every successful logind Reboot
	// call (buffered: the logind stand-in must not block).
	rebootCalled chan struct{}
	// booted is closed once the node runs with a new boot id.
	booted chan struct{}
	// beforeStop, if set, runs when logind is asked to reboot, before the daemon is stopped.
	beforeStop func(context.Context) error

	mu      sync.Mutex
	proc    *proc
	boot    int // the current boot id is boot-<boot>
	started int // how many locksmithd processes were started
}

// proc is one locksmithd process.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // cmd.Wait's result; set before exited is closed
}

// newNode prepares node i: identity files, a private bus with the
// stand-ins (update_engine says idle) and the daemon's flags. endpoints are
// the etcd client URLs. The node's processes are killed and its bus stopped
// when the test ends; if the test failed, the node's output is logged.
func newNode(t *testing.T, i int, bin string, endpoints []string, group string) *node {
	t.Helper()
	n := &node{
		name:         fmt.Sprintf("node%d", i),
		machineID:    fmt.Sprintf("e2e%029d", i),
		dir:          t.TempDir(),
		bin:          bin,
		out:          &testlog.Lines{},
		rebootCalled: make(chan struct{}, 4),
		booted:       make(chan struct{}),
		boot:         1,
	}
	n.bus = dbustest.StartBusT(t)
	var err error
	if n.ue, err = dbustest.ServeUpdateEngine(n.bus, idle); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.ue.Close() })
	if n.logind, err = dbustest.ServeLogind(n.bus); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.logind.Close() })
	n.logind.OnReboot(func() {
		select {
		case n.rebootCalled <- struct{}{}:
		default: // counted by logind.RebootCalls anyway
		}
	})
	if err := n.write("machine-id", n.machineID); err != nil {
		t.Fatal(err)
	}
	if err := n.write("boot_id", n.bootID()); err != nil {
		t.Fatal(err)
	}
	if err := n.write("os-release", `VERSION="4081.2.0"`); err != nil {
		t.Fatal(err)
	}
	n.args = []string{
		"--reboot-strategy=etcd-lock",
		"--endpoint=" + strings.Join(endpoints, ","),
		"--group=" + group,
		"--dbus-address=" + n.bus.Address(),
		"--machine-id-file=" + filepath.Join(n.dir, "machine-id"),
		"--boot-id-file=" + filepath.Join(n.dir, "boot_id"),
		"--os-release-file=" + filepath.Join(n.dir, "os-release"),
		"--coordinator-file=" + filepath.Join(n.dir, "coordinator.conf"),
		"--state-dir=" + filepath.Join(n.dir, "state"),
		// The check leaves a trace, so that the test can tell it ran.
		"--post-reboot-check=echo checked >> '" + filepath.Join(n.dir, "checks") + "'",
		"--post-reboot-timeout=1m",
		"--login-delay=0",
		"--retry-initial=1s", // etcd faults make attempts fail; retry soon
		"--retry-max=5s",
		"--log-level=debug",
	}
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("%s (machine id %s) output:\n%s", n.name, n.machineID, n.out.String())
		}
	})
	return n
}

func (n *node) write(name, content string) error {
	if err := os.WriteFile(filepath.Join(n.dir, name), []byte(content+"\n"), 0o644); err != nil {
		return fmt.Errorf("write the %s of %s: %w", name, n.name, err)
	}
	return nil
}

func (n *node) bootID() string { return fmt.Sprintf("%s-boot-%d", n.name, n.boot) }

// start starts locksmithd with the node's flags and extra, which come
// last and so win. It returns the mark of the new process's output.
func (n *node) start(extra ...string) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc != nil {
		return 0, fmt.Errorf("start %s: locksmithd is already running", n.name)
	}
	n.started++
	fmt.Fprintf(n.out, "=== %s: locksmithd #%d, boot id %s, %s\n", time.Now().Format("15:04:05.000"), n.started, n.bootID(), strings.Join(extra, " "))
	mark := n.out.Len()
	cmd := exec.Command(n.bin, append(n.args, extra...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // nothing from the test's environment
	cmd.Stdout, cmd.Stderr = n.out, n.out
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start locksmithd of %s: %w", n.name, err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	n.proc = p
	return mark, nil
}

// startIdle starts locksmithd as start does and waits until it is idle.
func (n *node) startIdle(ctx context.Context, extra ...string) error {
	mark, err := n.start(extra...)
	if err == nil {
		_, _, err = n.out.Wait(ctx, mark, "state=idle")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", n.name, err)
	}
	return nil
}

// terminate stops locksmithd as a shutdown does (SIGTERM) and checks that
// it exits with status 0.
func (n *node) terminate(ctx context.Context) error {
	p := n.take()
	if p == nil {
		return fmt.Errorf("terminate %s: locksmithd is not running", n.name)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("terminate %s: %w", n.name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, stopPatience)
	defer cancel()
	select {
	case <-p.exited:
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("terminate %s: locksmithd did not exit after SIGTERM: %w", n.name, context.Cause(ctx))
	}
	if p.err != nil {
		return fmt.Errorf("terminate %s: locksmithd exited after SIGTERM with %w", n.name, p.err)
	}
	fmt.Fprintf(n.out, "=== %s: locksmithd exited 0 after SIGTERM\n", time.Now().Format("15:04:05.000"))
	return nil
}

// kill kills locksmithd with SIGKILL, if it runs, and waits for its end.
func (n *node) kill() {
	p := n.take()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	var exit *exec.ExitError
	if errors.As(p.err, &exit) && exit.ExitCode() == -1 {
		fmt.Fprintf(n.out, "=== %s: locksmithd killed\n", time.Now().Format("15:04:05.000"))
	} else {
		fmt.Fprintf(n.out, "=== %s: locksmithd had exited by itself: %v\n", time.Now().Format("15:04:05.000"), p.err)
	}
}

// take hands over the current process; the node has none afterwards.
func (n *node) take() *proc {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.proc
	n.proc = nil
	return p
}

// comeBack gives the node a new boot id, the new version in os-release and an update_engine
// that has applied the update (idle), as after a reboot into the new version.
func (n *node) comeBack() error {
	n.mu.Lock()
	n.boot++
	err := errors.Join(n.write("boot_id", n.bootID()), n.write("os-release", `VERSION="`+needReboot.NewVersion+`"`))
	n.mu.Unlock()
	if err != nil {
		return err
	}
	n.ue.SetStatus(idle)
	close(n.booted)
	return nil
}

// boots returns how many boots the node has had.
func (n *node) boots() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.boot
}

// checks returns how many times the post-reboot check ran.
func (n *node) checks() (int, error) {
	b, err := os.ReadFile(filepath.Join(n.dir, "checks"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the post-reboot checks of %s: %w", n.name, err)
	}
	return strings.Count(string(b), "checked\n"), nil
}
