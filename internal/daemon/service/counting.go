package service

import (
	"context"
	"errors"
	"time"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore/slot"
)

// countingLock is a daemon.Lock that counts the errors of its backend (etcd or FleetLock) for
// the metrics: every error but the end of the caller's context and the answers that are no
// failure (no slot held, no stale holder).
type countingLock struct {
	daemon.Lock
	count func()
}

func (l countingLock) seen(err error) error {
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, slot.ErrNotHolder) && !errors.Is(err, slot.ErrNoStaleHolder) {
		l.count()
	}
	return err
}

// Get reads the semaphore.
func (l countingLock) Get(ctx context.Context) (slot.State, error) {
	st, err := l.Lock.Get(ctx)
	return st, l.seen(err)
}

// Acquire takes a slot.
func (l countingLock) Acquire(ctx context.Context, h slot.Holder) error {
	return l.seen(l.Lock.Acquire(ctx, h))
}

// Release gives the slot of id back.
func (l countingLock) Release(ctx context.Context, id string) error {
	return l.seen(l.Lock.Release(ctx, id))
}

// RemoveStale removes a stale holder.
func (l countingLock) RemoveStale(ctx context.Context, maxAge time.Duration, by, reason string) (slot.Holder, error) {
	h, err := l.Lock.RemoveStale(ctx, maxAge, by, reason)
	return h, l.seen(err)
}

// WaitChange waits for a change of the semaphore.
func (l countingLock) WaitChange(ctx context.Context, rev int64) (slot.State, error) {
	st, err := l.Lock.WaitChange(ctx, rev)
	return st, l.seen(err)
}
