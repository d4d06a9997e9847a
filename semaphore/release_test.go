package semaphore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

// loserT returns a Semaphore whose second transaction (its first
// compare-and-swap on a value it read) loses to a write of the very bytes
// already stored, and which runs backedOff before backing off.
func loserT(t *testing.T, srv *embedetcd.Server, c *clientv3.Client, backedOff func(n int, d time.Duration), opts ...Option) *Semaphore {
	lose := losingClient(t, srv, new(int), func() { rewrite(t, c, Key(DefaultGroup)) })
	return newT(t, lose, DefaultGroup, append(opts, withBackedOff(backedOff))...)
}

// twoHoldersT makes a and b hold the two slots of the default group.
func twoHoldersT(t *testing.T, c *clientv3.Client) *Semaphore {
	admin := newT(t, c, DefaultGroup)
	if _, err := admin.SetMax(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := admin.TryAcquire(ctxT(t), Holder{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	return admin
}

func TestReleaseThatLosesARaceIsAppliedByTheNextWrite(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	admin := twoHoldersT(t, c)
	backingOff, resume := make(chan struct{}), make(chan struct{})
	loser := loserT(t, srv, c, func(int, time.Duration) {
		close(backingOff)
		<-resume
	})
	released := make(chan error, 1)
	go func() { released <- loser.Release(ctx, "a") }()
	waitFor(t, backingOff)
	start, err := admin.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// While the loser backs off, b's release applies a's request too.
	if err := newT(t, c, DefaultGroup).Release(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	close(resume)
	if err := result(t, released); err != nil {
		t.Fatalf("Release whose request another write applied: %v", err)
	}
	states := history(t, admin, start.Revision)
	if len(states) != 2 || len(states[1].Holders) != 0 {
		t.Fatalf("values %v, want both slots given back by one write and no further write", states)
	}
	onlySemaphoreKey(t, c, "both releases")
}

func TestReleaseThatGivesUpWithdrawsItsRequest(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	admin := twoHoldersT(t, c)
	rctx, cancel := context.WithCancel(ctx)
	loser := loserT(t, srv, c, func(int, time.Duration) { cancel() })
	if err := loser.Release(rctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Release cancelled while it backs off: %v, want context.Canceled", err)
	}
	if err := newT(t, c, DefaultGroup).Release(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	st, err := admin.Get(ctx)
	if err != nil || !slices.Equal(holderIDs(st), []string{"a"}) {
		t.Fatalf("holders %q, %v; want a, whose Release failed", holderIDs(st), err)
	}
	onlySemaphoreKey(t, c, "the withdrawn release and the other")
}

func TestWritesBackOffAfterLostRaces(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	key := Key(DefaultGroup)
	rawPut(t, c, key, `{"max":1,"holders":[]}`)
	// The first transaction tries the absent key assumed; the second and
	// fourth (compare-and-swaps on values read just before) lose to
	// writes of other holders.
	foreign := map[int]string{2: `{"max":1,"holders":["f2"]}`, 4: `{"max":1,"holders":["f4"]}`}
	type backoff struct {
		n int
		d time.Duration
	}
	var backoffs []backoff
	s := newT(t, racingClient(t, srv, func(n int) {
		if v, ok := foreign[n]; ok {
			rawPut(t, c, key, v)
		}
	}), DefaultGroup, withBackedOff(func(n int, d time.Duration) { backoffs = append(backoffs, backoff{n, d}) }))
	if _, err := s.SetMax(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if len(backoffs) != 2 || backoffs[0].n != 1 || backoffs[1].n != 2 ||
		backoffs[0].d >= minBackoff || backoffs[1].d >= 2*minBackoff {
		t.Fatalf("back-offs %v, want two, below %s and %s", backoffs, minBackoff, 2*minBackoff)
	}
	st, err := s.Get(ctx)
	if err != nil || st.Max != 5 || !slices.Equal(holderIDs(st), []string{"f4"}) {
		t.Fatalf("after SetMax: %+v, %v; want max 5 and the other writer's holder", st, err)
	}
}

func TestBackoffDelayIsJitteredAndBounded(t *testing.T) {
	for n, ceiling := range map[int]time.Duration{1: minBackoff, 2: 2 * minBackoff, 3: 4 * minBackoff, 7: maxBackoff, 100: maxBackoff} {
		if d := backoffDelay(n, func() float64 { return 0 }); d != 0 {
			t.Errorf("backoffDelay(%d) with draw 0 = %s, want 0", n, d)
		}
		if d := backoffDelay(n, func() float64 { return 0.5 }); d != ceiling/2 {
			t.Errorf("backoffDelay(%d) with draw 0.5 = %s, want %s", n, d, ceiling/2)
		}
	}
}

func TestReleaseLeftToTheHeadOfTheQueue(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	admin := heldT(t, c, "h")
	waiting := queueT(ctx, t, admin, newT(t, c, DefaultGroup), "w")
	start, err := admin.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The releaser reads, then loses its compare-and-swap: with a waiter
	// queued, it leaves its request to the head and waits for it as long
	// as it takes.
	txns := 0
	lose := losingClient(t, srv, &txns, func() { rewrite(t, c, admin.Key()) })
	releaser := newT(t, lose, DefaultGroup, withHeadWait(time.Hour))
	if err := releaser.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, waiting); err != nil {
		t.Fatal(err)
	}
	if txns != 2 {
		t.Errorf("Release sent %d transactions, want 2 (a read and the race it lost)", txns)
	}
	states := history(t, admin, start.Revision+1)
	if len(states) != 2 || !slices.Equal(holderIDs(states[1]), []string{"w"}) {
		t.Fatalf("values %v, want the foreign write, then one write giving h's slot to w", states)
	}
	onlySemaphoreKey(t, c, "the release and the admission")
}

func TestReleaseLeftToADeadHeadIsWrittenByTheReleaser(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	admin := heldT(t, c, "h")
	// A waiter whose process is gone but whose key is still there.
	dead := admin.queue + "dead-1"
	rawPut(t, c, dead, "d")
	rawPut(t, c, admin.last, dead)
	// It leaves its request to the head (it does not back off as after
	// an ordinary lost race), which does not apply it; it then writes.
	releaser := loserT(t, srv, c, func(int, time.Duration) { t.Error("backed off instead of waiting for the head") },
		withHeadWait(time.Millisecond))
	if err := releaser.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	st, err := admin.Get(ctx)
	if err != nil || len(st.Holders) != 0 {
		t.Fatalf("holders %q, %v; want none", holderIDs(st), err)
	}
	if keys := allKeys(t, c); !slices.Equal(keys, []string{admin.Key(), admin.last, dead}) {
		t.Fatalf("keys %q, want the semaphore and the dead waiter's keys only", keys)
	}
}
