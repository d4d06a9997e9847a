package dbustest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/logind"
	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/updateengine"
)

func TestServeUpdateEngineNameTaken(t *testing.T) {
	b := dbustest.StartBusT(t)
	ue, err := dbustest.ServeUpdateEngine(b, updateengine.Status{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ue.Close() })
	if _, err := dbustest.ServeUpdateEngine(b, updateengine.Status{}); err == nil || !strings.Contains(err.Error(), "com.coreos.update1") {
		t.Fatalf("second ServeUpdateEngine: %v, want an error naming the taken name", err)
	}
}

func TestUpdateEngineReplaceKeepsFormerOwner(t *testing.T) {
	b := dbustest.StartBusT(t)
	ue, err := dbustest.ServeUpdateEngine(b, updateengine.Status{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ue.Close() })
	old := ue.Owner()
	former, err := ue.Replace()
	if err != nil {
		t.Fatal(err)
	}
	if former.Names()[0] != old || ue.Owner() == old {
		t.Fatalf("former %s, owner %s; want former %s and a new owner", former.Names()[0], ue.Owner(), old)
	}
	if !former.Connected() {
		t.Fatal("former owner disconnected by Replace")
	}
	if err := ue.Close(); err != nil {
		t.Fatal(err)
	}
	if former.Connected() {
		t.Error("former owner still connected after Close")
	}
}

func TestLogindWaitRebootCalls(t *testing.T) {
	b := dbustest.StartBusT(t)
	l, err := dbustest.ServeLogind(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.WaitRebootCalls(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitRebootCalls without a call: %v, want context.Canceled", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- l.WaitRebootCalls(t.Context(), 2) }()
	m := logind.New(b.ConnectT(t))
	l.FailReboot(dbustest.RebootError("no"))
	if err := m.Reboot(t.Context()); err == nil {
		t.Fatal("Reboot succeeded after FailReboot")
	}
	l.FailReboot(nil)
	if err := m.Reboot(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("WaitRebootCalls(2) after two calls: %v", err)
		}
	case <-time.After(lineTimeout):
		t.Fatal("WaitRebootCalls(2) still waiting after two calls")
	}
}
