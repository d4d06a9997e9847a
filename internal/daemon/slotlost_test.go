package daemon_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore"
)

// A slot removed while the pre-reboot command runs (here an operator's
// locksmithctl unlock, after which another node takes the slot) is noticed
// right before the reboot: the machine does not reboot, says who holds the
// slots, and waits for a slot again, as the reboot is still needed.
func TestSlotLostBeforeRebootDoesNotReboot(t *testing.T) {
	n := newNode(t)
	n.cfg.PreRebootCommand = "drain"
	first := true // used by the machine's goroutine only
	n.run.fn = func(ctx context.Context, _ string) error {
		if !first {
			return nil
		}
		first = false
		if err := n.sem.Release(ctx, "m1"); err != nil {
			return err
		}
		return n.sem.Acquire(ctx, semaphore.Holder{ID: "other", Hostname: "node2"})
	}
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StatePreReboot)
	e := n.rec.waitState(t, daemon.StateWaitingSlot)
	if e.Holding {
		t.Fatalf("waiting for a slot again while holding one: %+v", e)
	}
	n.noRebootCall()
	n.logged("level=WARN", "reboot slot was lost", "not rebooting", "other")
	if hs := n.holders(); len(hs) != 1 || hs[0].ID != "other" {
		t.Fatalf("holders %+v, want only other", hs)
	}
	if err := n.sem.Release(context.Background(), "other"); err != nil {
		t.Fatal(err)
	}
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.rebootCalled()
	n.holds("m1", "boot-1")
}

// The way out of failed post-reboot checks is locksmithctl unlock; the
// next update must then take a slot again, not reboot on the memory of the
// kept one.
func TestUnlockedKeptSlotIsTakenAgain(t *testing.T) {
	n := startHealthFailed(t)
	if err := n.sem.Release(context.Background(), "m1"); err != nil { // the operator's unlock
		t.Fatal(err)
	}
	n.take(semaphore.Holder{ID: "other"})
	n.upd.set(true, nil) // a fixed update arrives
	e := n.rec.waitState(t, daemon.StateWaitingSlot)
	if e.Holding {
		t.Fatalf("event %+v", e)
	}
	n.noRebootCall()
	if err := n.sem.Release(context.Background(), "other"); err != nil {
		t.Fatal(err)
	}
	n.rebootCalled()
	n.holds("m1", "boot-1")
}

// When the slot cannot be confirmed (etcd does not answer), the machine
// does not reboot.
func TestSlotUnconfirmedDoesNotReboot(t *testing.T) {
	n := newNode(t)
	n.cfg.PreRebootCommand = "drain"
	lock := &failingGet{Lock: n.deps.Lock}
	n.deps.Lock = lock
	n.run.fn = func(context.Context, string) error {
		lock.fail.Store(true)
		return nil
	}
	n.upd.set(true, nil)
	n.start()
	e := n.rec.waitState(t, daemon.StateRetrying)
	if !strings.Contains(e.Status, "confirm") || !strings.Contains(e.Status, errTest.Error()) {
		t.Fatalf("status %q", e.Status)
	}
	n.noRebootCall()
	n.free()
}

// failingGet is a Lock whose Get fails once fail is set.
type failingGet struct {
	daemon.Lock
	fail atomic.Bool
}

func (l *failingGet) Get(ctx context.Context) (semaphore.State, error) {
	if l.fail.Load() {
		return semaphore.State{}, errTest
	}
	return l.Lock.Get(ctx)
}
