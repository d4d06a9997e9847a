package daemon_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/strategy"
)

func TestFullCycle(t *testing.T) {
	n := newNode(t)
	n.cfg.PostRebootChecks = []string{"check-health"}
	n.cfg.PostRebootTimeout = time.Minute
	n.start()
	n.rec.waitState(t, daemon.StateIdle)
	n.free()

	n.upd.set(true, nil)
	e := n.rec.waitState(t, daemon.StateSlotTaken)
	if !e.Holding || e.Holder.ID != "m1" || e.Holder.BootID != "boot-1" || !strings.Contains(e.Holder.Reason, "test update") {
		t.Fatalf("slot-taken event %+v", e)
	}
	n.rebootCalled()
	n.holds("m1", "boot-1")
	n.rec.waitFor(t, "reboot requested", func(e daemon.Event) bool {
		return e.State == daemon.StateRebooting && strings.Contains(e.Status, "requested")
	})
	if err := n.stop(); err != nil { // the host goes down
		t.Fatal(err)
	}
	h := n.holds("m1", "boot-1") // kept across the reboot
	if h.Hostname != "node1" || !h.AcquiredAt.Equal(epoch) {
		t.Fatalf("holder facts %+v", h)
	}
	notes, states := n.rec.snapshot()
	if want := []string{"starting", "running", "reboot-planned", "rebooting"}; !slices.Equal(states, want) {
		t.Errorf("coordinator states %q, want %q", states, want)
	}
	if !slices.Contains(notes, "READY=1") || notes[len(notes)-1] != "STOPPING=1" {
		t.Errorf("notifications %q lack READY=1 or end without STOPPING=1", notes)
	}

	after := n.rebooted("boot-2")
	after.upd.set(false, nil) // the update is applied
	after.start()
	after.rec.waitState(t, daemon.StateCheckingHealth)
	if cmd := <-after.run.calls; cmd != "check-health" {
		t.Fatalf("ran %q, want the post-reboot check", cmd)
	}
	after.rec.waitFor(t, "slot released", func(e daemon.Event) bool { return !e.Holding })
	after.rec.waitState(t, daemon.StateIdle)
	after.free()
	after.noRebootCall()
}

func TestResumesSlotOfThisBoot(t *testing.T) {
	n := newNode(t)
	n.take(semaphore.Holder{ID: "m1", BootID: "boot-1"})
	n.upd.set(true, nil)
	n.start()
	n.rebootCalled()
	n.holds("m1", "boot-1")
	for _, e := range n.rec.all() {
		if e.State == daemon.StateIdle || e.State == daemon.StateWaitingSlot {
			t.Fatalf("went through %s before rebooting: %s", e.State, n.rec.describe())
		}
	}
}

func TestResumedSlotReleasedWhenNoLongerNeeded(t *testing.T) {
	n := newNode(t)
	n.take(semaphore.Holder{ID: "m1", BootID: "boot-1"})
	n.start()
	n.backToIdle("no longer needed")
}

func TestWindowClosedTakesNoSlot(t *testing.T) {
	n := newNode(t)
	n.cfg.Schedule = schedule(t, "Thu 14:00 1h")
	n.upd.set(true, nil)
	n.start()
	e := n.rec.waitState(t, daemon.StateWaitingWindow)
	if want := "waiting for reboot window: opens Thu 2026-03-05 14:00 UTC (in 2h0m0s)"; e.Status != want {
		t.Fatalf("status %q, want %q", e.Status, want)
	}
	if e.Holding {
		t.Fatal("holding a slot while waiting for the window")
	}
	n.rec.waitNote(t, "STATUS="+e.Status)
	n.free()
	n.advance(2 * time.Hour)
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.rebootCalled()
	n.holds("m1", "boot-1")
}

func TestBlackoutDateTakesNoSlot(t *testing.T) {
	n := newNode(t)
	b, err := strategy.ParseBlackout("Mar 5")
	if err != nil {
		t.Fatal(err)
	}
	n.cfg.Schedule = schedule(t, "12:00 4h").WithBlackout(b) // open now, but for the date
	n.upd.set(true, nil)
	n.start()
	e := n.rec.waitState(t, daemon.StateWaitingWindow)
	if want := "waiting for reboot window: opens Fri 2026-03-06 12:00 UTC (in 24h0m0s); the blackout Mar 5 keeps it closed"; e.Status != want {
		t.Fatalf("status %q, want %q", e.Status, want)
	}
	n.advance(24 * time.Hour)
	n.rebootCalled()
	n.holds("m1", "boot-1")
}

func TestReleasesWhenNoLongerNeededAfterWaitingForSlot(t *testing.T) {
	n := newNode(t)
	n.take(semaphore.Holder{ID: "other"})
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StateWaitingSlot)
	n.upd.set(false, nil) // e.g. update_engine reset the update
	if err := n.sem.Release(context.Background(), "other"); err != nil {
		t.Fatal(err)
	}
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.gaveUp("no longer needed (checked after taking the slot)")
}

func TestReleasesWhenNoLongerNeededBeforeRebooting(t *testing.T) {
	n := newNode(t)
	n.cfg.PreRebootCommand = "drain"
	n.run.fn = func(context.Context, string) error {
		n.upd.set(false, nil)
		return nil
	}
	n.upd.set(true, nil)
	n.start()
	n.backToIdle("no longer needed (checked right before rebooting)")
}

