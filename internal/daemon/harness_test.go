package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testlog"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/strategy"
)

// One real etcd serves every test of the package; each test uses its own
// group (its name), hence its own key.
var etcd *embedetcd.Server

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "daemon-test-etcd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	etcd, err = embedetcd.Start(context.Background(), embedetcd.Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	etcd.Close()
	if code == 0 {
		// Every Machine's goroutines end with its Run, the etcd server's with Close.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind by the tests:", err)
			return 1
		}
	}
	return code
}

// groups makes the group of each node unique, also across -count runs.
var groups atomic.Int64

// patience bounds every wait of a test for the machine under test.
const patience = 30 * time.Second

var epoch = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC) // a Thursday

// updates is an in-process UpdateSource.
type updates struct {
	mu      sync.Mutex
	needed  bool
	err     error // returned by RebootNeeded
	changed chan struct{}
}

func newUpdates(needed bool) *updates { return &updates{needed: needed, changed: make(chan struct{})} }

func (u *updates) set(needed bool, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.needed, u.err = needed, err
	close(u.changed)
	u.changed = make(chan struct{})
}

func (u *updates) WaitRebootNeeded(ctx context.Context) (string, error) {
	for {
		u.mu.Lock()
		needed, changed := u.needed, u.changed
		u.mu.Unlock()
		if needed {
			return "test update", nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func (u *updates) RebootNeeded(context.Context) (bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.needed, u.err
}

// rebooter is an in-process Rebooter that records calls.
type rebooter struct {
	mu    sync.Mutex
	err   error
	calls chan struct{}
}

func newRebooter() *rebooter { return &rebooter{calls: make(chan struct{}, 100)} }

func (r *rebooter) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

func (r *rebooter) Reboot(context.Context) error {
	r.mu.Lock()
	err := r.err
	r.mu.Unlock()
	r.calls <- struct{}{}
	return err
}

// runner is an in-process Runner: fn decides each command's outcome, and
// every command run is sent on calls.
type runner struct {
	fn    func(ctx context.Context, cmd string) error
	calls chan string
}

func newRunner(fn func(ctx context.Context, cmd string) error) *runner {
	return &runner{fn: fn, calls: make(chan string, 100)}
}

func (r *runner) Run(ctx context.Context, cmd string) error {
	r.calls <- cmd
	return r.fn(ctx, cmd)
}

type sessions []daemon.Session

func (s sessions) InteractiveSessions(context.Context) ([]daemon.Session, error) { return s, nil }

// recorder collects what a machine reports.
type recorder struct {
	mu       sync.Mutex
	events   []daemon.Event
	notes    []string
	states   []string
	changed  chan struct{}
	consumed int // events before this index were matched by waitFor
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) onEvent(e daemon.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
}

// note records sd_notify assignments, one by one.
func (r *recorder) note(assignments ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, assignments...)
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

func (r *recorder) Ready(s string) error    { return r.note("READY=1", "STATUS="+s) }
func (r *recorder) Status(s string) error   { return r.note("STATUS=" + s) }
func (r *recorder) Watchdog() error         { return r.note("WATCHDOG=1") }
func (r *recorder) Stopping(s string) error { return r.note("STATUS="+s, "STOPPING=1") }

// waitNote waits until an sd_notify message equal to s was sent.
func (r *recorder) waitNote(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(patience)
	for {
		r.mu.Lock()
		found, changed := slices.Contains(r.notes, s), r.changed
		r.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no notification %q", s)
		}
	}
}

// all returns a copy of the events so far.
func (r *recorder) all() []daemon.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// snapshot returns copies of the notifications and coordinator states.
func (r *recorder) snapshot() (notes, states []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.notes), slices.Clone(r.states)
}

func (r *recorder) SetState(s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, s)
	return nil
}

// waitFor returns the first event after those matched before that
// satisfies ok, waiting for it.
func (r *recorder) waitFor(t *testing.T, what string, ok func(daemon.Event) bool) daemon.Event {
	t.Helper()
	deadline := time.After(patience)
	for {
		r.mu.Lock()
		for i := r.consumed; i < len(r.events); i++ {
			if ok(r.events[i]) {
				r.consumed = i + 1
				e := r.events[i]
				r.mu.Unlock()
				return e
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no event %s; events: %s", what, r.describe())
		}
	}
}

// waitState waits for the next event in state s.
func (r *recorder) waitState(t *testing.T, s daemon.State) daemon.Event {
	t.Helper()
	return r.waitFor(t, "in state "+string(s), func(e daemon.Event) bool { return e.State == s })
}

func (r *recorder) describe() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintf(&b, "\n  %s holding=%v %q", e.State, e.Holding, e.Status)
	}
	return b.String()
}

