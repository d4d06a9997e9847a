package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/logind"
)

// While people are logged in, the daemon has logind warn them of the reboot (a dry-run scheduled
// reboot with a wall message, which logind broadcasts itself), and calls the warning off when
// the reboot does not happen: here the daemon is stopped during the login delay.
func TestLoggedInUsersAreWarned(t *testing.T) {
	e := newEnv(t)
	e.logind.SetSessions([]logind.Session{{ID: "2", User: "core", UID: 500, TTY: "pts/0", Type: "tty", Class: "user", State: "active", Remote: true, RemoteHost: "10.0.0.9"}})
	p := e.start("--login-delay=1h")
	if err := e.ue.SetStatusAndEmit(needReboot); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	start := time.Now()
	err := e.logind.WaitScheduled(ctx, func(kind string, at time.Time, wall string, _ int) bool {
		return kind == "dry-reboot" && strings.HasPrefix(wall, "locksmithd: this host reboots at ") &&
			at.After(start.Add(59*time.Minute)) && at.Before(time.Now().Add(61*time.Minute))
	})
	if err != nil {
		t.Fatal(err)
	}
	waitLine(t, p.stderr, "warning log", "warned the people logged in of the reboot")
	p.terminate()
	if err := e.logind.WaitScheduled(ctx, func(kind string, _ time.Time, _ string, cancels int) bool {
		return kind == "" && cancels == 1
	}); err != nil {
		t.Fatal(err)
	}
	if n := e.logind.RebootCalls(); n != 0 {
		t.Fatalf("%d Reboot calls, want none", n)
	}
}

// When the delay ends and the reboot goes ahead, the warning is left to the reboot.
func TestWarnedRebootGoesAhead(t *testing.T) {
	e := newEnv(t)
	e.logind.SetSessions([]logind.Session{{ID: "2", User: "core", UID: 500, TTY: "tty1", Type: "tty", Class: "user", State: "active"}})
	p := e.start("--login-delay=1s")
	if err := e.ue.SetStatusAndEmit(needReboot); err != nil {
		t.Fatal(err)
	}
	e.waitRebootCalls(1)
	if kind, _, _, cancels := e.logind.Scheduled(); kind != "dry-reboot" || cancels != 0 {
		t.Fatalf("scheduled %q, %d cancels; want the dry-run reboot still announced", kind, cancels)
	}
	p.terminate()
}
