package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"locksmith.dev/locksmith/internal/daemon/config"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/logind"
	"locksmith.dev/locksmith/internal/sentinel"
	"locksmith.dev/locksmith/internal/statefile"
	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testlog"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/updateengine"
)

func TestExitCode(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{config.ErrHelp, 0},
		{config.ErrVersion, 0},
		{config.ErrInvalid, 2},
		{errors.New("etcd down"), 1},
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestSources(t *testing.T) {
	b := dbustest.StartBusT(t)
	ue, err := dbustest.ServeUpdateEngine(b, updateengine.Status{CurrentOperation: updateengine.StatusIdle})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ue.Close() })
	conn := &bus{address: b.Address()}
	t.Cleanup(conn.close)
	file := filepath.Join(t.TempDir(), "reboot-required")
	src := anySource{updateEngine{bus: conn, log: slog.New(slog.DiscardHandler)}, sentinels{sentinel.Files{Paths: []string{file}}}}
	ctx := t.Context()

	if needed, err := src.RebootNeeded(ctx); needed || err != nil {
		t.Fatalf("RebootNeeded = %v, %v before any update", needed, err)
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	why, err := src.WaitRebootNeeded(ctx)
	if err != nil || why != "sentinel file "+file+" exists" {
		t.Fatalf("WaitRebootNeeded = %q, %v", why, err)
	}
	if needed, err := src.RebootNeeded(ctx); !needed || err != nil {
		t.Fatalf("RebootNeeded = %v, %v with the sentinel present", needed, err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}

	// A dropped bus connection is replaced on the next use.
	first, err := conn.get()
	if err != nil {
		t.Fatal(err)
	}
	_ = first.Close()
	if err := ue.SetStatusAndEmit(updateengine.Status{CurrentOperation: updateengine.StatusNeedReboot, NewVersion: "9.9.9"}); err != nil {
		t.Fatal(err)
	}
	why, err = src.WaitRebootNeeded(ctx)
	if err != nil || why != `update_engine installed version "9.9.9"` {
		t.Fatalf("WaitRebootNeeded = %q, %v", why, err)
	}
	if needed, err := src.RebootNeeded(ctx); !needed || err != nil {
		t.Fatalf("RebootNeeded = %v, %v with update_engine needing a reboot", needed, err)
	}
}

func TestLogin(t *testing.T) {
	b := dbustest.StartBusT(t)
	ld, err := dbustest.ServeLogind(b)
	if err != nil {
		t.Fatal(err)
	}
	conn := &bus{address: b.Address()}
	t.Cleanup(conn.close)
	l := login{conn}
	ld.SetSessions([]logind.Session{{ID: "1", User: "core", UID: 500, TTY: "tty1", Type: "tty", Class: "user", State: "active"}})
	s, err := l.InteractiveSessions(t.Context())
	if err != nil || len(s) != 1 || s[0].User != "core" {
		t.Fatalf("InteractiveSessions = %+v, %v", s, err)
	}
	if err := l.Reboot(t.Context()); err != nil || ld.RebootCalls() != 1 {
		t.Fatalf("Reboot = %v, %d calls", err, ld.RebootCalls())
	}
	ld.FailReboot(dbustest.RebootError("inhibited"))
	if err := l.Reboot(t.Context()); err == nil || !strings.Contains(err.Error(), "inhibited") {
		t.Fatalf("Reboot = %v, want logind's error", err)
	}
}

// With strategy off, Main releases the slot of a machine that rebooted and
// exits, without D-Bus.
func TestMainStrategyOff(t *testing.T) {
	srv := embedetcd.StartT(t)
	sem := semaphore.New(srv.ClientT(t), "")
	if err := sem.Acquire(t.Context(), semaphore.Holder{ID: "m1", BootID: "old"}); err != nil {
		t.Fatal(err)
	}
	vars := offHost(t)
	vars["LOCKSMITHD_ENDPOINT"] = strings.Join(srv.Endpoints(), ",")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := Main(ctx, nil, envflag.Map(vars), &stdout, &stderr); err != nil {
		t.Fatalf("Main = %v; log:\n%s", err, stderr.String())
	}
	st, err := sem.Get(t.Context())
	if err != nil || len(st.Holders) != 0 {
		t.Fatalf("state %+v, %v; want the slot released", st, err)
	}
	conf, err := os.ReadFile(vars["LOCKSMITHD_COORDINATOR_FILE"])
	if err != nil || string(conf) != "NAME=locksmithd\nSTRATEGY=off\nSTATE=stopped\n" {
		t.Fatalf("coordinator.conf %q, %v", conf, err)
	}
	if !strings.Contains(stderr.String(), "released the reboot slot") {
		t.Fatalf("log lacks the release:\n%s", stderr.String())
	}
}

func TestMainInvalid(t *testing.T) {
	dir := t.TempDir()
	id := filepath.Join(dir, "id")
	if err := os.WriteFile(id, []byte("m1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, vars := range map[string]map[string]string{
		"missing CA file": {"LOCKSMITHD_ETCD_CAFILE": filepath.Join(dir, "absent.pem"), "LOCKSMITHD_MACHINE_ID_FILE": id, "LOCKSMITHD_BOOT_ID_FILE": id},
		"bad boot id":     {"LOCKSMITHD_MACHINE_ID_FILE": id, "LOCKSMITHD_BOOT_ID_FILE": dir},
		"bad watchdog":    {"LOCKSMITHD_MACHINE_ID_FILE": id, "LOCKSMITHD_BOOT_ID_FILE": id, "WATCHDOG_USEC": "often"},
	} {
		t.Run(name, func(t *testing.T) {
			// systemd's own variables are read by go-systemd from the process environment.
			t.Setenv("WATCHDOG_USEC", vars["WATCHDOG_USEC"])
			var out bytes.Buffer
			err := Main(t.Context(), nil, envflag.Map(vars), &out, &out)
			if ExitCode(err) != 2 {
				t.Fatalf("Main = %v, want an invalid configuration", err)
			}
		})
	}
}

func TestLoggerUnderJournal(t *testing.T) {
	var plain, journal bytes.Buffer
	newLogger(slog.LevelInfo, &plain, envflag.MapLookup(nil)).Info("x")
	newLogger(slog.LevelInfo, &journal, envflag.MapLookup(map[string]string{"JOURNAL_STREAM": "8:1"})).Info("x")
	if !strings.HasPrefix(plain.String(), "time=") || strings.Contains(journal.String(), "time=") {
		t.Fatalf("plain %q, journal %q", plain.String(), journal.String())
	}
}

// A host that never configured etcd, whose state file records no slot, does not look in etcd:
// with strategy off, Main returns at once (it used to retry the default endpoint for 5 minutes).
// When the state file records a slot, the daemon looks for it in etcd.
func TestEtcdOnlyWhenConfiguredOrRecorded(t *testing.T) {
	vars := offHost(t)
	var stderr bytes.Buffer
	if err := Main(t.Context(), nil, envflag.Map(vars), io.Discard, &stderr); err != nil {
		t.Fatalf("Main = %v; log:\n%s", err, stderr.String())
	}
	if log := stderr.String(); !strings.Contains(log, "etcd is not configured and the state file records no slot: not looking in etcd") ||
		strings.Contains(log, "127.0.0.1:2379") {
		t.Fatalf("log:\n%s", log)
	}

	if err := (statefile.File{Dir: vars["LOCKSMITHD_STATE_DIR"]}).Record(statefile.Slot{BootID: "old"}); err != nil {
		t.Fatal(err)
	}
	vars["REBOOT_STRATEGY"] = "reboot" // one try at start, then the background: the test can stop it
	ctx, cancel := context.WithCancel(t.Context())
	logs := &testlog.Lines{}
	done := make(chan error, 1)
	go func() { done <- Main(ctx, nil, envflag.Map(vars), io.Discard, logs) }()
	wctx, wcancel := context.WithTimeout(t.Context(), time.Minute)
	defer wcancel()
	if _, _, err := logs.Wait(wctx, 0, "the state file records a slot of this node; looking for it in etcd", "taken_in_boot=old"); err != nil {
		t.Fatalf("%v in:\n%s", err, logs.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Main = %v", err)
	}
}

// Under etcd's authentication the client waits for its token at start. An etcd that does not
// answer then (here a socket that takes connections and never answers) is no invalid
// configuration, after which the unit would not restart: locksmithd logs it, tries again, and
// stops cleanly when told to.
func TestEtcdSilentAtStartIsNoConfigError(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	vars := offHost(t)
	vars["LOCKSMITHD_ENDPOINT"] = "http://" + silent.Addr().String()
	vars["LOCKSMITHD_ETCD_USERNAME"], vars["LOCKSMITHD_ETCD_PASSWORD"] = "node", "secret"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &testlog.Lines{}
	done := make(chan error, 1)
	go func() { done <- Main(ctx, nil, envflag.Map(vars), io.Discard, logs) }()
	wctx, wcancel := context.WithTimeout(t.Context(), time.Minute)
	defer wcancel()
	if _, _, err := logs.Wait(wctx, 0, "etcd did not answer the client's start; trying again"); err != nil {
		t.Fatalf("%v in:\n%s", err, logs.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Main stopped while etcd did not answer = %v (exit %d), want nil", err, ExitCode(err))
	}
}

// Credentials that etcd refuses are an invalid configuration (exit 2: the unit does not
// restart), since trying again cannot help.
func TestEtcdRefusedCredentialsAreAConfigError(t *testing.T) {
	srv := embedetcd.StartT(t)
	c := srv.ClientT(t)
	ctx := t.Context()
	for _, step := range []func() error{
		func() error { _, err := c.RoleAdd(ctx, "root"); return err },
		func() error { _, err := c.UserAdd(ctx, "root", "root-secret"); return err },
		func() error { _, err := c.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := c.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	vars := offHost(t)
	vars["LOCKSMITHD_ENDPOINT"] = strings.Join(srv.Endpoints(), ",")
	vars["LOCKSMITHD_ETCD_USERNAME"], vars["LOCKSMITHD_ETCD_PASSWORD"] = "root", "not-the-secret"
	err := Main(ctx, nil, envflag.Map(vars), io.Discard, io.Discard)
	if ExitCode(err) != 2 || !errors.Is(err, rpctypes.ErrAuthFailed) {
		t.Fatalf("Main with a wrong password = %v (exit %d), want the refusal as an invalid configuration", err, ExitCode(err))
	}
}

// The daemon's etcd errors say what to do: a refused endpoint is named as such (not as a
// timeout), and a corrupt value names the repair.
func TestEtcdErrorsSayWhatToDo(t *testing.T) {
	cfg := etcdclient.Config{Endpoints: []string{"http://127.0.0.1:1"}}
	c, err := etcdclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l := etcdLock(semaphore.New(c, ""), cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err = l.Get(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "connection refused by 127.0.0.1:1 (is etcd running?") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get from a refused endpoint: %v", err)
	}

	srv := embedetcd.StartT(t)
	if _, err := srv.ClientT(t).Put(t.Context(), semaphore.Key(""), "{"); err != nil {
		t.Fatal(err)
	}
	l = etcdLock(semaphore.New(srv.ClientT(t), ""), etcdclient.Config{Endpoints: srv.Endpoints()})
	if _, err := l.Get(t.Context()); !errors.Is(err, semaphore.ErrCorrupt) || !strings.Contains(err.Error(), "locksmithctl repair") {
		t.Fatalf("Get of a corrupt value: %v", err)
	}
}

// offHost returns the settings of a host of machine m1, in boot "new", with strategy off, its
// files in a temporary directory, no etcd configured and no D-Bus.
func offHost(t *testing.T) map[string]string {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return map[string]string{
		"REBOOT_STRATEGY":             "off",
		"LOCKSMITHD_MACHINE_ID_FILE":  write("machine-id", "m1\n"),
		"LOCKSMITHD_BOOT_ID_FILE":     write("boot_id", "new\n"),
		"LOCKSMITHD_COORDINATOR_FILE": filepath.Join(dir, "run", "coordinator.conf"),
		"LOCKSMITHD_STATE_DIR":        filepath.Join(dir, "state"),
		"DBUS_SYSTEM_BUS_ADDRESS":     "unix:path=/nonexistent",
	}
}
