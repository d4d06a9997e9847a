package daemon_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/testkit/testlog"
	"locksmith.dev/locksmith/semaphore"
)

func TestLockTTLRemovesStaleHolder(t *testing.T) {
	n := newNode(t)
	hist := &events{}
	n.deps.History = hist
	n.cfg.LockTTL = time.Hour
	n.take(semaphore.Holder{ID: "dead", Hostname: "gone", BootID: "b-dead"})
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StateWaitingSlot)
	n.advance(time.Hour + time.Nanosecond) // the moment "dead" turns stale
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.rebootCalled()
	st := n.state()
	if st.LastRemoval == nil || st.LastRemoval.Holder.ID != "dead" || st.LastRemoval.By != "m1" {
		t.Fatalf("last removal %+v, want dead removed by m1", st.LastRemoval)
	}
	n.holds("m1", "boot-1")
	n.logged("level=WARN", "removed a stale reboot slot holder", "holder.id=dead", "holder.hostname=gone", "holder.boot_id=b-dead", "age=1h0m0s")
	if e := hist.find(history.StaleRemoved); e.Holder != "dead" || e.By != "m1" || !strings.Contains(e.Reason, "lock TTL") {
		t.Errorf("stale-removed event %+v, want dead removed by m1", e)
	}
	if e := hist.find(history.SlotTaken); e.WaitSeconds != (time.Hour + time.Nanosecond).Seconds() {
		t.Errorf("slot-taken after waiting %gs, want an hour", e.WaitSeconds)
	}
}

func TestLockTTLLeavesFreshHolder(t *testing.T) {
	n := newNode(t)
	n.cfg.LockTTL = time.Hour
	n.take(semaphore.Holder{ID: "busy"})
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StateWaitingSlot)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := n.clk.BlockUntilTimer(ctx, time.Hour+time.Nanosecond); err != nil {
		t.Fatal(err)
	}
	n.clk.Advance(30 * time.Minute)
	if err := n.sem.Release(context.Background(), "busy"); err != nil {
		t.Fatal(err)
	}
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.rebootCalled()
	st := n.state()
	if st.LastRemoval != nil {
		t.Fatalf("removed %+v although it was not stale", st.LastRemoval)
	}
}

func TestLockTTLWaitsForFullSemaphore(t *testing.T) {
	n := newNode(t)
	n.cfg.LockTTL = time.Hour
	ctx := context.Background()
	if _, err := n.sem.SetMax(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// A stale holder in a semaphore that is not full is left alone: the
	// node gets the free slot.
	n.take(semaphore.Holder{ID: "old"})
	n.clk.Advance(2 * time.Hour)
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.rebootCalled()
	st := n.state()
	if st.LastRemoval != nil || len(st.Holders) != 2 {
		t.Fatalf("state %+v, want old and m1 holding, no removal", st)
	}
}

// A node's slot is dated when it is taken, not when the node began to
// wait: otherwise a node that waited longer than another node's LockTTL
// would look stale the moment it got its slot.
func TestSlotAgeCountsFromAcquisition(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	n.take(semaphore.Holder{ID: "busy"})
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StateWaitingSlot)
	n.clk.Advance(2 * time.Hour)
	takenAfter := n.clk.Now()
	if err := n.sem.Release(ctx, "busy"); err != nil {
		t.Fatal(err)
	}
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.rebootCalled()
	st := n.state()
	h, ok := st.Holder("m1")
	if !ok {
		t.Fatalf("m1 holds no slot: %+v", st)
	}
	if h.AcquiredAt.Before(takenAfter) {
		t.Fatalf("m1's slot is dated %s, before it was free (%s)", h.AcquiredAt, takenAfter)
	}
}

