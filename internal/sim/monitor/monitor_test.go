package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

// manualNow is a clock the test sets.
type manualNow struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualNow) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualNow) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func semValue(t *testing.T, slots int, holders ...string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"semaphore": slots - len(holders), "max": slots, "holders": holders})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// commit runs ops in one transaction and returns its revision.
func commit(t *testing.T, cli *clientv3.Client, ops ...clientv3.Op) int64 {
	t.Helper()
	resp, err := cli.Txn(testCtx(t)).Then(ops...).Commit()
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

func start(t *testing.T, cli *clientv3.Client, cfg Config) *Monitor {
	t.Helper()
	m, err := Start(testCtx(t), cli, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return m
}

func wait(t *testing.T, m *Monitor, rev int64) Result {
	t.Helper()
	if err := m.WaitRevision(testCtx(t), rev); err != nil {
		t.Fatal(err)
	}
	return m.Result()
}

func TestDetectsMoreHoldersThanMax(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	m := start(t, cli, Config{Groups: []string{"g"}})
	commit(t, cli, clientv3.OpPut(key, semValue(t, 2, "a")))
	commit(t, cli, clientv3.OpPut(key, semValue(t, 2, "a", "b")))
	rev := commit(t, cli, clientv3.OpPut(key, semValue(t, 2, "a", "b", "c")))
	r := wait(t, m, rev)
	if len(r.Exceeded) != 1 || r.Exceeded[0].Revision != rev || r.Exceeded[0].Max != 2 ||
		!slices.Equal(r.Exceeded[0].Holders, []string{"a", "b", "c"}) {
		t.Fatalf("Exceeded = %+v, want one record at revision %d with holders a, b, c", r.Exceeded, rev)
	}
	g, _ := r.Group("g")
	if g.MaxConcurrent != 3 || r.MaxConcurrent() != 3 || g.Acquires != 3 {
		t.Fatalf("group result %+v, want 3 concurrent and 3 acquires", g)
	}
}

func TestWithinMaxIsNotAViolation(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key(semaphore.DefaultGroup)
	m := start(t, cli, Config{Groups: []string{semaphore.DefaultGroup}})
	commit(t, cli, clientv3.OpPut(key, semValue(t, 2, "a")))
	commit(t, cli, clientv3.OpPut(key, semValue(t, 2, "a", "b")))
	commit(t, cli, clientv3.OpPut(key, semValue(t, 2, "b")))
	rev := commit(t, cli, clientv3.OpDelete(key))
	r := wait(t, m, rev)
	if len(r.Exceeded) != 0 || r.MaxConcurrent() != 2 {
		t.Fatalf("Exceeded = %+v, MaxConcurrent = %d; want none and 2", r.Exceeded, r.MaxConcurrent())
	}
	var kinds []string
	for _, e := range r.Events {
		kinds = append(kinds, e.Kind.String()+" "+e.ID)
	}
	want := []string{"acquire a", "acquire b", "release a", "release b"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events %q, want %q", kinds, want)
	}
}

func TestDetectsFIFOViolationAndMeasuresHandoff(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	waiters := key + "/waiters/"
	clock := &manualNow{t: epoch}
	m := start(t, cli, Config{Groups: []string{"g"}, Now: clock.Now})

	commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "h")))
	commit(t, cli, clientv3.OpPut(waiters+"1-1", "a"))
	commit(t, cli, clientv3.OpPut(waiters+"2-1", "b"))
	rev := commit(t, cli, clientv3.OpPut(waiters+"3-1", "c"))
	wait(t, m, rev)

	clock.Set(epoch.Add(time.Second))
	rev = commit(t, cli, clientv3.OpPut(key, semValue(t, 1)))
	wait(t, m, rev)

	// b takes the slot (and deletes its waiter key in the same
	// transaction) while a, ahead of it, still waits: a violation.
	clock.Set(epoch.Add(1250 * time.Millisecond))
	rev = commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "b")), clientv3.OpDelete(waiters+"2-1"))
	r := wait(t, m, rev)
	if len(r.FIFO) != 1 || r.FIFO[0].Acquirer != "b" || !slices.Equal(r.FIFO[0].Overtaken, []string{"a"}) || r.FIFO[0].Revision != rev {
		t.Fatalf("FIFO = %+v, want b overtaking a at revision %d", r.FIFO, rev)
	}
	g, _ := r.Group("g")
	if !slices.Equal(g.Handoffs, []time.Duration{250 * time.Millisecond}) {
		t.Fatalf("handoffs %v, want [250ms]", g.Handoffs)
	}
	if !slices.Equal(g.Waiting, []string{"a", "c"}) || !slices.Equal(g.Holders, []string{"b"}) {
		t.Fatalf("waiting %v holders %v, want [a c] and [b]", g.Waiting, g.Holders)
	}

	// a then c in queue order: no further violation.
	commit(t, cli, clientv3.OpPut(key, semValue(t, 1)))
	commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "a")), clientv3.OpDelete(waiters+"1-1"))
	commit(t, cli, clientv3.OpPut(key, semValue(t, 1)))
	rev = commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "c")), clientv3.OpDelete(waiters+"3-1"))
	r = wait(t, m, rev)
	if len(r.FIFO) != 1 {
		t.Fatalf("FIFO = %+v after in-order acquires, want only the first violation", r.FIFO)
	}
	if g, _ := r.Group("g"); len(g.Handoffs) != 3 || len(g.Waiting) != 0 {
		t.Fatalf("group %+v, want 3 handoffs and no waiter", g)
	}
}

