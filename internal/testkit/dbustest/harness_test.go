package dbustest_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"locksmith.dev/locksmith/internal/logind"
	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/internal/testkit/testbin"
	"locksmith.dev/locksmith/updateengine"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// lineTimeout bounds the wait for each line of the harness's output.
const lineTimeout = 30 * time.Second

// driver speaks the harness protocol.
type driver struct {
	t     *testing.T
	in    io.Writer
	lines chan string
}

func newDriver(t *testing.T, in io.Writer, out io.Reader) *driver {
	d := &driver{t: t, in: in, lines: make(chan string)}
	go func() {
		defer close(d.lines)
		scanner := bufio.NewScanner(out)
		for scanner.Scan() {
			d.lines <- scanner.Text()
		}
	}()
	return d
}

// next returns the next output line, failing the test if none comes.
func (d *driver) next() string {
	d.t.Helper()
	select {
	case line, ok := <-d.lines:
		if !ok {
			d.t.Fatal("harness output ended")
		}
		return line
	case <-time.After(lineTimeout):
		d.t.Fatal("no line from the harness")
		return ""
	}
}

// expect fails the test unless the next output line is want.
func (d *driver) expect(want string) {
	d.t.Helper()
	if got := d.next(); got != want {
		d.t.Fatalf("harness said %q, want %q", got, want)
	}
}

// do sends a command and checks its reply.
func (d *driver) do(command, wantReply string) {
	d.t.Helper()
	if _, err := io.WriteString(d.in, command+"\n"); err != nil {
		d.t.Fatal(err)
	}
	d.expect(wantReply)
}

// connect reads the address line and connects to the harness's bus.
func (d *driver) connect() *dbus.Conn {
	d.t.Helper()
	line := d.next()
	address, ok := strings.CutPrefix(line, "DBUS_SYSTEM_BUS_ADDRESS=")
	if !ok {
		d.t.Fatalf("first line %q is not the bus address", line)
	}
	conn, err := dbus.Connect(address)
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// exercise drives every command of the protocol against a running harness
// and checks their effect through real clients on its bus.
func exercise(t *testing.T, d *driver) {
	conn := d.connect()
	ctx := t.Context()
	ue := updateengine.New(conn, nil)
	login := logind.New(conn)
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(updateengine.Interface)); err != nil {
		t.Fatal(err)
	}

	assertStatus := func(op, version string) {
		t.Helper()
		st, err := ue.GetStatus(ctx)
		if err != nil || st.CurrentOperation != op || st.NewVersion != version {
			t.Fatalf("GetStatus = %+v, %v; want %s %q", st, err, op, version)
		}
	}
	assertSignal := func(op string) {
		t.Helper()
		for {
			select {
			case sig := <-signals:
				if sig.Name != updateengine.Interface+"."+updateengine.SignalStatusUpdate {
					continue
				}
				if got, _ := sig.Body[2].(string); got != op {
					t.Fatalf("StatusUpdate says %q, want %q", got, op)
				}
				return
			case <-time.After(lineTimeout):
				t.Fatalf("no StatusUpdate %s", op)
			}
		}
	}

	assertStatus(updateengine.StatusIdle, "")
	d.do("status UPDATE_STATUS_DOWNLOADING 4000.0.0", "ok")
	assertStatus(updateengine.StatusDownloading, "4000.0.0")
	d.do("emit UPDATE_STATUS_UPDATED_NEED_REBOOT 4001.0.0", "ok")
	assertSignal(updateengine.StatusNeedReboot)
	assertStatus(updateengine.StatusNeedReboot, "4001.0.0")
	d.do("signal UPDATE_STATUS_IDLE", "ok")
	assertSignal(updateengine.StatusIdle)
	assertStatus(updateengine.StatusNeedReboot, "4001.0.0")

	var before, after string
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, updateengine.BusName).Store(&before); err != nil {
		t.Fatal(err)
	}
	d.do("restart-update-engine", "ok")
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, updateengine.BusName).Store(&after); err != nil {
		t.Fatal(err)
	}
	if before == after {
		t.Errorf("owner %s unchanged by restart-update-engine", after)
	}
	assertStatus(updateengine.StatusNeedReboot, "4001.0.0")

	d.do("fail-reboot polkit says no", "ok")
	if err := login.Reboot(ctx); err == nil || !strings.Contains(err.Error(), "polkit says no") {
		t.Fatalf("Reboot after fail-reboot: %v", err)
	}
	d.do("reboot-calls", "ok 1")
	d.do("ok-reboot", "ok")
	if err := login.Reboot(ctx); err != nil {
		t.Fatalf("Reboot after ok-reboot: %v", err)
	}
	d.expect("reboot")
	d.do("reboot-calls", "ok 2")

	d.do("sessions id=1,user=core,uid=500,type=tty,class=user,state=active,tty=tty1 id=2,user=gdm,uid=120,type=x11,class=greeter id=3,user=bob,uid=1001,class=user,type=unspecified,remote=true,remote_host=10.0.0.1", "ok")
	sessions, err := login.InteractiveSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []logind.Session{
		{ID: "1", User: "core", UID: 500, TTY: "tty1", Type: "tty", Class: "user", State: "active"},
		{ID: "3", User: "bob", UID: 1001, RemoteHost: "10.0.0.1", Type: "unspecified", Class: "user", Remote: true},
	}
	if len(sessions) != len(want) || sessions[0] != want[0] || sessions[1] != want[1] {
		t.Fatalf("InteractiveSessions = %+v, want %+v", sessions, want)
	}
	d.do("sessions", "ok")
	if sessions, err := login.InteractiveSessions(ctx); err != nil || sessions != nil {
		t.Fatalf("InteractiveSessions after an empty sessions command = %+v, %v", sessions, err)
	}

	for command, reply := range map[string]string{
		"bogus":                    `error unknown command "bogus"`,
		"status":                   "error status needs OPERATION [NEW_VERSION]",
		"fail-reboot":              "error fail-reboot needs a message",
		"ok-reboot now":            `error unexpected arguments ["now"]`,
		"sessions id=1,uid=x":      `error session field uid: strconv.ParseUint: parsing "x": invalid syntax`,
		"sessions id=1,colour=red": `error unknown session field "colour"`,
		"sessions id":              `error session field "id" is not key=value`,
		"   ":                      "error empty command",
	} {
		d.do(command, reply)
	}
	d.do("quit", "ok")
	select {
	case <-conn.Context().Done(): // the bus stopped
	case <-time.After(lineTimeout):
		t.Fatal("the bus is still up after quit")
	}
}

