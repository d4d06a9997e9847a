package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

// settleTime is how long after reaching the measured state the resident
// size is read.
const settleTime = 2 * time.Second

// stateTimeout bounds the wait for locksmithd to reach a state.
const stateTimeout = 60 * time.Second

// benchGroup is the reboot group of the measured daemon.
const benchGroup = "bench-memory"

// Memory is the resident size of locksmithd, in KiB.
type Memory struct {
	IdleKiB    int64 `json:"idle_kib"`
	WaitingKiB int64 `json:"waiting_kib"`
}

// measureMemory runs the locksmithd binary at path twice against an
// embedded etcd and reads its resident size idle and waiting for a slot.
func measureMemory(ctx context.Context, path string) (Memory, error) {
	dir, err := os.MkdirTemp("", "locksmith-bench-")
	if err != nil {
		return Memory{}, err
	}
	defer os.RemoveAll(dir)
	srv, err := embedetcd.Start(ctx, embedetcd.Config{Dir: filepath.Join(dir, "etcd")})
	if err != nil {
		return Memory{}, err
	}
	defer srv.Close()
	cli, err := etcdclient.New(etcdclient.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		return Memory{}, err
	}
	defer cli.Close()
	for name, content := range map[string]string{"machine-id": "0123456789abcdef0123456789abcdef\n", "boot_id": "6e3f5c2a-6e1b-4a52-9d77-6a7f0e3c1b2d\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return Memory{}, err
		}
	}
	args := []string{
		"--reboot-strategy", "etcd-lock", "--endpoint", strings.Join(srv.Endpoints(), ","), "--group", benchGroup,
		"--update-engine=false", "--reboot-sentinel", filepath.Join(dir, "reboot-required"),
		"--machine-id-file", filepath.Join(dir, "machine-id"), "--boot-id-file", filepath.Join(dir, "boot_id"),
		"--coordinator-file", filepath.Join(dir, "coordinator.conf"), "--state-dir", filepath.Join(dir, "state"), "--dbus-address", "unix:path=" + filepath.Join(dir, "no-bus"),
		"--log-level", "info",
	}
	var m Memory
	if m.IdleKiB, err = measure(ctx, path, args, "idle", nil); err != nil {
		return m, fmt.Errorf("idle locksmithd: %w", err)
	}

	// Waiting: the semaphore is full, and a reboot is needed.
	sem := semaphore.New(cli, benchGroup)
	if _, err := sem.SetMax(ctx, 1); err != nil {
		return m, err
	}
	if err := sem.TryAcquire(ctx, semaphore.Holder{ID: "someone-else"}); err != nil {
		return m, err
	}
	if err := os.WriteFile(filepath.Join(dir, "reboot-required"), nil, 0o644); err != nil {
		return m, err
	}
	queued := func(ctx context.Context) error { return waitQueued(ctx, cli) }
	if m.WaitingKiB, err = measure(ctx, path, args, "waiting-for-slot", queued); err != nil {
		return m, fmt.Errorf("waiting locksmithd: %w", err)
	}
	return m, nil
}

// measure starts locksmithd with args, waits until it logs that it
// entered state (and until ready, if given, returns), waits settleTime
// and returns its VmRSS in KiB. The process is stopped before it returns.
func measure(ctx context.Context, path string, args []string, state string, ready func(context.Context) error) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	logs := make(chan string, 1)
	entered := make(chan struct{})
	go func() { logs <- scanFor(stderr, "state="+state, entered) }()
	select {
	case <-entered:
	case tail := <-logs:
		return 0, fmt.Errorf("locksmithd did not reach state %s; its log ends:\n%s", state, tail)
	case <-ctx.Done():
		return 0, fmt.Errorf("locksmithd did not reach state %s: %w", state, ctx.Err())
	}
	if ready != nil {
		if err := ready(ctx); err != nil {
			return 0, err
		}
	}
	t := time.NewTimer(settleTime)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return vmRSS(cmd.Process.Pid)
}

// scanFor reads the log r until it ends, closing found at the first line
// that contains want (and discarding the rest); it returns the last lines
// read.
func scanFor(r io.Reader, want string, found chan<- struct{}) string {
	var tail []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if found != nil && strings.Contains(sc.Text(), " "+want) {
			close(found)
			found = nil
		}
		tail = append(tail, sc.Text())
		if len(tail) > 10 {
			tail = tail[1:]
		}
	}
	return strings.Join(tail, "\n")
}

// waitQueued waits until a waiter key of the bench group exists.
func waitQueued(ctx context.Context, cli *clientv3.Client) error {
	prefix := semaphore.Key(benchGroup) + "/waiters/"
	resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	if resp.Count > 0 {
		return nil
	}
	for wr := range cli.Watch(ctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1), clientv3.WithFilterDelete()) {
		if err := wr.Err(); err != nil {
			return err
		}
		if len(wr.Events) > 0 {
			return nil
		}
	}
	return fmt.Errorf("wait for locksmithd to queue: %w", context.Cause(ctx))
}

// errNoVmRSS is returned when /proc/<pid>/status has no VmRSS line.
var errNoVmRSS = errors.New("no VmRSS line")

// vmRSS reads the resident set size of process pid, in KiB.
func vmRSS(pid int) (int64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: %w", path, errNoVmRSS)
}
