package ctl_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

// rebootHarness is a harness with etcd and a private bus served by a
// stand-in logind; the CLI finds the bus through DBUS_SYSTEM_BUS_ADDRESS.
func rebootHarness(t *testing.T) (*harness, *embedetcd.Server, *dbustest.Logind) {
	t.Helper()
	srv := embedetcd.StartT(t)
	bus := dbustest.StartBusT(t)
	logind, err := dbustest.ServeLogind(bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logind.Close() })
	h := newHarness(t, srv)
	h.env["DBUS_SYSTEM_BUS_ADDRESS"] = bus.Address()
	return h, srv, logind
}

// holder returns the holder id's entry of status --json, and whether there
// is one.
func holder(t *testing.T, h *harness, id string) (map[string]any, bool) {
	t.Helper()
	var st struct {
		Holders []map[string]any `json:"holders"`
	}
	if err := json.Unmarshal([]byte(h.run("status", "--json").ok(t)), &st); err != nil {
		t.Fatal(err)
	}
	for _, hd := range st.Holders {
		if hd["id"] == id {
			return hd, true
		}
	}
	return nil, false
}

func TestReboot(t *testing.T) {
	h, _, logind := rebootHarness(t)
	h.run("reboot").ok(t)
	if n := logind.RebootCalls(); n != 1 {
		t.Fatalf("logind got %d Reboot calls, want 1", n)
	}
	hd, ok := holder(t, h, thisID)
	if !ok || hd["boot_id"] != thisBoot || hd["hostname"] != thisHost || hd["reason"] != "locksmithctl reboot" || hd["acquired_at"] != t0.Format(time.RFC3339) {
		t.Fatalf("holder after reboot = %v", hd)
	}
	// Again, holding the slot: the slot is used as it is.
	h.advance(time.Hour)
	h.run("reboot", "--reason", "again").ok(t)
	if n := logind.RebootCalls(); n != 2 {
		t.Fatalf("logind got %d Reboot calls, want 2", n)
	}
	if hd2, _ := holder(t, h, thisID); hd2["acquired_at"] != hd["acquired_at"] || hd2["reason"] != "locksmithctl reboot" {
		t.Fatalf("holder changed by a second reboot: %v", hd2)
	}
}

func TestRebootFailureGivesBackTheSlot(t *testing.T) {
	h, _, logind := rebootHarness(t)
	logind.FailReboot(dbustest.RebootError("Interactive authentication required."))
	h.run("reboot").fails(t, 1, "reboot: logind: Reboot:", "Interactive authentication required.", "(the reboot slot was given back)")
	if _, ok := holder(t, h, thisID); ok {
		t.Fatal("slot kept after a failed reboot")
	}
	if n := logind.RebootCalls(); n != 1 {
		t.Fatalf("logind got %d Reboot calls, want 1", n)
	}
	// A slot held before the command is kept.
	h.run("lock").ok(t)
	h.run("reboot").fails(t, 1, "(this machine keeps the reboot slot it held before)")
	if hd, ok := holder(t, h, thisID); !ok || hd["reason"] != "locksmithctl lock" {
		t.Fatalf("slot held before reboot: %v, %v", hd, ok)
	}
}

func TestRebootWaitsForAFreeSlot(t *testing.T) {
	h, srv, logind := rebootHarness(t)
	h.run("lock", otherID).ok(t)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	waiters := srv.ClientT(t).Watch(ctx, semaphore.Key(semaphore.DefaultGroup)+"/waiters/", clientv3.WithPrefix())
	done := make(chan result, 1)
	go func() { done <- h.run("reboot", "--timeout", "1m") }()

	// Wait until the command is queued for a slot.
	select {
	case resp := <-waiters:
		if len(resp.Events) == 0 || resp.Events[0].Type != clientv3.EventTypePut || string(resp.Events[0].Kv.Value) != thisID {
			t.Fatalf("first change of the queue: %+v (%v)", resp.Events, resp.Err())
		}
	case r := <-done:
		t.Fatalf("reboot returned without waiting: %v\n%s", r.err, r.stderr)
	case <-ctx.Done():
		t.Fatal("reboot never queued for a slot")
	}
	if n := logind.RebootCalls(); n != 0 {
		t.Fatalf("logind got %d Reboot calls while the slot was taken", n)
	}
	h.advance(time.Minute)
	expectOutput(t, "status while reboot waits", h.run("status").ok(t), ""+
		"Available: 0\nMax: 1\n\n"+
		"MACHINE ID                        HOSTNAME  HELD FOR  REASON\n"+
		"fedcba9876543210fedcba9876543210  -         1m0s      locksmithctl lock\n"+
		"\nWAITING (in order)\n"+
		"POS  MACHINE ID                        HOSTNAME  WAITING FOR  STATE\n"+
		"1    "+thisID+"  -         -            -\n")
	h.run("unlock", otherID).ok(t)
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("reboot did not finish after the slot was freed")
	}
	r.ok(t)
	if want := "locksmithctl: waiting for a free reboot slot in the default group (1 of 1 taken)\n"; r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
	if n := logind.RebootCalls(); n != 1 {
		t.Fatalf("logind got %d Reboot calls, want 1", n)
	}
	if _, ok := holder(t, h, thisID); !ok {
		t.Fatal("no slot after reboot")
	}
}