// peer returns another machine, id, of n's group with its own semaphore
// client, stand-ins and recorder, sharing n's clock.
func (n *node) peer(id string) *node {
	n.t.Helper()
	p := *n
	p.sem = semaphore.New(etcd.ClientT(n.t), n.cfg.Group, semaphore.WithClock(n.clk.Now))
	n.t.Cleanup(func() { _ = p.sem.Close() })
	p.upd, p.reb, p.rec, p.logs = newUpdates(false), newRebooter(), newRecorder(), &testlog.Lines{}
	p.cfg.MachineID, p.cfg.Hostname, p.cfg.OnEvent = id, id, p.rec.onEvent
	p.deps.Lock = p.sem
	p.deps.Updates, p.deps.Rebooter = p.upd, p.reb
	p.deps.Notifier, p.deps.Coordinator = p.rec, p.rec
	p.deps.Logger = slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &p
}

// With two stale holders in a full semaphore, a waiting node removes one,
// the oldest, and takes its slot; the other stays until another node
// needs a slot.
func TestLockTTLRemovesOneStaleHolderAtATime(t *testing.T) {
	n := newNode(t)
	n.cfg.LockTTL = time.Hour
	ctx := context.Background()
	if _, err := n.sem.SetMax(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"dead1", "dead2"} {
		n.take(semaphore.Holder{ID: id})
		n.clk.Advance(10 * time.Minute)
	}
	n.clk.Advance(2 * time.Hour) // both are stale now
	n.upd.set(true, nil)
	n.start()
	n.rec.waitState(t, daemon.StateSlotTaken)
	n.rebootCalled()
	removed := func(id, by string, holders ...string) {
		t.Helper()
		st := n.state()
		var ids []string
		for _, h := range st.Holders {
			ids = append(ids, h.ID)
		}
		if st.LastRemoval == nil || st.LastRemoval.Holder.ID != id || st.LastRemoval.By != by || !slices.Equal(ids, holders) {
			t.Fatalf("holders %q, last removal %+v; want holders %q after %s removed %s", ids, st.LastRemoval, holders, by, id)
		}
	}
	removed("dead1", "m1", "dead2", "m1")
	if c := strings.Count(n.logs.String(), "removed a stale reboot slot holder"); c != 1 {
		t.Fatalf("%d removals logged by m1, want 1:\n%s", c, n.logs.String())
	}

	p := n.peer("m2")
	p.cfg.LockTTL = time.Hour
	p.upd.set(true, nil)
	p.start()
	p.rec.waitState(t, daemon.StateSlotTaken)
	p.rebootCalled()
	removed("dead2", "m2", "m1", "m2")
}

// failingAcquire is a Lock whose Acquire fails the first fails times.
type failingAcquire struct {
	daemon.Lock
	mu    sync.Mutex
	fails int
}

func (f *failingAcquire) Acquire(ctx context.Context, h semaphore.Holder) error {
	f.mu.Lock()
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return errTest
	}
	return f.Lock.Acquire(ctx, h)
}

// A wait for a slot that fails (etcd did not answer) waits again at once, then after short
// delays, within the same attempt: no attempt back-off, and the failure is logged once.
func TestFailedWaitForSlotWaitsAgainSoon(t *testing.T) {
	n := newNode(t)
	n.deps.Lock = &failingAcquire{Lock: n.deps.Lock, fails: 3}
	n.upd.set(true, nil)
	n.start()
	n.logged("level=WARN", "waiting for a reboot slot failed; waiting again", errTest.Error(), "retry_in=0s")
	n.advance(100 * time.Millisecond) // the third wait, after the second failed
	n.advance(200 * time.Millisecond) // the fourth
	n.rebootCalled()
	if _, states := n.rec.snapshot(); slices.Contains(states, string(daemon.StateRetrying)) {
		t.Fatalf("coordinator states %q: the attempt was given up", states)
	}
	if got := strings.Count(n.logs.String(), "level=WARN msg=\"waiting for a reboot slot failed"); got != 1 {
		t.Fatalf("%d warnings of the failed waits, want 1:\n%s", got, n.logs.String())
	}
}
