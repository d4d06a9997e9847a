package daemon_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore"
)

// switchBlocker blocks while its reason is set.
type switchBlocker struct {
	mu     sync.Mutex
	reason string
	asked  int
}

func (b *switchBlocker) Name() string { return "switch" }

func (b *switchBlocker) Blocked(context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked++
	return b.reason, nil
}

func (b *switchBlocker) set(reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reason = reason
}

func TestABlockedNodeTakesNoSlotUntilTheBlockerClears(t *testing.T) {
	n := newNode(t)
	hist := &events{}
	n.deps.History = hist
	b := &switchBlocker{reason: "Prometheus alerts active: HighLoad"}
	n.deps.Blockers = []daemon.Blocker{b}
	n.start()
	n.rec.waitState(t, daemon.StateIdle)
	n.upd.set(true, nil)
	e := n.rec.waitState(t, daemon.StateBlocked)
	if !strings.Contains(e.Status, "HighLoad") || e.BlockedBy != "Prometheus alerts active: HighLoad" || e.Holding {
		t.Fatalf("blocked event %+v", e)
	}
	n.advance(daemon.DefaultBlockerInterval) // asked again: still blocked
	n.advance(daemon.DefaultBlockerInterval) // it waits again, so it was asked and blocked
	if len(n.holders()) != 0 {
		t.Fatalf("a slot was taken while blocked: %v", n.holders())
	}
	b.set("")
	n.advance(daemon.DefaultBlockerInterval)
	n.rebootCalled()
	n.holds("m1", "boot-1")
	if got := hist.find(history.Blocked); got.Reason != "Prometheus alerts active: HighLoad" {
		t.Errorf("blocked event in the history %+v", got)
	}
	if k := hist.kinds(); countKind(k, history.Blocked) != 1 {
		t.Errorf("history %v: the same reason recorded more than once", k)
	}
}

func TestABlockerThatAppearsWhileTheSlotIsHeldGivesItBack(t *testing.T) {
	n := newNode(t)
	b := &switchBlocker{}
	n.deps.Blockers = []daemon.Blocker{b}
	n.cfg.PreRebootCommand = "drain"
	started, proceed := make(chan struct{}), make(chan struct{})
	n.run = newRunner(func(ctx context.Context, cmd string) error {
		started <- struct{}{}
		<-proceed
		return nil
	})
	n.deps.Runner = n.run
	n.start()
	n.upd.set(true, nil)
	<-started
	n.holds("m1", "boot-1")
	b.set("reboot blocker `is-busy`: exit status 1")
	proceed <- struct{}{}
	n.rec.waitState(t, daemon.StateBlocked)
	n.waitHolders("the slot given back", func(h []semaphore.Holder) bool { return len(h) == 0 })
	n.noRebootCall()
	b.set("")
	n.advance(daemon.DefaultBlockerInterval)
	<-started
	proceed <- struct{}{}
	n.rebootCalled()
}

func countKind(kinds []history.Kind, k history.Kind) int {
	n := 0
	for _, x := range kinds {
		if x == k {
			n++
		}
	}
	return n
}
