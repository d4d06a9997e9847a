package semaphore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"locksmith.dev/locksmith/internal/testkit/reqcount"
)

// testPoll is how often the waiters of these tests read what they watch.
const testPoll = 20 * time.Millisecond

// frozenWatches returns a watch wrapper that makes the first n watches it wraps (all of them
// when n < 0) behave as on a frozen etcd member: etcd confirms them, then nothing more arrives,
// and no error either.
func frozenWatches(n int64) func(clientv3.WatchChan) clientv3.WatchChan {
	var count atomic.Int64
	return func(wch clientv3.WatchChan) clientv3.WatchChan {
		if n >= 0 && count.Add(1) > n {
			return wch
		}
		frozen := make(chan clientv3.WatchResponse, 1)
		frozen <- <-wch // created
		return frozen
	}
}

// The head of the queue whose watch delivers nothing still fills the slot freed: it reads the
// semaphore every poll interval.
func TestHeadWithAFrozenWatchFillsTheSlot(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	holder := heldT(t, c, "h")
	b := queueT(ctx, t, holder, newT(t, c, DefaultGroup, withPoll(testPoll), withWrapWatch(frozenWatches(-1))), "b")
	if err := holder.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, b); err != nil {
		t.Fatalf("head whose watch is frozen: %v, want the slot", err)
	}
	if st, err := holder.Get(ctx); err != nil || len(st.Holders) != 1 || st.Holders[0].ID != "b" {
		t.Fatalf("after the release: %+v, %v; want b alone", st, err)
	}
}

// A waiter whose watch of the waiter ahead delivers nothing still moves up when that waiter
// leaves, and then leads.
func TestFollowerWithAFrozenWatchMovesUp(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	holder := heldT(t, c, "h")
	a := queueT(ctx, t, holder, newT(t, c, DefaultGroup), "a")
	b := queueT(ctx, t, holder, newT(t, c, DefaultGroup, withPoll(testPoll), withWrapWatch(frozenWatches(1))), "b")
	handOver(ctx, t, holder, a, b)
}

// handOver releases, with holder, the slot of h, then that of a, and checks that the waiter a
// and then b gets it.
func handOver(ctx context.Context, t *testing.T, holder *Semaphore, a, b <-chan error) {
	t.Helper()
	for _, step := range []struct {
		leaves string
		next   <-chan error
	}{{"h", a}, {"a", b}} {
		if err := holder.Release(ctx, step.leaves); err != nil {
			t.Fatal(err)
		}
		if err := result(t, step.next); err != nil {
			t.Fatalf("waiter after %s left: %v", step.leaves, err)
		}
	}
}

// unconfirmedWatch is a watch wrapper that makes every watch behave as one on a stream stuck on a
// frozen etcd member: etcd never confirms it, nor sends anything else.
func unconfirmedWatch(clientv3.WatchChan) clientv3.WatchChan {
	return make(chan clientv3.WatchResponse)
}

// Waiters whose watches etcd never confirms (a confirmation timeout of an hour: only their reads
// can serve them) still move up when the waiter ahead leaves, and fill the slots freed: they read
// every poll interval while they wait for the confirmation.
func TestWaitersWhoseWatchesAreNeverConfirmedMoveUp(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	holder := heldT(t, c, "h")
	blind := func() *Semaphore {
		return newT(t, c, DefaultGroup, withPoll(testPoll), withConfirm(time.Hour), withWrapWatch(unconfirmedWatch))
	}
	a := queueT(ctx, t, holder, blind(), "a") // the head
	b := queueT(ctx, t, holder, blind(), "b") // behind it
	handOver(ctx, t, holder, a, b)
	if st, err := holder.Get(ctx); err != nil || len(st.Holders) != 1 || st.Holders[0].ID != "b" {
		t.Fatalf("after a left: %+v, %v; want b alone", st, err)
	}
}

// A waiter whose requests fail as if no etcd member were reachable stays in the queue, with its
// lease: when etcd answers again it takes the slot that was freed meanwhile, before the waiter
// that came after it, and it never queued again.
func TestWaiterKeepsItsPlaceWhileEtcdIsUnavailable(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	var rc reqcount.Counter
	var failing atomic.Bool
	unavailable := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if failing.Load() {
			return status.Error(codes.Unavailable, "injected: no member reachable")
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	troubled := make(chan error, 100)
	ac := clientT(t, srv, append(rc.DialOptions(), unavailable)...)
	holder := heldT(t, c, "h")
	a := queueT(ctx, t, holder, newT(t, ac, DefaultGroup, withPoll(testPoll), WithTrouble(func(err error) {
		select {
		case troubled <- err:
		default:
		}
	})), "a")
	b := queueT(ctx, t, holder, newT(t, c, DefaultGroup), "b")

	failing.Store(true)
	if err := waitFor(t, troubled); !retryable(ctx, err) {
		t.Fatalf("trouble reported: %v, want the injected failure", err)
	}
	if err := holder.Release(ctx, "h"); err != nil { // after the head wait, by its own write
		t.Fatal(err)
	}
	if st, err := holder.Get(ctx); err != nil || len(st.Holders) != 0 {
		t.Fatalf("after the release: %+v, %v; want the slot free, kept for a", st, err)
	}
	failing.Store(false)
	if err := result(t, a); err != nil {
		t.Fatalf("waiter once etcd answers again: %v, want the slot", err)
	}
	if st, err := holder.Get(ctx); err != nil || len(st.Holders) != 1 || st.Holders[0].ID != "a" {
		t.Fatalf("after a's wait: %+v, %v; want a alone", st, err)
	}
	if grants := rc.ByMethod()["/etcdserverpb.Lease/LeaseGrant"]; grants != 1 {
		t.Fatalf("a granted %d leases, want 1: it queued again", grants)
	}
	if err := holder.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, b); err != nil {
		t.Fatal(err)
	}
}

// A waiter reads its place every poll while the head could admit it next, less often the
// further back it is.
func TestFollowPoll(t *testing.T) {
	for _, tc := range []struct {
		ahead  int64
		window int
		want   time.Duration
	}{
		{0, 5, time.Second},
		{1, 5, 500 * time.Millisecond}, // right behind the head: as often as the head
		{5, 5, time.Second},
		{9, 5, time.Second},
		{10, 5, 2 * time.Second},
		{100, 5, 20 * time.Second},
		{10000, 5, maxFollowPoll},
		{3, 0, 3 * time.Second}, // max 0: the window is 1
	} {
		if got := followPoll(time.Second, tc.ahead, tc.window); got != tc.want {
			t.Errorf("followPoll(1s, %d ahead, window %d) = %s, want %s", tc.ahead, tc.window, got, tc.want)
		}
	}
	if got := followPoll(time.Hour, 2, 1); got != maxFollowPoll {
		t.Errorf("followPoll(1h, 2, 1) = %s, want %s", got, maxFollowPoll)
	}
}
