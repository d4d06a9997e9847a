package daemon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/semaphore/slot"
)

// semBudget counts the node's failures in its real semaphore, as locksmithd's does.
type semBudget struct {
	sem   *semaphore.Semaphore
	id    string
	limit int
}

func (b semBudget) Fail(ctx context.Context, reason string) (*slot.Freeze, error) {
	st, err := b.sem.Fail(ctx, semaphore.Failure{ID: b.id, Reason: reason}, b.limit, 0)
	return st.Freeze, err
}

// Post-reboot checks that give up count against the budget; with a budget of one, the group
// freezes while the node keeps its slot.
func TestFailedChecksFreezeTheGroup(t *testing.T) {
	n := newNode(t)
	hist := &events{}
	n.deps.History = hist
	n.deps.Budget = semBudget{sem: n.sem, id: "m1", limit: 1}
	if _, err := n.sem.SetMax(t.Context(), 3); err != nil {
		t.Fatal(err)
	}
	heldFromLastBoot(t, n)
	n.cfg.PostRebootChecks = []string{"health"}
	n.run.fn = func(context.Context, string) error { return errTest }
	n.start()
	n.rec.waitState(t, daemon.StateHealthFailed)
	st, err := n.sem.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Max != 0 || st.Freeze == nil || st.Freeze.PreviousMax != 3 || !strings.Contains(st.Freeze.Reason, `m1: post-reboot checks failed: post-reboot check "health"`) {
		t.Fatalf("after the failed checks: max %d, freeze %+v", st.Max, st.Freeze)
	}
	n.holds("m1", "boot-0")
	if e := hist.find(history.Frozen); e.OldMax == nil || *e.OldMax != 3 || e.Reason != st.Freeze.Reason {
		t.Errorf("frozen event %+v", e)
	}
	if e := hist.find(history.RebootFailed); !strings.HasPrefix(e.Reason, "post-reboot checks failed") {
		t.Errorf("reboot-failed event %+v", e)
	}
	n.logged("level=ERROR", "the group is FROZEN")
}

// A host that stays up past its reboot deadline counts too, and the freeze comes before the
// slot is given back.
func TestRebootTimeoutCountsAgainstTheBudget(t *testing.T) {
	n := newNode(t)
	n.deps.Budget = semBudget{sem: n.sem, id: "m1", limit: 1}
	n.cfg.RebootTimeout = 5 * time.Minute
	n.upd.set(true, nil)
	n.start()
	n.rebootCalled()
	n.advance(5 * time.Minute)
	n.gaveUp("host still up after the reboot was requested (5m0s)")
	st, err := n.sem.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Max != 0 || st.Freeze == nil || len(st.Failures) != 1 || !strings.Contains(st.Failures[0].Reason, "host still up") {
		t.Fatalf("after the reboot timeout: %+v", st)
	}
}
