package daemon_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore"
)

// events is a daemon.History that keeps what it is given.
type events struct{ history.Memory }

func (h *events) kinds() []history.Kind {
	var k []history.Kind
	for _, e := range h.Events() {
		k = append(k, e.Kind)
	}
	return k
}

func (h *events) find(k history.Kind) history.Event {
	for _, e := range h.Events() {
		if e.Kind == k {
			return e
		}
	}
	return history.Event{}
}

func TestTheHistoryTellsTheWholeReboot(t *testing.T) {
	n := newNode(t)
	hist := &events{}
	n.deps.History = hist
	n.cfg.PreRebootCommand = "drain"
	n.cfg.OSVersion = "4081.1.0"
	n.cfg.PostRebootChecks = []string{"check-health"}
	n.cfg.PostRebootTimeout = time.Hour
	n.start()
	n.rec.waitState(t, daemon.StateIdle)
	n.upd.set(true, nil)
	n.rebootCalled()
	n.rec.waitFor(t, "reboot requested", func(e daemon.Event) bool { return e.State == daemon.StateRebooting && e.RebootNeeded })
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	want := []history.Kind{history.RebootNeeded, history.WaitingForSlot, history.SlotTaken, history.PreReboot, history.RebootRequested}
	if got := hist.kinds(); !slices.Equal(got, want) {
		t.Fatalf("events before the reboot %v, want %v", got, want)
	}
	if e := hist.find(history.RebootRequested); e.OSVersion != "4081.1.0" || e.BootID != "boot-1" || e.Node != "m1" ||
		e.Group != n.cfg.Group || e.Hostname != "node1" || !e.Time.Equal(epoch) {
		t.Errorf("reboot-requested event %+v", e)
	}
	if e := hist.find(history.PreReboot); e.Command != "drain" || e.Error != "" {
		t.Errorf("pre-reboot event %+v", e)
	}

	after := n.rebooted("boot-2")
	after.cfg.OSVersion = "4081.2.0"
	after.upd.set(false, nil) // the update is applied
	hist = &events{}
	after.deps.History = hist
	fails := 1
	after.run = newRunner(func(context.Context, string) error {
		if fails > 0 {
			fails--
			return errors.New("exit status 7")
		}
		return nil
	})
	after.deps.Runner = after.run
	after.start()
	e := after.rec.waitFor(t, "a failed round", func(e daemon.Event) bool { return e.Check != nil })
	if c := e.Check; c.Command != "check-health" || c.Error != "exit status 7" || c.Rounds != 1 || !c.Since.Equal(epoch) {
		t.Errorf("check failure %+v", c)
	}
	after.advance(daemon.DefaultRetryInitial)
	after.rec.waitState(t, daemon.StateIdle)
	if e := after.rec.all(); e[len(e)-1].Check != nil {
		t.Errorf("idle event still tells of failing checks: %+v", e[len(e)-1].Check)
	}
	want = []history.Kind{history.Booted, history.ChecksPassed, history.Released}
	if got := hist.kinds(); !slices.Equal(got, want) {
		t.Fatalf("events after the reboot %v, want %v", got, want)
	}
	if e := hist.find(history.Booted); e.BootID != "boot-2" || e.OSVersion != "4081.2.0" {
		t.Errorf("booted event %+v", e)
	}
	if e := hist.find(history.ChecksPassed); e.Tries != 2 {
		t.Errorf("checks-passed after %d tries, want 2", e.Tries)
	}
	if e := hist.find(history.Released); e.HeldSeconds != daemon.DefaultRetryInitial.Seconds() || e.Reason != "post-reboot checks passed" {
		t.Errorf("released event %+v, want it held for the back-off", e)
	}
}

func TestFailedChecksAreRecordedWithTheirCommand(t *testing.T) {
	n := newNode(t)
	n.take(semaphore.Holder{ID: "m1", BootID: "boot-0", Reason: "reboot"})
	hist := &events{}
	n.deps.History = hist
	n.cfg.PostRebootChecks = []string{"check-health"}
	n.run = newRunner(func(context.Context, string) error { return errors.New("exit status 1") })
	n.deps.Runner = n.run
	n.start()
	e := n.rec.waitState(t, daemon.StateHealthFailed)
	if e.Check == nil || e.Check.Command != "check-health" || e.Check.Rounds != 1 {
		t.Errorf("health-failed event's check %+v", e.Check)
	}
	if f := hist.find(history.ChecksFailed); f.Command != "check-health" || f.Tries != 1 || f.Error == "" {
		t.Errorf("checks-failed event %+v", f)
	}
}
