package semaphore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/reqcount"
)

func TestConcurrentHoldersNeverExceedMax(t *testing.T) {
	const workers, rounds, slots = 20, 3, 3
	_, c := etcdT(t)
	ctx := ctxT(t)
	setup := newT(t, c, DefaultGroup)
	if _, err := setup.SetMax(ctx, slots); err != nil {
		t.Fatal(err)
	}
	st, err := setup.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Workers hold their slot until the test lets them go, which it does
	// for all holders at once when every slot is taken (or every worker
	// with rounds left is inside), so the semaphore is full most of the
	// time and waiters race for the slots freed together.
	var inside, peak atomic.Int64
	acquired := make(chan string)
	errs := make(chan error, workers)
	release := map[string]chan struct{}{}
	var wg sync.WaitGroup
	for i := range workers {
		s := newT(t, c, DefaultGroup)
		id := fmt.Sprintf("node-%02d", i)
		release[id] = make(chan struct{})
		wg.Go(func() {
			for range rounds {
				if err := s.Acquire(ctx, Holder{ID: id}); err != nil {
					errs <- err
					return
				}
				n := inside.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				acquired <- id
				<-release[id]
				inside.Add(-1)
				if err := s.Release(ctx, id); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var holders []string
	rounded := map[string]int{}
	for unfinished := workers; unfinished > 0; {
		select {
		case id := <-acquired:
			holders = append(holders, id)
			rounded[id]++
		case err := <-errs:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("holders %q, %d workers unfinished: %v", holders, unfinished, ctx.Err())
		}
		if len(holders) == slots || len(holders) == unfinished {
			for _, id := range holders {
				if rounded[id] == rounds {
					unfinished--
				}
				release[id] <- struct{}{}
			}
			holders = nil
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := peak.Load(); p != slots {
		t.Errorf("peak of %d holders inside at once, want %d", p, slots)
	}
	states := history(t, setup, st.Revision+1)
	admissions, prev := 0, st
	for _, st := range states {
		if len(st.Holders) > slots {
			t.Errorf("revision %d has %d holders: %q", st.Revision, len(st.Holders), holderIDs(st))
		}
		for _, h := range st.Holders { // one write may admit several waiters
			if _, held := prev.Holder(h.ID); !held {
				admissions++
			}
		}
		prev = st
	}
	if admissions != workers*rounds {
		t.Errorf("etcd's history shows %d admissions, want %d", admissions, workers*rounds)
	}
	checkAdmissions(t, states)
	if ids, err := setup.Waiters(ctx); err != nil || len(ids) != 0 {
		t.Errorf("queue left behind: %q, %v", ids, err)
	}
}

func TestWaitersAreServedInArrivalOrder(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	holder := heldT(t, c, "h")
	var mu sync.Mutex
	var order []string
	var results []<-chan error
	var arrived []string
	positions := map[string]int{}
	queued := func(id string, position int) {
		mu.Lock()
		defer mu.Unlock()
		positions[id] = position
	}
	for _, id := range []string{"w3", "w1", "w5", "w2", "w4"} {
		s := newT(t, c, DefaultGroup, WithQueued(queued))
		ch := make(chan error, 1)
		go func() {
			err := s.Acquire(ctx, Holder{ID: id})
			if err == nil {
				mu.Lock()
				order = append(order, id)
				mu.Unlock()
				err = s.Release(ctx, id)
			}
			ch <- err
		}()
		results = append(results, ch)
		arrived = append(arrived, id)
		waitWaiters(t, holder, arrived...)
	}
	if err := holder.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	for _, ch := range results {
		if err := result(t, ch); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(order, arrived) {
		t.Fatalf("served %q, want arrival order %q", order, arrived)
	}
	for i, id := range arrived {
		if positions[id] != i+1 {
			t.Errorf("%s queued at position %d, want %d", id, positions[id], i+1)
		}
	}
}

func TestNewcomersDoNotOvertakeTheQueue(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := heldT(t, c, "h")
	waiting := queueT(ctx, t, s, newT(t, c, DefaultGroup), "w")
	if _, err := s.SetMax(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// The new slot is w's, whether or not w has taken it yet.
	newcomer := newT(t, c, DefaultGroup)
	if err := newcomer.TryAcquire(ctx, Holder{ID: "n"}); !errors.Is(err, ErrFull) {
		t.Fatalf("newcomer TryAcquire with a waiter queued for the only free slot: %v, want ErrFull", err)
	}
	if err := result(t, waiting); err != nil {
		t.Fatal(err)
	}
	late := queueT(ctx, t, s, newcomer, "n")
	if err := s.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, late); err != nil {
		t.Fatal(err)
	}
	st, err := s.Get(ctx)
	if err != nil || !slices.Equal(holderIDs(st), []string{"n", "w"}) {
		t.Fatalf("holders %q, %v; want n and w", holderIDs(st), err)
	}
}

func TestCancelledWaiterLeavesNoTrace(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	holder := heldT(t, c, "h")
	a := queueT(ctx, t, holder, newT(t, c, DefaultGroup), "a")
	bctx, cancelB := context.WithCancel(ctx)
	b := queueT(bctx, t, holder, newT(t, c, DefaultGroup), "b")
	cs := newT(t, c, DefaultGroup)
	cres := queueT(ctx, t, holder, cs, "c")

	cancelB()
	if err := result(t, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire returned %v, want context.Canceled", err)
	}
	// The key is gone at once, not when the lease expires.
	if _, ids := queueKeys(t, holder); !slices.Equal(ids, []string{"a", "c"}) {
		t.Fatalf("queue after cancelling b: %q, want a and c", ids)
	}
	if err := holder.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, a); err != nil {
		t.Fatal(err)
	}
	if err := holder.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, cres); err != nil {
		t.Fatalf("the waiter behind the cancelled one: %v", err)
	}
	st, err := holder.Get(ctx)
	if err != nil || !slices.Equal(holderIDs(st), []string{"c"}) {
		t.Fatalf("holders %q, %v; want c", holderIDs(st), err)
	}
	if keys, _ := queueKeys(t, holder); len(keys) != 0 {
		t.Fatalf("queue keys left: %q", keys)
	}
}

func TestCancelledLastWaiterLeavesNoKey(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	holder := heldT(t, c, "h")
	wctx, cancel := context.WithCancel(ctx)
	waiting := queueT(wctx, t, holder, newT(t, c, DefaultGroup), "w")
	cancel()
	if err := result(t, waiting); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire returned %v, want context.Canceled", err)
	}
	// Its Semaphore, and so its lease, lives on: the keys went with it.
	onlySemaphoreKey(t, c, "the only waiter left")
}

func TestPausedSemaphoreAdmitsNobodyUntilRaised(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := newT(t, c, DefaultGroup)
	if old, err := s.SetMax(ctx, 0); err != nil || old != 1 {
		t.Fatalf("SetMax(0) = %d, %v", old, err)
	}
	if err := s.TryAcquire(ctx, Holder{ID: "a"}); !errors.Is(err, ErrFull) {
		t.Fatalf("TryAcquire while paused: %v, want ErrFull", err)
	}
	blocked := queueT(ctx, t, s, newT(t, c, DefaultGroup), "a")
	st, err := s.Get(ctx)
	if err != nil || len(st.Holders) != 0 {
		t.Fatalf("paused semaphore has holders %q, %v", holderIDs(st), err)
	}
	if _, err := s.SetMax(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := result(t, blocked); err != nil {
		t.Fatal(err)
	}
	if st, err = s.Get(ctx); err != nil || !slices.Equal(holderIDs(st), []string{"a"}) {
		t.Fatalf("holders %q, %v; want a", holderIDs(st), err)
	}
}

func TestLoweredMaxAdmitsNobodyUntilEnoughLeave(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := newT(t, c, DefaultGroup)
	if _, err := s.SetMax(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if err := s.TryAcquire(ctx, Holder{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if old, err := s.SetMax(ctx, 1); err != nil || old != 3 {
		t.Fatalf("SetMax(1) = %d, %v", old, err)
	}
	st, err := s.Get(ctx)
	if err != nil || len(st.Holders) != 3 || st.Free() != 0 {
		t.Fatalf("after lowering max: %+v, %v; want 3 holders, valid, no free slot", st, err)
	}
	from := st.Revision
	waiting := queueT(ctx, t, s, newT(t, c, DefaultGroup), "w")
	for _, id := range []string{"a", "b"} {
		if err := s.Release(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := s.TryAcquire(ctx, Holder{ID: "n"}); !errors.Is(err, ErrFull) {
			t.Fatalf("TryAcquire after %s left: %v, want ErrFull", id, err)
		}
	}
	if ids, err := s.Waiters(ctx); err != nil || !slices.Equal(ids, []string{"w"}) {
		t.Fatalf("waiters %q, %v; want w still waiting", ids, err)
	}
	if err := s.Release(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, waiting); err != nil {
		t.Fatal(err)
	}
	states := history(t, s, from)
	checkAdmissions(t, states)
	if got := holderIDs(states[len(states)-1]); !slices.Equal(got, []string{"w"}) {
		t.Fatalf("final holders %q, want w", got)
	}
}

func TestWaitersWhoseLeaseIsLostQueueAgain(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := heldT(t, c, "h")
	// A short TTL makes the keep-alive notice a revocation soon.
	a := queueT(ctx, t, s, newT(t, c, DefaultGroup, WithWaiterTTL(2)), "a")
	b := queueT(ctx, t, s, newT(t, c, DefaultGroup, WithWaiterTTL(2)), "b")

	// b, behind a, loses its lease and queues again, still behind a; then
	// a, the head, loses its lease and queues again, now behind b.
	for _, tc := range []struct {
		lost  int
		after []string
	}{{1, []string{"a", "b"}}, {0, []string{"b", "a"}}} {
		keys, _ := queueKeys(t, s)
		if _, err := c.Revoke(ctx, leaseOf(t, c, keys[tc.lost])); err != nil {
			t.Fatal(err)
		}
		waitQueue(t, s, func(ids []string) bool {
			now, _ := queueKeys(t, s)
			return slices.Equal(ids, tc.after) && !slices.Contains(now, keys[tc.lost])
		})
	}
	if err := s.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, b); err != nil {
		t.Fatalf("b after its lease was lost: %v", err)
	}
	if err := s.Release(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, a); err != nil {
		t.Fatalf("a after its lease was lost: %v", err)
	}
}

func TestCloseEndsWaitingAcquire(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := heldT(t, c, "h")
	w := New(c, DefaultGroup)
	waiting := queueT(ctx, t, s, w, "a")
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := result(t, waiting); !errors.Is(err, ErrClosed) {
		t.Fatalf("waiting Acquire after Close: %v, want ErrClosed", err)
	}
	if keys, _ := queueKeys(t, s); len(keys) != 0 {
		t.Fatalf("queue keys left after Close: %q", keys)
	}
	if err := w.Acquire(ctx, Holder{ID: "a"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Acquire that must wait on a closed Semaphore: %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := w.TryAcquire(ctx, Holder{ID: "a"}); err != nil {
		t.Fatalf("TryAcquire on a closed Semaphore: %v", err)
	}
}

func TestWaiterResyncsAfterCompaction(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := heldT(t, c, "h")
	a := queueT(ctx, t, s, newT(t, c, DefaultGroup), "a")
	// Waiters watch from the current revision, so etcd reports a
	// compaction only when clientv3 resumes a broken watch stream from a
	// compacted revision. The test delivers that report itself: b's first
	// watch, once created, says its history was compacted.
	var calls atomic.Int32
	watches := make(chan struct{}, 10)
	compactFirst := func(wch clientv3.WatchChan) clientv3.WatchChan {
		watches <- struct{}{}
		if calls.Add(1) > 1 {
			return wch
		}
		fake := make(chan clientv3.WatchResponse, 2)
		fake <- <-wch // created
		fake <- clientv3.WatchResponse{CompactRevision: 1, Canceled: true}
		close(fake)
		return fake
	}
	b := acquireAsync(ctx, newT(t, c, DefaultGroup, withWrapWatch(compactFirst)), "b")
	waitFor(t, watches)
	waitFor(t, watches) // b read the queue again and watches again
	for _, id := range []string{"h", "a"} {
		if err := s.Release(ctx, id); err != nil {
			t.Fatal(err)
		}
		next := map[string]<-chan error{"h": a, "a": b}[id]
		if err := result(t, next); err != nil {
			t.Fatalf("waiter after %s left: %v", id, err)
		}
	}
}

func TestHandoffCostDoesNotGrowWithQueue(t *testing.T) {
	for _, n := range []int{2, 20} {
		t.Run(fmt.Sprintf("waiters=%d", n), func(t *testing.T) {
			srv, _ := etcdT(t)
			var rc reqcount.Counter
			counted := countingClient(t, srv, &rc)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			holder := heldT(t, counted, "h")
			watching := make(chan struct{}, n+1)
			// Polls, one a second per waiter, are left out of the count of a handoff.
			waiters := newT(t, counted, DefaultGroup, withPoll(time.Hour), withSettled(func() { watching <- struct{}{} }))
			var results []<-chan error
			for i := range n {
				results = append(results, acquireAsync(ctx, waiters, fmt.Sprintf("w%02d", i)))
				waitFor(t, watching)
			}
			before := rc.Counts()
			if err := holder.Release(ctx, "h"); err != nil {
				t.Fatal(err)
			}
			if err := result(t, results[0]); err != nil {
				t.Fatal(err)
			}
			waitFor(t, watching) // the next waiter now leads the queue
			// One compare-and-swap to release, one to take the slot, one
			// read by the waiter that moved to the head of the queue.
			if got := rc.Counts().Sub(before).Unary; got != 3 {
				t.Errorf("handoff among %d waiters took %d unary requests, want 3", n, got)
			}
			cancel()
			for _, ch := range results[1:] {
				if err := result(t, ch); !errors.Is(err, context.Canceled) {
					t.Errorf("waiter: %v, want context.Canceled", err)
				}
			}
		})
	}
}
