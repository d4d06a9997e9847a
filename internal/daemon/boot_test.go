package daemon_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/strategy"
)

// heldFromLastBoot makes m1 hold a slot taken in boot "boot-0".
func heldFromLastBoot(t *testing.T, n *node) {
	t.Helper()
	n.take(semaphore.Holder{ID: "m1", BootID: "boot-0", Reason: "reboot"})
}

func TestPostRebootChecksRetriedThenPass(t *testing.T) {
	n := newNode(t)
	heldFromLastBoot(t, n)
	n.cfg.PostRebootChecks = []string{"first", "second"}
	n.cfg.PostRebootTimeout = time.Hour
	failures := 2
	n.run.fn = func(_ context.Context, cmd string) error {
		if cmd == "second" && failures > 0 {
			failures--
			return errTest
		}
		return nil
	}
	n.start()
	for _, d := range []time.Duration{daemon.DefaultRetryInitial, 2 * daemon.DefaultRetryInitial} {
		e := n.rec.waitFor(t, "a failed round", func(e daemon.Event) bool {
			return e.State == daemon.StateCheckingHealth && strings.Contains(e.Status, "failed")
		})
		if !e.Holding || !strings.Contains(e.Status, `post-reboot check "second": test failure`) {
			t.Fatalf("event %+v", e)
		}
		n.holds("m1", "boot-0")
		n.advance(d)
	}
	n.rec.waitState(t, daemon.StateIdle)
	n.free()
	var ran []string
	for len(n.run.calls) > 0 {
		ran = append(ran, <-n.run.calls)
	}
	if want := "first second first second first second"; strings.Join(ran, " ") != want {
		t.Fatalf("ran %q, want %q", ran, want)
	}
}

func TestPostRebootChecksNeverPassKeepSlot(t *testing.T) {
	n := newNode(t)
	heldFromLastBoot(t, n)
	n.cfg.PostRebootChecks = []string{"health"}
	n.cfg.PostRebootTimeout = time.Minute
	n.run.fn = func(context.Context, string) error { return errTest }
	n.start()
	for _, d := range []time.Duration{10 * time.Second, 20 * time.Second} { // rounds at 0s, 10s and 30s; 70s is too late
		n.rec.waitFor(t, "a failed round", func(e daemon.Event) bool { return strings.Contains(e.Status, "retrying in "+d.String()) })
		n.advance(d)
	}
	e := n.rec.waitState(t, daemon.StateHealthFailed)
	if !e.Holding || !strings.Contains(e.Status, "KEEPING the reboot slot") || !strings.Contains(e.Status, "locksmithctl unlock m1") {
		t.Fatalf("event %+v", e)
	}
	n.rec.waitNote(t, "STATUS="+e.Status)
	n.logged("level=ERROR", "post-reboot checks failed", "3 rounds")
	// The failure stays in every status while the slot is kept.
	idle := n.rec.waitState(t, daemon.StateIdle)
	want := `post-reboot checks failed, holding the reboot slot (rollout halted): post-reboot check "health": test failure (not passed within the post-reboot timeout of 1m0s, 3 rounds); idle: waiting for a reboot to be needed`
	if idle.Status != want || !idle.Holding {
		t.Fatalf("idle event %+v, want status %q", idle, want)
	}
	n.rec.waitNote(t, "STATUS="+want)
	n.logged("level=ERROR", "holding the reboot slot (rollout halted)", "idle: waiting for a reboot to be needed")
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	n.holds("m1", "boot-0")
}

// Only the first line of a failure goes into the statuses that follow;
// the whole of it is in the health-failed status and the log.
func TestHealthFailureStatusIsOneLine(t *testing.T) {
	n := newNode(t)
	heldFromLastBoot(t, n)
	n.cfg.PostRebootChecks = []string{"health"}
	n.run.fn = func(context.Context, string) error {
		return errors.New("exit status 1; output: disk full\nsecond line")
	}
	n.start()
	n.rec.waitState(t, daemon.StateHealthFailed)
	idle := n.rec.waitState(t, daemon.StateIdle)
	if strings.Contains(idle.Status, "second line") || !strings.Contains(idle.Status, "output: disk full; idle") {
		t.Fatalf("idle status %q", idle.Status)
	}
}