// node is one machine under test with its in-process collaborators, a
// real semaphore on the shared etcd and a fake clock.
type node struct {
	t      *testing.T
	clk    *clock.Fake
	client *clientv3.Client
	sem    *semaphore.Semaphore
	upd    *updates
	reb    *rebooter
	run    *runner
	rec    *recorder
	logs   *testlog.Lines
	cfg    daemon.Config
	deps   daemon.Deps
	cancel context.CancelFunc
	done   chan error
}

// newNode prepares a machine of strategy etcd-lock in the test's own group,
// needing no reboot yet. mod may change the configuration before start.
func newNode(t *testing.T) *node {
	t.Helper()
	clk := clock.NewFake(epoch)
	client := etcd.ClientT(t)
	group := fmt.Sprintf("%s-%d", t.Name(), groups.Add(1))
	sem := semaphore.New(client, group, semaphore.WithClock(clk.Now))
	t.Cleanup(func() { _ = sem.Close() })
	n := &node{
		t: t, clk: clk, client: client, sem: sem,
		upd: newUpdates(false), reb: newRebooter(),
		run: newRunner(func(context.Context, string) error { return nil }),
		rec: newRecorder(), logs: &testlog.Lines{},
	}
	n.cfg = daemon.Config{
		Strategy:  strategy.EtcdLock,
		Group:     group,
		MachineID: "m1",
		BootID:    "boot-1",
		Hostname:  "node1",
		OnEvent:   n.rec.onEvent,
	}
	n.deps = daemon.Deps{
		Lock:        sem,
		Updates:     n.upd,
		Rebooter:    n.reb,
		Runner:      n.run,
		Clock:       clk,
		Logger:      slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Notifier:    n.rec,
		Coordinator: n.rec,
	}
	return n
}

// start runs the machine in the background; the test's end stops it.
func (n *node) start() {
	n.t.Helper()
	m, err := daemon.New(n.cfg, n.deps)
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan error, 1)
	go func() { n.done <- m.Run(ctx) }()
	n.t.Cleanup(func() { n.stop() })
}

// stop cancels Run's context (as SIGTERM or the host going down does) and
// waits for Run to return.
func (n *node) stop() error {
	n.t.Helper()
	n.cancel()
	return n.wait()
}

// wait waits for Run to return.
func (n *node) wait() error {
	n.t.Helper()
	select {
	case err := <-n.done:
		n.done <- err // later calls see it too
		return err
	case <-time.After(patience):
		n.t.Fatalf("Run did not return; events: %s", n.rec.describe())
		return nil
	}
}

// rebooted returns a node for the same machine after a reboot: same clock,
// semaphore and stand-ins, a new boot id and a fresh recorder.
func (n *node) rebooted(bootID string) *node {
	m := *n
	m.rec = newRecorder()
	m.cfg.BootID = bootID
	m.cfg.OnEvent = m.rec.onEvent
	m.deps.Notifier, m.deps.Coordinator = m.rec, m.rec
	return &m
}

// advance waits until the machine waits for a timer of d, then moves the
// clock by d.
func (n *node) advance(d time.Duration) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := n.clk.BlockUntilTimer(ctx, d); err != nil {
		n.t.Fatalf("no timer of %s: %v; events: %s", d, err, n.rec.describe())
	}
	n.clk.Advance(d)
}

// rebootCalled waits for the next Reboot call.
func (n *node) rebootCalled() {
	n.t.Helper()
	select {
	case <-n.reb.calls:
	case <-time.After(patience):
		n.t.Fatalf("Reboot was not called; events: %s", n.rec.describe())
	}
}

// noRebootCall fails if Reboot was called and not yet consumed.
func (n *node) noRebootCall() {
	n.t.Helper()
	select {
	case <-n.reb.calls:
		n.t.Fatal("Reboot was called")
	default:
	}
}

// take makes h hold a slot of the node's semaphore.
func (n *node) take(h semaphore.Holder) {
	n.t.Helper()
	if err := n.sem.Acquire(context.Background(), h); err != nil {
		n.t.Fatal(err)
	}
}

