package semaphore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWaitChangeReturnsTheNextState(t *testing.T) {
	_, c := etcdT(t)
	s := heldT(t, c, "a")
	st, err := s.Get(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	changed := make(chan State, 1)
	go func() {
		next, err := s.WaitChange(ctxT(t), st.Revision)
		if err != nil {
			t.Error(err)
		}
		changed <- next
	}()
	if err := s.Release(ctxT(t), "a"); err != nil {
		t.Fatal(err)
	}
	if next := waitFor(t, changed); len(next.Holders) != 0 || next.Revision <= st.Revision {
		t.Fatalf("WaitChange returned %+v, want no holders after revision %d", next, st.Revision)
	}
	// A change since rev is returned at once.
	next, err := s.WaitChange(ctxT(t), st.Revision)
	if err != nil || len(next.Holders) != 0 {
		t.Fatalf("WaitChange after a past change: %+v, %v", next, err)
	}
}

func TestWaitChangeEndsWithItsContext(t *testing.T) {
	_, c := etcdT(t)
	s := heldT(t, c, "a")
	st, err := s.Get(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stopped by the test")
	ctx, cancel := context.WithCancelCause(ctxT(t))
	done := make(chan error, 1)
	go func() {
		_, err := s.WaitChange(ctx, st.Revision)
		done <- err
	}()
	cancel(stop)
	if err := waitFor(t, done); !errors.Is(err, stop) {
		t.Fatalf("WaitChange after the context ended: %v, want its cause", err)
	}
}

// An operation whose context's deadline passed names the endpoints and the cause, and still
// matches both; a context cancelled for another reason is left as it is.
func TestTimeoutNamesTheEndpoints(t *testing.T) {
	_, c := etcdT(t)
	s := newT(t, c, DefaultGroup)
	ctx, cancel := context.WithDeadline(ctxT(t), time.Now().Add(-time.Second))
	defer cancel()
	_, err := s.Get(ctx)
	want := "etcd at " + strings.Join(c.Endpoints(), ",") + ": context deadline exceeded (get " + s.Key()
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get after the deadline: %v, want it to start with %q", err, want)
	}
	ctx, cancel = context.WithCancel(ctxT(t))
	cancel()
	if err := s.Release(ctx, "a"); err == nil || strings.Contains(err.Error(), "etcd at") {
		t.Fatalf("Release under a cancelled context: %v, want the plain error", err)
	}
}

func TestLastIsWhatWasSeen(t *testing.T) {
	_, c := etcdT(t)
	s := newT(t, c, DefaultGroup)
	if _, ok := s.Last(); ok {
		t.Fatal("Last before any request reported a state")
	}
	if err := s.TryAcquire(ctxT(t), Holder{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	if st, ok := s.Last(); !ok || len(st.Holders) != 1 || st.Holders[0].ID != "a" {
		t.Fatalf("Last after TryAcquire = %+v, %v; want holder a", st, ok)
	}
}

func TestGroupsListsExistingSemaphores(t *testing.T) {
	_, c := etcdT(t)
	if got, err := Groups(ctxT(t), c); err != nil || len(got) != 0 {
		t.Fatalf("Groups of an empty etcd = %q, %v", got, err)
	}
	for _, g := range []string{"workers", DefaultGroup, "a b/c"} {
		if err := newT(t, c, g).TryAcquire(ctxT(t), Holder{ID: "n1"}); err != nil {
			t.Fatal(err)
		}
	}
	// A waiter key of a group is not a group.
	rawPut(t, c, Key("workers")+"/waiters/1", "n2")
	got, err := Groups(ctxT(t), c)
	if err != nil || strings.Join(got, "|") != "|a b/c|workers" {
		t.Fatalf("Groups = %q, %v; want the default group, \"a b/c\" and workers", got, err)
	}
}