func TestPostRebootCheckStoppedAtTimeout(t *testing.T) {
	n := newNode(t)
	heldFromLastBoot(t, n)
	n.cfg.PostRebootChecks = []string{"hangs"}
	n.cfg.PostRebootTimeout = time.Minute
	n.run.fn = func(ctx context.Context, _ string) error {
		<-ctx.Done()
		return context.Cause(ctx)
	}
	n.start()
	n.advance(time.Minute)
	e := n.rec.waitState(t, daemon.StateHealthFailed)
	if !strings.Contains(e.Status, `post-reboot check "hangs": timed out after 1m0s`) {
		t.Fatalf("status %q", e.Status)
	}
	n.holds("m1", "boot-0")
}

// startHealthFailed starts a node that rebooted holding a slot and whose
// post-reboot check fails, and waits until it keeps the slot.
func startHealthFailed(t *testing.T) *node {
	t.Helper()
	n := newNode(t)
	heldFromLastBoot(t, n)
	n.cfg.PostRebootChecks = []string{"health"}
	n.run.fn = func(context.Context, string) error { return errTest }
	n.start()
	n.rec.waitState(t, daemon.StateHealthFailed)
	return n
}

func TestKeptSlotIsReusedForTheNextReboot(t *testing.T) {
	n := startHealthFailed(t)
	n.upd.set(true, nil) // a fixed update arrives
	n.rebootCalled()
	n.holds("m1", "boot-0")
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	n.holds("m1", "boot-0")
}

// An operator's unlock of the kept slot ends the failure's reports while
// the machine is idle: its statuses no longer say that it holds the slot.
func TestUnlockOfKeptSlotEndsTheFailureStatus(t *testing.T) {
	n := startHealthFailed(t)
	if e := n.rec.waitState(t, daemon.StateIdle); !e.Holding || !strings.HasPrefix(e.Status, "post-reboot checks failed") {
		t.Fatalf("idle event %+v, want the failure reported while the slot is kept", e)
	}
	if err := n.sem.Release(context.Background(), "m1"); err != nil { // the operator's unlock
		t.Fatal(err)
	}
	e := n.rec.waitFor(t, "idle without the slot", func(e daemon.Event) bool { return !e.Holding })
	if e.State != daemon.StateIdle {
		t.Fatalf("event %+v, want idle", e)
	}
	e = n.rec.waitState(t, daemon.StateIdle)
	if e.Holding || e.Status != "idle: waiting for a reboot to be needed" {
		t.Fatalf("idle event %+v, want the plain idle status", e)
	}
	n.rec.waitNote(t, "STATUS=idle: waiting for a reboot to be needed")
	n.logged("level=INFO", "kept after the failed post-reboot checks is gone", "holder.id=m1")
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	if e := n.rec.waitState(t, daemon.StateStopped); e.Status != "stopped" {
		t.Fatalf("stopped event %+v, want no kept slot", e)
	}
	n.free()
}

// A failed read of the kept slot is retried; the unlock is seen then.
func TestKeptSlotWatchRetriesAfterAFailedRead(t *testing.T) {
	n := newNode(t)
	heldFromLastBoot(t, n)
	lock := &failingGet{Lock: n.deps.Lock}
	n.deps.Lock = lock
	n.cfg.PostRebootChecks = []string{"health"}
	n.run.fn = func(context.Context, string) error {
		lock.fail.Store(true) // the next read is the watch's first
		return errTest
	}
	n.start()
	n.logged("level=DEBUG", "cannot watch the kept reboot slot; retrying", errTest.Error())
	if err := n.sem.Release(context.Background(), "m1"); err != nil { // the operator's unlock
		t.Fatal(err)
	}
	lock.fail.Store(false)
	n.advance(daemon.DefaultRetryInitial)
	e := n.rec.waitFor(t, "the plain idle status", func(e daemon.Event) bool {
		return e.State == daemon.StateIdle && e.Status == "idle: waiting for a reboot to be needed"
	})
	if e.Holding {
		t.Fatalf("event %+v", e)
	}
}