func TestNewcomerMayTakeASlotNotOwedToWaiters(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	m := start(t, cli, Config{Groups: []string{"g"}})
	commit(t, cli, clientv3.OpPut(key+"/waiters/1-1", "a"))
	// max 3, one waiter: a newcomer leaves two free slots, enough for a.
	commit(t, cli, clientv3.OpPut(key, semValue(t, 3, "n")))
	// A second newcomer leaves one, still enough.
	commit(t, cli, clientv3.OpPut(key, semValue(t, 3, "n", "o")))
	// The third takes the slot a is owed.
	rev := commit(t, cli, clientv3.OpPut(key, semValue(t, 3, "n", "o", "p")))
	r := wait(t, m, rev)
	if len(r.FIFO) != 1 || r.FIFO[0].Acquirer != "p" {
		t.Fatalf("FIFO = %+v, want one violation by p", r.FIFO)
	}
}

func TestMarkedWaiters(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	m := start(t, cli, Config{Groups: []string{"g"}})
	rev := commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "h")))
	wait(t, m, rev)
	m.MarkWaiting("g", "a")
	m.MarkWaiting("g", "b")
	m.MarkWaiting("g", "x")
	m.UnmarkWaiting("g", "x")
	commit(t, cli, clientv3.OpPut(key, semValue(t, 1)))
	rev = commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "b")))
	r := wait(t, m, rev)
	if len(r.FIFO) != 1 || r.FIFO[0].Acquirer != "b" || !slices.Equal(r.FIFO[0].Overtaken, []string{"a"}) {
		t.Fatalf("FIFO = %+v, want b overtaking a", r.FIFO)
	}
	g, _ := r.Group("g")
	if len(g.Handoffs) != 1 || !slices.Equal(g.Waiting, []string{"a"}) {
		t.Fatalf("group %+v, want one handoff and a still waiting", g)
	}
}

func TestStartsFromAPastRevision(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "a")))
	from := commit(t, cli, clientv3.OpPut(key, semValue(t, 1)))
	rev := commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "b")))
	m := start(t, cli, Config{Groups: []string{"g", "other"}, FromRevision: from})
	r := wait(t, m, rev)
	var got []string
	for _, e := range r.Events {
		got = append(got, e.Kind.String()+" "+e.ID)
	}
	if !slices.Equal(got, []string{"release a", "acquire b"}) {
		t.Fatalf("events %q, want the release of a and the acquire of b", got)
	}
	if !r.Complete() {
		t.Fatalf("gaps %v", r.Gaps)
	}
}

func TestStartFromACompactedRevisionFails(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "a")))
	commit(t, cli, clientv3.OpPut(key, semValue(t, 1)))
	rev := commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "b")))
	if _, err := cli.Compact(testCtx(t), rev); err != nil {
		t.Fatal(err)
	}
	_, err := Start(testCtx(t), cli, Config{Groups: []string{"g"}, FromRevision: 2})
	if !errors.Is(err, rpctypes.ErrCompacted) {
		t.Fatalf("Start from a compacted revision: %v, want ErrCompacted", err)
	}
}