func TestRebootTimesOutWhenFull(t *testing.T) {
	h, _, logind := rebootHarness(t)
	h.run("set-max", "0").ok(t)
	h.run("reboot", "--timeout", "1s").fails(t, 1, "reboot: no reboot slot in the default group became free within 1s (see --timeout)")
	if n := logind.RebootCalls(); n != 0 {
		t.Fatalf("logind got %d Reboot calls", n)
	}
	if out := h.run("status", "--json").ok(t); !strings.Contains(out, `"waiters": []`) {
		t.Fatalf("the command is still queued:\n%s", out)
	}
}

func TestRebootCancelledWhileWaiting(t *testing.T) {
	h, srv, logind := rebootHarness(t)
	h.run("lock", otherID).ok(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	queue := semaphore.Key(semaphore.DefaultGroup) + "/waiters/"
	waiters := srv.ClientT(t).Watch(ctx, queue, clientv3.WithPrefix())
	runCtx, interrupt := context.WithCancel(ctx)
	done := make(chan result, 1)
	go func() { done <- h.runContext(runCtx, "reboot", "--timeout", "1m") }()
	select {
	case <-waiters:
	case <-ctx.Done():
		t.Fatal("reboot never queued for a slot")
	}
	interrupt() // as SIGINT does in main
	select {
	case r := <-done:
		r.fails(t, 1, "reboot: take a reboot slot in the default group: interrupted (context canceled)")
	case <-ctx.Done():
		t.Fatal("reboot did not return after its context was cancelled")
	}
	if resp, err := srv.ClientT(t).Get(ctx, queue, clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil || resp.Count != 0 {
		t.Fatalf("queue after cancellation: %v, %v", resp, err)
	}
	if n := logind.RebootCalls(); n != 0 {
		t.Fatalf("logind got %d Reboot calls", n)
	}
}

func TestRebootNeedsBusAndIdentity(t *testing.T) {
	h, _, logind := rebootHarness(t)
	h.run("reboot", "--dbus-address", "unix:path="+h.dir+"/no-bus").fails(t, 1, "reboot: connect to D-Bus at unix:path="+h.dir+"/no-bus")
	h.run("reboot", "--dbus-address", "nonsense").fails(t, 1, "reboot: connect to D-Bus at nonsense")
	h.writeFile("boot_id", "")
	h.run("reboot").fails(t, 1, "reboot: read boot id")
	h.writeFile("machine-id", "")
	h.run("reboot").fails(t, 1, "reboot: read machine id")
	if out := h.run("status").ok(t); out != "Available: 1\nMax: 1\n" {
		t.Fatalf("a slot was taken by a failed reboot:\n%s", out)
	}
	if n := logind.RebootCalls(); n != 0 {
		t.Fatalf("logind got %d Reboot calls", n)
	}
}

func TestSendNeedReboot(t *testing.T) {
	bus := dbustest.StartBusT(t)
	listener := bus.ConnectT(t)
	if err := listener.AddMatchSignal(dbus.WithMatchInterface("com.coreos.update1.Manager"), dbus.WithMatchMember("StatusUpdate")); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 4)
	listener.Signal(signals)

	h := newHarness(t, nil)
	h.env["LOCKSMITHCTL_DBUS_ADDRESS"] = bus.Address()
	expectOutput(t, "send-need-reboot", h.run("send-need-reboot").ok(t), "")

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	select {
	case sig := <-signals:
		want := []any{int64(0), float64(0), "UPDATE_STATUS_UPDATED_NEED_REBOOT", "", int64(0)}
		if sig.Path != "/com/coreos/update1" || sig.Name != "com.coreos.update1.Manager.StatusUpdate" || len(sig.Body) != len(want) {
			t.Fatalf("signal = %+v", sig)
		}
		for i := range want {
			if sig.Body[i] != want[i] {
				t.Fatalf("signal body = %#v, want %#v", sig.Body, want)
			}
		}
	case <-ctx.Done():
		t.Fatal("no StatusUpdate signal")
	}

	h.run("send-need-reboot", "--dbus-address", "unix:path="+h.dir+"/no-bus").fails(t, 1, "send-need-reboot: connect to D-Bus at unix:path="+h.dir+"/no-bus")
	h.run("send-need-reboot", "now").fails(t, 2, `send-need-reboot: unexpected argument "now"`)
}