func TestRunHarness(t *testing.T) {
	dbustest.RequireDaemon(t)
	inR, inW := io.Pipe()
	defer inW.Close()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := dbustest.RunHarness(t.Context(), []string{"--dir", t.TempDir()}, inR, outW)
		outW.Close()
		done <- err
	}()
	exercise(t, newDriver(t, inW, outR))
	if err := <-done; err != nil {
		t.Fatalf("RunHarness: %v", err)
	}
}

func TestRunHarnessUsage(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"extra"}} {
		err := dbustest.RunHarness(t.Context(), args, strings.NewReader(""), io.Discard)
		if !errors.Is(err, dbustest.ErrUsage) {
			t.Errorf("RunHarness(%q) = %v, want ErrUsage", args, err)
		}
	}
}

func TestHarnessProgram(t *testing.T) {
	dbustest.RequireDaemon(t)
	bin := testbin.Build(t, "locksmith.dev/locksmith/internal/testkit/dbustest/cmd/dbus-harness")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, bin, "--dir", t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exercise(t, newDriver(t, stdin, stdout))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dbus-harness: %v\n%s", err, stderr.String())
	}

	// The end of its input (testbin.Run gives it an empty one) stops it too.
	if r := testbin.Run(t, bin, nil); r.Code != 0 || !strings.HasPrefix(r.Stdout, "DBUS_SYSTEM_BUS_ADDRESS=unix:path=") {
		t.Fatalf("dbus-harness with empty input: exit %d, output %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}

	// Bad arguments exit 2.
	if r := testbin.Run(t, bin, nil, "--nope"); r.Code != 2 {
		t.Fatalf("dbus-harness --nope: exit %d, want 2; stderr %q", r.Code, r.Stderr)
	}
}
