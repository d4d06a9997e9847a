package updateengine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/updateengine"
)

var (
	idle        = updateengine.Status{LastCheckedTime: 1700000000, CurrentOperation: updateengine.StatusIdle}
	downloading = updateengine.Status{LastCheckedTime: 1700000001, Progress: 0.5, CurrentOperation: updateengine.StatusDownloading, NewVersion: "4000.0.0", NewSize: 123456}
)

// needReboot returns a NEED_REBOOT status for version, so tests can tell
// which status a wait returned.
func needReboot(version string) updateengine.Status {
	return updateengine.Status{LastCheckedTime: 1700000002, Progress: 1, CurrentOperation: updateengine.StatusNeedReboot, NewVersion: version, NewSize: 654321}
}

// fixture is a private bus with an update_engine stand-in and a client on
// its own connection, whose signal channels and logs are observed.
type fixture struct {
	bus      *dbustest.Bus
	ue       *dbustest.UpdateEngine
	conn     *dbus.Conn
	channels *dbustest.SignalChannels
	logs     *logRecorder
	client   *updateengine.Client
}

func newFixture(t *testing.T, initial updateengine.Status) *fixture {
	t.Helper()
	f := &fixture{bus: dbustest.StartBusT(t), channels: dbustest.NewSignalChannels(), logs: newLogRecorder()}
	ue, err := dbustest.ServeUpdateEngine(f.bus, initial)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ue.Close() })
	f.ue = ue
	f.conn = f.bus.ConnectT(t, dbus.WithSignalHandler(f.channels))
	f.client = updateengine.New(f.conn, f.logs.logger())
	return f
}

// result is the outcome of a WaitNeedReboot call.
type result struct {
	st  updateengine.Status
	err error
}

// startWait runs WaitNeedReboot in the background.
func (f *fixture) startWait(ctx context.Context) <-chan result {
	done := make(chan result, 1)
	go func() {
		st, err := f.client.WaitNeedReboot(ctx)
		done <- result{st, err}
	}()
	return done
}

// startWaiting runs WaitNeedReboot and returns once it waits for signals,
// with the index of the next log line.
func (f *fixture) startWaiting(t *testing.T, ctx context.Context) (<-chan result, int) {
	t.Helper()
	from := f.logs.count()
	done := f.startWait(ctx)
	return done, f.logs.waitFor(t, from, "waiting for update_engine to need a reboot")
}

// await returns the outcome of a wait, failing the test after waitTimeout.
func await(t *testing.T, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(waitTimeout):
		t.Fatal("WaitNeedReboot did not return")
		return result{}
	}
}

// notReturned fails the test if the wait has already returned.
func notReturned(t *testing.T, done <-chan result) {
	t.Helper()
	select {
	case r := <-done:
		t.Fatalf("WaitNeedReboot returned early: %+v, %v", r.st, r.err)
	default:
	}
}

// wantStatus fails the test unless r is a success with status want.
func wantStatus(t *testing.T, r result, want updateengine.Status) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("WaitNeedReboot: %v", r.err)
	}
	if r.st != want {
		t.Fatalf("WaitNeedReboot = %+v, want %+v", r.st, want)
	}
}

// assertCleanedUp checks that no WaitNeedReboot left a signal channel or a
// match rule on the client's connection.
func (f *fixture) assertCleanedUp(t *testing.T) {
	t.Helper()
	if n := f.channels.Registered(); n != 0 {
		t.Errorf("%d signal channels still registered", n)
	}
	if rules, ok := f.bus.MatchRulesT(t, f.conn.Names()[0]); ok && len(rules) != 0 {
		t.Errorf("match rules left on the connection: %q", rules)
	}
}

func TestWaitNeedRebootReturnsAtOnceWhenAlreadyNeeded(t *testing.T) {
	f := newFixture(t, needReboot("1"))
	wantStatus(t, await(t, f.startWait(t.Context())), needReboot("1"))
	f.assertCleanedUp(t)
}

