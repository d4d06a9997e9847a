package fleetlock_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/semaphore/slot"
)

// serve runs a FleetLock server on a real embedded etcd over loopback HTTP, and returns its URL
// and a semaphore of the default group.
func serve(t *testing.T, cfg server.Config) (string, *semaphore.Semaphore) {
	t.Helper()
	c := embedetcd.StartT(t).ClientT(t)
	srv := server.New(c, cfg)
	hs := httptest.NewServer(srv.Handler())
	sem := semaphore.New(c, semaphore.DefaultGroup)
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
		_ = sem.Close()
	})
	return hs.URL, sem
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func listsMe(st slot.State) bool { _, ok := st.Holder("me"); return ok }

// NodeLock answers Get from what it knows: at start a slot of unknown boot, without asking; after
// Acquire, what a recursive pre-reboot says; after Release, none.
func TestNodeLockStates(t *testing.T) {
	dead := fleetlock.NewNodeLock(&fleetlock.Client{URL: "http://127.0.0.1:1", ID: "me", Group: "default"})
	if st, err := dead.Get(ctxT(t)); err != nil || !listsMe(st) || st.Holders[0].BootID != "" {
		t.Fatalf("Get at start = %+v, %v; want this machine listed, boot unknown, without a request", st, err)
	}
	url, sem := serve(t, server.Config{})
	l := fleetlock.NewNodeLock(&fleetlock.Client{URL: url, ID: "me", Group: "default"})
	if err := l.Acquire(ctxT(t), slot.Holder{ID: "me"}); err != nil {
		t.Fatal(err)
	}
	if st, err := l.Get(ctxT(t)); err != nil || !listsMe(st) {
		t.Fatalf("Get after Acquire = %+v, %v", st, err)
	}
	// An operator frees the slot and another node takes it: the slot is lost.
	if err := sem.Release(ctxT(t), "me"); err != nil {
		t.Fatal(err)
	}
	if err := sem.TryAcquire(ctxT(t), semaphore.Holder{ID: "other"}); err != nil {
		t.Fatal(err)
	}
	if st, err := l.Get(ctxT(t)); err != nil || listsMe(st) {
		t.Fatalf("Get after the slot was lost = %+v, %v; want this machine not listed", st, err)
	}
	if err := sem.Release(ctxT(t), "other"); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctxT(t), "me"); err != nil {
		t.Fatal(err)
	}
	if st, err := l.Get(ctxT(t)); err != nil || listsMe(st) {
		t.Fatalf("Get after Release = %+v, %v", st, err)
	}
	if _, err := l.RemoveStale(ctxT(t), time.Hour, "me", "x"); !errors.Is(err, fleetlock.ErrNoStaleRemoval) {
		t.Fatalf("RemoveStale = %v", err)
	}
}

// Against a server without the long-poll extension, Lock polls at the poll interval.
func TestLockPollsWithoutTheExtension(t *testing.T) {
	url, sem := serve(t, server.Config{MaxWait: -1})
	if err := sem.TryAcquire(ctxT(t), semaphore.Holder{ID: "other"}); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))
	c := &fleetlock.Client{URL: url, ID: "me", Group: "default", PollInterval: time.Minute, Clock: clk}
	done := make(chan error, 1)
	finished, markFinished := context.WithCancel(ctxT(t))
	go func() {
		done <- c.Lock(ctxT(t))
		markFinished()
	}()
	if err := clk.BlockUntil(ctxT(t), 1); err != nil { // the first poll was refused; it sleeps
		t.Fatal(err)
	}
	if err := sem.Release(ctxT(t), "other"); err != nil {
		t.Fatal(err)
	}
	// Each poll waits at most the longest jittered interval; the server's queue admits the client
	// soon after the release, and a poll after that gets the slot. Until Lock returns, move the
	// time on whenever it sleeps.
	for clk.BlockUntil(finished, 1) == nil {
		clk.Advance(72 * time.Second)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st, _ := sem.Get(ctxT(t)); !listsMe(st) {
		t.Fatalf("holders %+v, want me", st.Holders)
	}
}

// A refusal that retrying cannot mend ends Lock.
func TestLockStopsOnABadRequest(t *testing.T) {
	url, _ := serve(t, server.Config{})
	err := (&fleetlock.Client{URL: url, ID: "me", Group: "bad/group"}).Lock(ctxT(t))
	if fe, ok := errors.AsType[*fleetlock.Error](err); !ok || fe.Kind != fleetlock.KindBadRequest {
		t.Fatalf("Lock with a bad group = %v, want bad_request", err)
	}
}