// state reads the node's semaphore.
func (n *node) state() semaphore.State {
	n.t.Helper()
	st, err := n.sem.Get(context.Background())
	if err != nil {
		n.t.Fatal(err)
	}
	return st
}

// holders returns the holders of the node's semaphore.
func (n *node) holders() []semaphore.Holder {
	n.t.Helper()
	return n.state().Holders
}

// holds fails unless the semaphore's only holder is id with boot id boot.
func (n *node) holds(id, boot string) semaphore.Holder {
	n.t.Helper()
	hs := n.holders()
	if len(hs) != 1 || hs[0].ID != id || hs[0].BootID != boot {
		n.t.Fatalf("holders %+v, want only %s with boot id %s", hs, id, boot)
	}
	return hs[0]
}

// free fails unless the semaphore has no holder.
func (n *node) free() {
	n.t.Helper()
	if hs := n.holders(); len(hs) != 0 {
		n.t.Fatalf("holders %+v, want none", hs)
	}
}

var errTest = errors.New("test failure")

// waitHolders waits, watching the semaphore's key, until ok accepts its
// holders.
func (n *node) waitHolders(what string, ok func([]semaphore.Holder) bool) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	watch := n.client.Watch(ctx, semaphore.Key(n.cfg.Group))
	for {
		if ok(n.holders()) {
			return
		}
		select {
		case <-watch:
		case <-ctx.Done():
			n.t.Fatalf("the semaphore never showed %s; holders %+v; log:\n%s", what, n.holders(), n.logs.String())
		}
	}
}

// outage is a Lock that is the node's real semaphore while up, and a
// semaphore on an etcd that never answers (see silentEtcd) while down.
type outage struct {
	up, down daemon.Lock
	isDown   atomic.Bool
}

// cutEtcd makes the node's Lock an outage, down until restored.
func (n *node) cutEtcd() *outage {
	c := silentEtcd(n.t)
	o := &outage{up: n.deps.Lock, down: semaphore.New(c, n.cfg.Group)}
	o.isDown.Store(true)
	n.deps.Lock = o
	return o
}

func (o *outage) lock() daemon.Lock {
	if o.isDown.Load() {
		return o.down
	}
	return o.up
}

func (o *outage) Get(ctx context.Context) (semaphore.State, error) { return o.lock().Get(ctx) }
func (o *outage) Acquire(ctx context.Context, h semaphore.Holder) error {
	return o.lock().Acquire(ctx, h)
}
func (o *outage) Release(ctx context.Context, id string) error { return o.lock().Release(ctx, id) }
func (o *outage) RemoveStale(ctx context.Context, maxAge time.Duration, by, reason string) (semaphore.Holder, error) {
	return o.lock().RemoveStale(ctx, maxAge, by, reason)
}
func (o *outage) WaitChange(ctx context.Context, rev int64) (semaphore.State, error) {
	return o.lock().WaitChange(ctx, rev)
}

// logged waits until a log line contains every one of parts, and fails
// if none does within patience.
func (n *node) logged(parts ...string) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if _, _, err := n.logs.Wait(ctx, 0, parts...); err != nil {
		n.t.Fatalf("%v in:\n%s", err, n.logs.String())
	}
}

// gaveUp waits for the machine to give up an attempt with a status
// containing reason, and checks that it released its slot and did not
// reboot.
func (n *node) gaveUp(reason string) daemon.Event {
	n.t.Helper()
	e := n.rec.waitState(n.t, daemon.StateRetrying)
	if !strings.Contains(e.Status, reason) || e.Holding {
		n.t.Fatalf("retrying event %+v, want one without a slot because of %q", e, reason)
	}
	n.free()
	n.noRebootCall()
	return e
}

// backToIdle checks that the machine gives up because of reason, waits
// the first back-off delay and goes back to waiting for a reboot to be
// needed.
func (n *node) backToIdle(reason string) {
	n.t.Helper()
	n.gaveUp(reason)
	n.advance(daemon.DefaultRetryInitial)
	n.rec.waitState(n.t, daemon.StateIdle)
}

// schedule parses spec in UTC.
func schedule(t *testing.T, spec string) strategy.Schedule {
	t.Helper()
	s, err := strategy.ParseSchedule(spec, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