// offNode returns a node of strategy off that rebooted holding a slot.
func offNode(t *testing.T) *node {
	t.Helper()
	n := newNode(t)
	heldFromLastBoot(t, n)
	n.cfg.Strategy = strategy.Off
	n.deps.Updates, n.deps.Rebooter = nil, nil
	return n
}

func TestStrategyOffReleasesAndExits(t *testing.T) {
	n := offNode(t)
	n.start()
	if err := n.wait(); err != nil {
		t.Fatal(err)
	}
	n.free()
	n.rec.waitState(t, daemon.StateOff)
	n.rec.waitState(t, daemon.StateStopped)
	if _, states := n.rec.snapshot(); states[len(states)-1] != "stopped" {
		t.Fatalf("coordinator states %q, want stopped last", states)
	}
}

func TestStrategyRebootReleasesSlotOfThisBoot(t *testing.T) {
	n := newNode(t)
	n.take(semaphore.Holder{ID: "m1", BootID: "boot-1"})
	n.cfg.Strategy = strategy.Reboot
	n.start()
	n.rec.waitState(t, daemon.StateIdle)
	n.free()
	n.upd.set(true, nil)
	n.rebootCalled()
	n.free()
}

// silentEtcd returns a client of an endpoint that accepts connections and
// never answers, like an etcd behind a black hole.
func silentEtcd(t *testing.T) *clientv3.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{l.Addr().String()}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestStrategyRebootWithUnreachableEtcd(t *testing.T) {
	n := newNode(t)
	c := silentEtcd(t)
	n.deps.Lock = semaphore.New(c, n.cfg.Group)
	n.cfg.Strategy = strategy.Reboot
	n.start()
	n.advance(daemon.DefaultProbeTimeout)
	n.rec.waitState(t, daemon.StateIdle)
	n.logged("level=WARN", "strategy reboot: cannot reach etcd at start", `step="check etcd for a slot held by this machine"`, `unlock="locksmithctl unlock m1"`)
	n.upd.set(true, nil)
	n.rebootCalled()
}

// With strategy reboot, a slot that cannot be released at start because
// etcd does not answer is released later, in the background, after the
// post-reboot checks, while the daemon goes on: a brief outage at boot
// must not leak the slot.
func TestStrategyRebootReleasesInTheBackground(t *testing.T) {
	n := newNode(t)
	heldFromLastBoot(t, n)
	n.cfg.Strategy = strategy.Reboot
	n.cfg.PostRebootChecks = []string{"health"}
	etcd := n.cutEtcd()
	n.start()
	n.advance(daemon.DefaultProbeTimeout) // the read at start times out
	n.rec.waitState(t, daemon.StateIdle)  // and the daemon goes on
	n.advance(daemon.DefaultRetryInitial)
	n.advance(daemon.DefaultProbeTimeout) // the first retry times out
	etcd.isDown.Store(false)
	n.advance(2 * daemon.DefaultRetryInitial)
	n.waitHolders("the slot released", func(hs []semaphore.Holder) bool { return len(hs) == 0 })
	n.logged("level=WARN", "strategy reboot: cannot reach etcd at start", `step="check etcd for a slot held by this machine"`, "retrying in the background")
	n.logged("level=DEBUG", "still cannot", "retry_in=20s")
	n.logged("level=INFO", "released the reboot slot", "holder.id=m1")
	if cmd := <-n.run.calls; cmd != "health" {
		t.Fatalf("ran %q, want the post-reboot check before the release", cmd)
	}
	// The daemon went on meanwhile.
	n.upd.set(true, nil)
	n.rebootCalled()
}

// With strategy off, the release at start is retried for a bounded time;
// here etcd comes back in time.
func TestStrategyOffRetriesTheRelease(t *testing.T) {
	n := offNode(t)
	etcd := n.cutEtcd()
	n.start()
	n.advance(daemon.DefaultProbeTimeout)
	etcd.isDown.Store(false)
	n.advance(daemon.DefaultRetryInitial)
	if err := n.wait(); err != nil {
		t.Fatal(err)
	}
	n.free()
	n.logged("level=INFO", "released the reboot slot")
}