func TestWindowClosesDuringLoginDelay(t *testing.T) {
	n := newNode(t)
	n.cfg.Schedule = schedule(t, "Thu 12:00 3m")
	n.cfg.LoginDelay = 5 * time.Minute
	n.deps.Sessions = sessions{{User: "core", TTY: "pts/0", RemoteHost: "10.0.0.9"}}
	n.upd.set(true, nil)
	n.start()
	e := n.rec.waitState(t, daemon.StateLoginDelay)
	if !strings.Contains(e.Status, "core on pts/0 from 10.0.0.9") || !e.Holding {
		t.Fatalf("login-delay event %+v", e)
	}
	n.logged("people are logged in", "core on pts/0 from 10.0.0.9")
	n.advance(5 * time.Minute)
	n.gaveUp("reboot window closed")
	n.advance(daemon.DefaultRetryInitial)
	n.rec.waitState(t, daemon.StateWaitingWindow)
	n.advance(7*24*time.Hour - 5*time.Minute - daemon.DefaultRetryInitial)
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.rebootCalled() // no second login delay
	for _, e := range n.rec.all() {
		if e.State == daemon.StateLoginDelay && e.Time.After(epoch.Add(time.Hour)) {
			t.Fatal("delayed for logged-in users twice")
		}
	}
}

func TestPreRebootCommandFailureReleasesAndRetries(t *testing.T) {
	n := newNode(t)
	n.cfg.PreRebootCommand = "drain"
	fails := true
	n.run.fn = func(context.Context, string) error {
		if fails {
			fails = false
			return errTest
		}
		return nil
	}
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StatePreReboot)
	n.gaveUp(`pre-reboot command "drain": test failure`)
	// The failed attempt is reported once, as a warning saying why and when the next one starts
	// (the release of the slot names it as its reason, at info level).
	n.logged("level=WARN", `retrying in 10s: pre-reboot command \"drain\": test failure`)
	warnings := 0
	for _, l := range strings.Split(n.logs.String(), "\n") {
		if strings.Contains(l, errTest.Error()) && !strings.Contains(l, "level=INFO") {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("the failure is reported in %d lines, want 1:\n%s", warnings, n.logs.String())
	}
	n.advance(daemon.DefaultRetryInitial)
	n.rec.waitState(t, daemon.StatePreReboot)
	n.rebootCalled()
	n.holds("m1", "boot-1")
}

func TestRebootCallFailureReleasesAndBacksOff(t *testing.T) {
	n := newNode(t)
	n.reb.fail(errTest)
	n.upd.set(true, nil)
	n.start()
	for _, d := range []time.Duration{daemon.DefaultRetryInitial, 2 * daemon.DefaultRetryInitial} {
		n.rebootCalled()
		if e := n.gaveUp("request the reboot: test failure"); !strings.HasPrefix(e.Status, "retrying in "+d.String()) {
			t.Fatalf("status %q, want a retry in %s", e.Status, d)
		}
		if d == 2*daemon.DefaultRetryInitial {
			n.reb.fail(nil)
		}
		n.advance(d)
	}
	n.rebootCalled()
	n.rec.waitFor(t, "reboot requested", func(e daemon.Event) bool {
		return e.State == daemon.StateRebooting && strings.Contains(e.Status, "requested")
	})
	n.holds("m1", "boot-1")
}

func TestRebootTimeoutReleases(t *testing.T) {
	n := newNode(t)
	n.cfg.RebootTimeout = 5 * time.Minute
	n.upd.set(true, nil)
	n.start()
	n.rebootCalled()
	n.advance(5 * time.Minute)
	n.gaveUp("host still up after the reboot was requested (5m0s)")
	n.logged("level=ERROR", "did not happen")
}

func TestShutdownReleasesSlotOfUnrequestedReboot(t *testing.T) {
	n := newNode(t)
	n.cfg.PreRebootCommand = "drain"
	n.run.fn = func(ctx context.Context, _ string) error {
		<-ctx.Done()
		return ctx.Err()
	}
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StatePreReboot)
	n.holds("m1", "boot-1")
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	n.free()
	n.noRebootCall()
	e := n.rec.waitState(t, daemon.StateStopped)
	if e.Holding {
		t.Fatalf("stopped event %+v", e)
	}
}

func TestShutdownWhileWaitingForSlotTakesNone(t *testing.T) {
	n := newNode(t)
	n.take(semaphore.Holder{ID: "other"})
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StateWaitingSlot)
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	if hs := n.holders(); len(hs) != 1 || hs[0].ID != "other" {
		t.Fatalf("holders %+v", hs)
	}
	waiters, err := n.sem.Waiters(context.Background())
	if err != nil || len(waiters) != 0 {
		t.Fatalf("waiters %v, %v; want none left", waiters, err)
	}
}

func TestRebootNeededCheckErrorReleases(t *testing.T) {
	n := newNode(t)
	n.upd.set(true, errTest)
	n.start()
	n.gaveUp("check whether a reboot is still needed (after taking the slot): test failure")
}

func TestLoginDelayWithoutSessions(t *testing.T) {
	n := newNode(t)
	n.cfg.LoginDelay = time.Hour
	n.deps.Sessions = sessions(nil)
	n.upd.set(true, nil)
	n.start()
	n.rebootCalled()
	for _, e := range n.rec.all() {
		if e.State == daemon.StateLoginDelay {
			t.Fatal("delayed without anyone logged in")
		}
	}
}