func TestWaitNeedRebootReturnsOnLaterSignal(t *testing.T) {
	f := newFixture(t, idle)
	done, _ := f.startWaiting(t, t.Context())
	if rules, ok := f.bus.MatchRulesT(t, f.conn.Names()[0]); ok {
		// The StatusUpdate subscription names sender, path, interface
		// and member.
		want := "type='signal',interface='com.coreos.update1.Manager',member='StatusUpdate',path='/com/coreos/update1',sender='com.coreos.update1'"
		if !strings.Contains(strings.Join(rules, "\n"), want) {
			t.Errorf("match rules while waiting = %q, want one %s", rules, want)
		}
	}
	notReturned(t, done)
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
	f.assertCleanedUp(t)
}

func TestWaitNeedRebootIgnoresOtherStatuses(t *testing.T) {
	f := newFixture(t, idle)
	done, next := f.startWaiting(t, t.Context())
	if err := f.ue.SetStatusAndEmit(downloading); err != nil {
		t.Fatal(err)
	}
	f.logs.waitFor(t, next, "update_engine status", updateengine.StatusDownloading)
	notReturned(t, done)
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
}

func TestWaitNeedRebootIgnoresMalformedSignals(t *testing.T) {
	f := newFixture(t, idle)
	done, next := f.startWaiting(t, t.Context())
	// Too short, then right length with a wrong type (int32 time). Both say
	// NEED_REBOOT where a careless decoder would look.
	if err := f.ue.EmitBody(int64(1), 1.0, updateengine.StatusNeedReboot); err != nil {
		t.Fatal(err)
	}
	next = f.logs.waitFor(t, next, "WARN", "ignoring malformed StatusUpdate", `signature "xds", want "xdssx"`)
	if err := f.ue.EmitBody(int32(1), 1.0, updateengine.StatusNeedReboot, "2", int64(1)); err != nil {
		t.Fatal(err)
	}
	f.logs.waitFor(t, next, "WARN", "ignoring malformed StatusUpdate", `signature "idssx", want "xdssx"`)
	notReturned(t, done)
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
}

func TestWaitNeedRebootConfirmsSignalWithGetStatus(t *testing.T) {
	f := newFixture(t, idle)
	done, next := f.startWaiting(t, t.Context())
	// The owner says NEED_REBOOT but GetStatus still says IDLE.
	if err := f.ue.Emit(needReboot("1")); err != nil {
		t.Fatal(err)
	}
	f.logs.waitFor(t, next, "GetStatus does not confirm it", updateengine.StatusIdle)
	notReturned(t, done)
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
}

// spoof sends a NEED_REBOOT StatusUpdate from conn both ways a local program
// can: broadcast (which the bus does not route to the client, whose match
// rule names update_engine as sender) and directly to the client's
// connection (which reaches it whatever its match rules), and waits until
// the client has logged that it ignored the direct one.
func (f *fixture) spoof(t *testing.T, from int, conn *dbus.Conn) int {
	t.Helper()
	if err := updateengine.EmitStatusUpdate(conn, needReboot("spoofed")); err != nil {
		t.Fatal(err)
	}
	if err := dbustest.SendStatusUpdate(conn, f.conn.Names()[0], needReboot("spoofed").Body()...); err != nil {
		t.Fatal(err)
	}
	return f.logs.waitFor(t, from, "WARN", "ignoring StatusUpdate: sender does not own", "sender="+conn.Names()[0])
}

func TestWaitNeedRebootIgnoresSpoofedSignalWhileIdle(t *testing.T) {
	f := newFixture(t, idle)
	done, next := f.startWaiting(t, t.Context())
	f.spoof(t, next, f.bus.ConnectT(t))
	notReturned(t, done)
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
}

// A signal from a non-owner is ignored outright, even when update_engine
// would confirm it: it carries no information (the owner's own signal
// follows every change) and confirming it would let any local program make
// the client call update_engine at will.
func TestWaitNeedRebootIgnoresSpoofedSignalWhileNeedReboot(t *testing.T) {
	f := newFixture(t, idle)
	done, next := f.startWaiting(t, t.Context())
	f.ue.SetStatus(needReboot("silent"))
	f.spoof(t, next, f.bus.ConnectT(t))
	notReturned(t, done)
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
}