// With strategy off, the release at start is given up after
// OffRetryTimeout, loudly, naming the command that frees the slot.
func TestStrategyOffGivesUpLoudly(t *testing.T) {
	n := offNode(t)
	n.cfg.ProbeTimeout, n.cfg.RetryInitial, n.cfg.RetryMax = time.Minute, time.Minute, time.Minute
	n.cutEtcd()
	n.start()
	// Tries at 0, 2m and 4m, each timing out after 1m, with 1m between:
	// the time is up after the third.
	for range 5 {
		n.advance(time.Minute)
	}
	if err := n.wait(); err != nil {
		t.Fatal(err)
	}
	if got := n.clk.Now().Sub(epoch); got != 5*time.Minute {
		t.Fatalf("gave up after %s, want 5m", got)
	}
	n.logged("level=ERROR", "strategy off: cannot reach etcd at start; gave up", `step="check etcd for a slot held by this machine"`, `unlock="locksmithctl unlock m1"`)
	n.holds("m1", "boot-0")
}

// A release that keeps failing is given up after OffRetryTimeout, once:
// the shutdown that follows does not try again.
func TestStrategyOffGivesUpTheRelease(t *testing.T) {
	n := offNode(t)
	n.cfg.ProbeTimeout, n.cfg.RetryInitial, n.cfg.RetryMax = time.Hour, time.Minute, time.Minute
	n.deps.Lock = failingRelease{n.deps.Lock}
	n.start()
	for range 5 { // tries at 0, 1m, … 5m, each failing at once
		n.advance(time.Minute)
	}
	if err := n.wait(); err != nil {
		t.Fatal(err)
	}
	n.logged("level=ERROR", "strategy off: cannot reach etcd at start; gave up", `step="release the reboot slot"`, "gave_up_after=5m0s", `unlock="locksmithctl unlock m1"`)
	if logs := n.logs.String(); strings.Contains(logs, "shutting down before the reboot was requested") {
		t.Fatalf("the shutdown tried the release again:\n%s", logs)
	}
	n.holds("m1", "boot-0")
}

// failingRelease is a Lock whose Release always fails.
type failingRelease struct{ daemon.Lock }

func (failingRelease) Release(context.Context, string) error { return errTest }

func TestStrategyRebootWithoutLock(t *testing.T) {
	n := newNode(t)
	n.cfg.Strategy = strategy.Reboot
	n.deps.Lock = nil
	n.upd.set(true, nil)
	n.start()
	n.rebootCalled()
	for _, e := range n.rec.all() {
		if e.Holding {
			t.Fatalf("strategy reboot held a slot: %+v", e)
		}
	}
}

// With strategy etcd-lock, a read of the semaphore at start that fails is tried again soon
// (EtcdRetryInitial, doubling up to EtcdRetryMax), not after --retry-initial: a node back from
// its reboot gives its slot back soon after etcd answers again.
func TestEtcdLockRetriesReadingTheSemaphore(t *testing.T) {
	n := newNode(t)
	c := silentEtcd(t)
	n.deps.Lock = semaphore.New(c, n.cfg.Group)
	n.start()
	n.advance(daemon.DefaultProbeTimeout)
	e := n.rec.waitFor(t, "a retry", func(e daemon.Event) bool {
		return strings.HasPrefix(e.Status, "cannot read the semaphore, retrying in 100ms")
	})
	// The error says that etcd, at its address, timed out, not that
	// something was cancelled.
	want := "cannot read the semaphore, retrying in 100ms: etcd at " + strings.Join(c.Endpoints(), ",") + ": timed out after 10s"
	if e.State != daemon.StateStarting || !strings.HasPrefix(e.Status, want) {
		t.Fatalf("event %+v, want status %q…", e, want)
	}
	n.advance(daemon.EtcdRetryInitial)
	n.advance(daemon.DefaultProbeTimeout)
	n.rec.waitFor(t, "a second retry", func(e daemon.Event) bool {
		return strings.HasPrefix(e.Status, "cannot read the semaphore, retrying in 200ms")
	})
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
}
