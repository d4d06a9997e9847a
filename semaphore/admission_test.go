package semaphore

import (
	"fmt"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/reqcount"
)

func TestNewcomerThatLosesARaceQueues(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	admin := heldT(t, c, "x")
	if _, err := admin.SetMax(ctx, 3); err != nil {
		t.Fatal(err)
	}
	start, err := admin.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The newcomer's first transaction tries the absent key it assumes;
	// its second, the first on a value it read, loses to another writer,
	// which still leaves a slot free.
	txns := 0
	newcomer := newT(t, losingClient(t, srv, &txns, func() {
		rawPut(t, c, admin.Key(), `{"semaphore":1,"max":3,"holders":["x","y"]}`)
	}), DefaultGroup)
	h := Holder{ID: "n", Hostname: "host-n", BootID: "boot-n", Reason: "reboot"}
	if err := newcomer.Acquire(ctx, h); err != nil {
		t.Fatal(err)
	}
	// No third compare-and-swap on the value: it queued (one
	// transaction), led the queue and took the slot (one more).
	if txns != 4 {
		t.Errorf("Acquire sent %d transactions, want 4 (assumed value, lost race, enqueue, take)", txns)
	}
	states := history(t, admin, start.Revision+1)
	last := states[len(states)-1]
	if len(states) != 2 || !slices.Equal(holderIDs(last), []string{"n", "x", "y"}) {
		t.Fatalf("values %v, want the foreign write, then n admitted", states)
	}
	if got, _ := last.Holder("n"); got.Hostname != h.Hostname || got.BootID != h.BootID || got.Reason != h.Reason || got.AcquiredAt.IsZero() {
		t.Errorf("n holds %+v, want the facts it asked with and the time it was admitted", got)
	}
	// It took the slot as a waiter: its waiter key was created, then
	// deleted by the write that admitted it.
	evs := queueHistory(t, admin, start.Revision+1, last.Revision)
	if len(evs) != 2 || !evs[0].IsCreate() || string(evs[0].Kv.Value) != "n" ||
		evs[1].Type != clientv3.EventTypeDelete || string(evs[1].Kv.Key) != string(evs[0].Kv.Key) || evs[1].Kv.ModRevision != last.Revision {
		t.Fatalf("queue events %v, want n's waiter key put, then deleted at revision %d", evs, last.Revision)
	}
}

func TestHeadAdmitsAsManyWaitersAsFreeSlotsInOneWrite(t *testing.T) {
	for _, k := range []int{2, 8} {
		t.Run(fmt.Sprintf("slots=%d", k), func(t *testing.T) {
			srv, c := etcdT(t)
			ctx := ctxT(t)
			admin := newT(t, c, DefaultGroup)
			if _, err := admin.SetMax(ctx, k); err != nil {
				t.Fatal(err)
			}
			for i := range k {
				if err := admin.TryAcquire(ctx, Holder{ID: fmt.Sprintf("h%d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			// k+1 waiters, each with its own Semaphore (and lease), as
			// nodes would: k get the slots, the last one stays queued.
			var rc reqcount.Counter
			counted := countingClient(t, srv, &rc)
			settled := make(chan struct{}, 2*k+2)
			var results []<-chan error
			for i := range k + 1 {
				s := newT(t, counted, DefaultGroup, withPoll(time.Hour), withSettled(func() { settled <- struct{}{} })) // no poll in the count
				results = append(results, acquireAsync(ctx, s, fmt.Sprintf("w%d", i)))
				waitFor(t, settled)
			}
			start, err := admin.Get(ctx)
			if err != nil {
				t.Fatal(err)
			}
			before := rc.Counts()
			if _, err := admin.SetMax(ctx, 2*k); err != nil {
				t.Fatal(err)
			}
			for _, ch := range results[:k] {
				if err := result(t, ch); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, settled) // the waiter left behind now leads the queue
			// The head, queued first, knows of nobody behind it: its
			// first compare-and-swap finds that waiters came since and
			// reads them; the second admits all k. Each of the k-1
			// others reads once to learn that it holds a slot, and the
			// waiter left behind once to lead.
			if got, want := rc.Counts().Sub(before).Unary, int64(k+2); got != want {
				t.Errorf("%d free slots cost the waiters %d requests, want %d", k, got, want)
			}
			states := history(t, admin, start.Revision+1)
			if len(states) != 2 || len(states[1].Holders) != 2*k {
				t.Fatalf("values %v, want SetMax, then one write admitting %d waiters", states, k)
			}
			checkAdmissions(t, states)
			if ids, err := admin.Waiters(ctx); err != nil || !slices.Equal(ids, []string{fmt.Sprintf("w%d", k)}) {
				t.Fatalf("waiters %q, %v; want only the last one", ids, err)
			}
		})
	}
}

func TestAdmittedWaitersKeepTheirFacts(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	admin := heldT(t, c, "h")
	headAt := time.Date(2026, 4, 1, 2, 3, 4, 0, time.UTC)
	head := newT(t, c, DefaultGroup, WithClock(func() time.Time { return headAt }))
	first := queueT(ctx, t, admin, head, "a")
	other := newT(t, c, DefaultGroup, WithClock(func() time.Time { return headAt.Add(time.Hour) }))
	b := Holder{ID: "b", Hostname: "host b&c", BootID: "boot-b", Reason: "reboot?"}
	second := make(chan error, 1)
	go func() { second <- other.Acquire(ctx, b) }()
	waitWaiters(t, admin, "a", "b")
	if _, err := admin.SetMax(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan error{first, second} {
		if err := result(t, ch); err != nil {
			t.Fatal(err)
		}
	}
	st, err := admin.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The head wrote b's facts, read from b's waiter key, and the time
	// by its own clock.
	b.AcquiredAt = headAt
	if got, _ := st.Holder("b"); got != b {
		t.Fatalf("b holds %+v, want %+v", got, b)
	}
}

func TestNewcomerBehindAWaiterKeyDeletedByHandIsNotStranded(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	admin := heldT(t, c, "h")
	a := queueT(ctx, t, admin, newT(t, c, DefaultGroup), "a")
	b := queueT(ctx, t, admin, newT(t, c, DefaultGroup), "b")
	keys, _ := queueKeys(t, admin)
	if _, err := c.Delete(ctx, keys[1]); err != nil {
		t.Fatal(err)
	}
	// c finds b's key named as the last waiter, gone, and looks for the
	// waiter ahead of it.
	cres := queueT(ctx, t, admin, newT(t, c, DefaultGroup), "c")
	for _, step := range []struct {
		release, next string
		result        <-chan error
	}{{"h", "a", a}, {"a", "c", cres}, {"c", "b", b}} {
		if err := admin.Release(ctx, step.release); err != nil {
			t.Fatal(err)
		}
		if err := result(t, step.result); err != nil {
			t.Fatalf("%s after %s left: %v", step.next, step.release, err)
		}
		st, err := admin.Get(ctx)
		if err != nil || !slices.Equal(holderIDs(st), []string{step.next}) {
			t.Fatalf("holders %q, %v after %s left; want %s", holderIDs(st), err, step.release, step.next)
		}
	}
}