func TestWaitNeedRebootFollowsRestart(t *testing.T) {
	f := newFixture(t, idle)
	done, next := f.startWaiting(t, t.Context())
	old := f.ue.Owner()
	if err := f.ue.Restart(); err != nil {
		t.Fatal(err)
	}
	if f.ue.Owner() == old {
		t.Fatalf("owner %s unchanged by Restart", old)
	}
	f.logs.waitFor(t, next, "following update_engine", "owner="+f.ue.Owner())
	notReturned(t, done)
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
	f.assertCleanedUp(t)
}

func TestWaitNeedRebootAsksNewOwnerAfterRestart(t *testing.T) {
	f := newFixture(t, idle)
	done, _ := f.startWaiting(t, t.Context())
	// update_engine comes back already needing a reboot and says nothing.
	f.ue.SetStatus(needReboot("3"))
	if err := f.ue.Restart(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("3"))
}

func TestWaitNeedRebootIgnoresFormerOwner(t *testing.T) {
	f := newFixture(t, idle)
	done, next := f.startWaiting(t, t.Context())
	former, err := f.ue.Replace()
	if err != nil {
		t.Fatal(err)
	}
	next = f.logs.waitFor(t, next, "following update_engine", "owner="+f.ue.Owner())
	f.ue.SetStatus(needReboot("silent"))
	f.spoof(t, next, former)
	notReturned(t, done)
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
}

func TestWaitNeedRebootWaitsForUpdateEngineToAppear(t *testing.T) {
	f := newFixture(t, idle)
	if err := f.ue.Close(); err != nil {
		t.Fatal(err)
	}
	done := f.startWait(t.Context())
	f.logs.waitFor(t, 0, "update_engine is not on the bus")
	notReturned(t, done)
	ue, err := dbustest.ServeUpdateEngine(f.bus, needReboot("4"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ue.Close() })
	wantStatus(t, await(t, done), needReboot("4"))
}

func TestWaitNeedRebootReturnsWhenBusGoesAway(t *testing.T) {
	f := newFixture(t, idle)
	done, _ := f.startWaiting(t, t.Context())
	if err := f.bus.Close(); err != nil {
		t.Fatal(err)
	}
	r := await(t, done)
	if !errors.Is(r.err, updateengine.ErrDisconnected) {
		t.Fatalf("WaitNeedReboot error = %v, want ErrDisconnected", r.err)
	}
	if f.channels.Registered() != 0 {
		t.Errorf("%d signal channels still registered", f.channels.Registered())
	}
	// A new wait on the dead connection fails at once too.
	if _, err := f.client.WaitNeedReboot(t.Context()); !errors.Is(err, updateengine.ErrDisconnected) {
		t.Fatalf("WaitNeedReboot on a closed connection: %v, want ErrDisconnected", err)
	}
}

func TestWaitNeedRebootStopsWithContext(t *testing.T) {
	f := newFixture(t, idle)
	ctx, cancel := context.WithCancel(t.Context())
	done, _ := f.startWaiting(t, ctx)
	cancel()
	r := await(t, done)
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("WaitNeedReboot error = %v, want context.Canceled", r.err)
	}
	f.assertCleanedUp(t)
	// The connection is still good for the next wait.
	done, _ = f.startWaiting(t, t.Context())
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, done), needReboot("2"))
	f.assertCleanedUp(t)
}

func TestWaitNeedRebootSharesConnection(t *testing.T) {
	f := newFixture(t, idle)
	ctx, cancel := context.WithCancel(t.Context())
	first, _ := f.startWaiting(t, ctx)
	second, _ := f.startWaiting(t, t.Context())
	cancel()
	if r := await(t, first); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("first WaitNeedReboot error = %v, want context.Canceled", r.err)
	}
	// The first waiter's cleanup left the second one's rules and channel.
	if n := f.channels.Registered(); n != 1 {
		t.Errorf("%d signal channels registered, want the second waiter's 1", n)
	}
	if err := f.ue.SetStatusAndEmit(needReboot("2")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, await(t, second), needReboot("2"))
	f.assertCleanedUp(t)
}