func TestCompactionWhileBehindIsAGap(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	from := commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "a")))
	var last int64
	cfg := Config{Groups: []string{"g"}, FromRevision: from, beforeWatch: func() {
		// Before the watch opens: more changes, then compaction of all
		// but the last.
		commit(t, cli, clientv3.OpPut(key, semValue(t, 1)))
		last = commit(t, cli, clientv3.OpPut(key, semValue(t, 1, "b")))
		if _, err := cli.Compact(context.Background(), last); err != nil {
			t.Error(err)
		}
	}}
	m := start(t, cli, cfg)
	wait(t, m, last) // reached only through the re-read after the gap
	rev := commit(t, cli, clientv3.OpPut(key, semValue(t, 1)))
	r := wait(t, m, rev)
	if len(r.Gaps) != 1 || r.Gaps[0].From != from || r.Gaps[0].To < last || r.Complete() {
		t.Fatalf("gaps %+v, want one from %d to at least %d", r.Gaps, from, last)
	}
	var got []string
	for _, e := range r.Events {
		got = append(got, e.Kind.String()+" "+e.ID)
	}
	// a came and went in the compacted revisions: never seen.
	if !slices.Equal(got, []string{"acquire b", "release b"}) {
		t.Fatalf("events %q", got)
	}
}

func TestSyncWithoutChanges(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	m := start(t, cli, Config{Groups: []string{"g"}})
	// Revisions that touch no watched key.
	for range 3 {
		commit(t, cli, clientv3.OpPut("unrelated", "x"))
	}
	if err := m.Sync(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if r := m.Result(); len(r.Events) != 0 || r.Revision < 4 {
		t.Fatalf("result %+v, want no events and revision at least 4", r)
	}
}

func TestStartNeedsAGroup(t *testing.T) {
	if _, err := Start(context.Background(), nil, Config{}); !errors.Is(err, ErrNoGroups) {
		t.Fatalf("Start without groups: %v", err)
	}
}

func TestUntil(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	m := start(t, cli, Config{Groups: []string{"g"}})
	acquired := make(chan Result, 1)
	go func() {
		r, err := m.Until(testCtx(t), func(r Result) bool { g, _ := r.Group("g"); return slices.Contains(g.Holders, "b") })
		if err != nil {
			t.Error(err)
		}
		acquired <- r
	}()
	commit(t, cli, clientv3.OpPut(key, semValue(t, 2, "a")))
	commit(t, cli, clientv3.OpPut(key, semValue(t, 2, "a", "b")))
	if r := <-acquired; r.MaxConcurrent() != 2 {
		t.Fatalf("Until returned %+v, want the state with a and b", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Until(ctx, func(Result) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Until on a cancelled context = %v", err)
	}
	m.MarkWaiting("g", "c") // a mark wakes Until too
	if r, err := m.Until(testCtx(t), func(r Result) bool { g, _ := r.Group("g"); return slices.Contains(g.Waiting, "c") }); err != nil {
		t.Fatalf("Until after a mark = %+v, %v", r, err)
	}
}

// A slot that is free while an id waits is an idle span, from the change that freed it (or
// queued the waiter) to the one that filled it (or emptied the queue); the longest is kept.
func TestLongestIdleSlot(t *testing.T) {
	cli := embedetcd.StartT(t).ClientT(t)
	key := semaphore.Key("g")
	waiters := key + "/waiters/"
	clock := &manualNow{t: epoch}
	m := start(t, cli, Config{Groups: []string{"g"}, Now: clock.Now})
	step := func(at time.Duration, ops ...clientv3.Op) GroupResult {
		clock.Set(epoch.Add(at))
		g, _ := wait(t, m, commit(t, cli, ops...)).Group("g")
		return g
	}

	step(0, clientv3.OpPut(key, semValue(t, 2, "h1", "h2")))
	step(time.Second, clientv3.OpPut(waiters+"1", "a"))            // both slots taken: not idle
	step(2*time.Second, clientv3.OpPut(key, semValue(t, 2, "h2"))) // idle from 2 s
	step(2500*time.Millisecond, clientv3.OpPut(key, semValue(t, 2, "h2", "a")), clientv3.OpDelete(waiters+"1"))
	step(3*time.Second, clientv3.OpPut(key, semValue(t, 2)))         // free slots, nobody waits
	step(4*time.Second, clientv3.OpPut(waiters+"2", "b"))            // idle from 4 s
	g := step(4100*time.Millisecond, clientv3.OpDelete(waiters+"2")) // b left: ends the span
	if g.LongestIdle != 500*time.Millisecond || !g.LongestIdleFrom.Equal(epoch.Add(2*time.Second)) {
		t.Fatalf("longest idle slot %s from %s, want 500ms from %s", g.LongestIdle, g.LongestIdleFrom, epoch.Add(2*time.Second))
	}
	step(5*time.Second, clientv3.OpPut(waiters+"3", "c")) // idle from 5 s, until 6.5 s
	g = step(6500*time.Millisecond, clientv3.OpPut(key, semValue(t, 2, "c")), clientv3.OpDelete(waiters+"3"))
	if g.LongestIdle != 1500*time.Millisecond {
		t.Fatalf("longest idle slot %s, want 1.5s", g.LongestIdle)
	}
}
