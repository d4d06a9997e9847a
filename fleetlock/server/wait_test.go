package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore"
)

// A long-polling client gets the slot a holder gives back, in the same request.
func TestLongPollHandoff(t *testing.T) {
	r := newRig(t, server.Config{})
	a, b := r.client("a", "default"), r.client("b", "default")
	if _, err := a.TryLock(r.ctx(), 0); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	var waited bool
	go func() {
		var err error
		waited, err = b.TryLock(r.ctx(), patience)
		got <- err
	}()
	waitWaiters(t, r, "default", "b")
	if err := a.Unlock(r.ctx()); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil || !waited {
		t.Fatalf("long poll of b: %v (extension granted: %v), want the slot", err, waited)
	}
	if h := r.holders(semaphore.DefaultGroup); len(h) != 1 || h[0] != "b" {
		t.Fatalf("holders %q, want b", h)
	}
}

// A long poll that outlasts its wait gets 409, and the client keeps its place.
func TestLongPollEnds(t *testing.T) {
	r := newRig(t, server.Config{MaxWait: 50 * time.Millisecond})
	if _, err := r.client("a", "default").TryLock(r.ctx(), 0); err != nil {
		t.Fatal(err)
	}
	waited, err := r.client("b", "default").TryLock(r.ctx(), time.Hour)
	if !errors.Is(err, fleetlock.ErrSemaphoreFull) || !waited {
		t.Fatalf("long poll past the server's limit: %v (granted %v), want full, granted", err, waited)
	}
	waitWaiters(t, r, "default", "b")
}

// A FleetLock client joins the same FIFO queue as locksmithd's etcd waiters: neither overtakes.
func TestSharedFIFO(t *testing.T) {
	r := newRig(t, server.Config{})
	sem := r.sem(semaphore.DefaultGroup)
	if err := sem.TryAcquire(r.ctx(), semaphore.Holder{ID: "holder"}); err != nil {
		t.Fatal(err)
	}
	etcdFirst := make(chan error, 1)
	go func() { etcdFirst <- r.sem(semaphore.DefaultGroup).Acquire(r.ctx(), semaphore.Holder{ID: "etcd-node"}) }()
	waitWaiters(t, r, "default", "etcd-node")
	if _, err := r.client("zincati", "default").TryLock(r.ctx(), 0); !errors.Is(err, fleetlock.ErrSemaphoreFull) {
		t.Fatalf("pre-reboot behind an etcd waiter: %v, want full", err)
	}
	waitWaiters(t, r, "default", "etcd-node", "zincati")
	if err := sem.Release(r.ctx(), "holder"); err != nil {
		t.Fatal(err)
	}
	if err := <-etcdFirst; err != nil {
		t.Fatal(err)
	}
	if h := r.holders(semaphore.DefaultGroup); len(h) != 1 || h[0] != "etcd-node" {
		t.Fatalf("holders %q, want the etcd node, which came first", h)
	}
	waitWaiters(t, r, "default", "zincati")
	if err := sem.Release(r.ctx(), "etcd-node"); err != nil {
		t.Fatal(err)
	}
	// Zincati was admitted while away; its next poll finds the slot its own.
	if _, _, err := r.logs.Wait(r.ctx(), 0, "was admitted into a slot", "id=zincati"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client("zincati", "default").TryLock(r.ctx(), 0); err != nil {
		t.Fatalf("pre-reboot after the admission: %v", err)
	}
}

// A slot admitted to a polling client that does not come back within the claim timeout is given
// back, so that it is not idle longer than that; a place in the queue expires the same way.
func TestClaimTimeout(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))
	const timeout = 6 * time.Minute
	r := newRig(t, server.Config{ClaimTimeout: timeout, Clock: clk})
	a, away := r.client("a", "default"), r.client("away", "default")
	if _, err := a.TryLock(r.ctx(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := away.TryLock(r.ctx(), 0); !errors.Is(err, fleetlock.ErrSemaphoreFull) {
		t.Fatalf("pre-reboot on a full semaphore: %v", err)
	}
	waitWaiters(t, r, "default", "away")
	if err := a.Unlock(r.ctx()); err != nil {
		t.Fatal(err)
	}
	waitHolders(t, r, "away")
	// The claim timeout runs again from the admission, which is logged once its timer is set.
	if _, _, err := r.logs.Wait(r.ctx(), 0, "was admitted into a slot", "id=away"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(timeout - time.Second)
	if h := r.holders(semaphore.DefaultGroup); len(h) != 1 {
		t.Fatalf("holders %q before the claim timeout, want away", h)
	}
	clk.Advance(time.Second)
	waitHolders(t, r)
	if _, _, err := r.logs.Wait(r.ctx(), 0, "gave back the slot admitted to a client that did not come back", "id=away"); err != nil {
		t.Fatal(err)
	}

	// A queued client that stays away loses its place.
	if _, err := a.TryLock(r.ctx(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := away.TryLock(r.ctx(), 0); !errors.Is(err, fleetlock.ErrSemaphoreFull) {
		t.Fatalf("pre-reboot on a full semaphore: %v", err)
	}
	waitWaiters(t, r, "default", "away")
	if err := clk.BlockUntilTimer(r.ctx(), timeout); err != nil {
		t.Fatal(err)
	}
	clk.Advance(timeout)
	waitWaiters(t, r, "default")
}

// With mutual TLS and CertificateAuthorizer, a client may lock and unlock only the id its
// certificate names.
func TestCertificateNamesTheID(t *testing.T) {
	r := newTLSRig(t)
	own, other := r.client("locksmith-client", "default"), r.client("other", "default")
	if _, err := own.TryLock(r.ctx(), 0); err != nil {
		t.Fatalf("pre-reboot for the certificate's own id: %v", err)
	}
	for name, op := range map[string]func(context.Context) error{
		"pre-reboot":   func(ctx context.Context) error { _, err := other.TryLock(ctx, 0); return err },
		"steady-state": other.Unlock,
	} {
		err := op(r.ctx())
		if fe, ok := errors.AsType[*fleetlock.Error](err); !ok || fe.Status != 403 || fe.Kind != fleetlock.KindForbidden {
			t.Errorf("%s for another id: %v, want 403 %s", name, err, fleetlock.KindForbidden)
		}
	}
	if h := r.holders(semaphore.DefaultGroup); len(h) != 1 || h[0] != "locksmith-client" {
		t.Fatalf("holders %q", h)
	}
}

// waitWaiters waits until the group's queue holds exactly ids, in order.
func waitWaiters(t *testing.T, r *rig, group string, ids ...string) {
	t.Helper()
	sem := r.sem(fleetlock.LocksmithGroup(group))
	var got []string
	r.until(func() bool {
		got, _ = sem.Waiters(r.ctx())
		return fmt.Sprint(got) == fmt.Sprint(ids)
	}, func() string { return fmt.Sprintf("queue %q, want %q", got, ids) })
}

// waitHolders waits until the default group's holders are exactly ids.
func waitHolders(t *testing.T, r *rig, ids ...string) {
	t.Helper()
	var got []string
	r.until(func() bool {
		got = r.holders(semaphore.DefaultGroup)
		return fmt.Sprint(got) == fmt.Sprint(ids)
	}, func() string { return fmt.Sprintf("holders %q, want %q", got, ids) })
}
