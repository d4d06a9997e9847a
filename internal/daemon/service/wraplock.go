package service

import (
	"context"
	"time"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore/slot"
)

// wrapLock is a daemon.Lock whose errors pass through wrap: etcdLock words them for the
// operator, countingLock counts them for the metrics.
type wrapLock struct {
	daemon.Lock
	wrap func(error) error
}

// Get reads the semaphore.
func (l wrapLock) Get(ctx context.Context) (slot.State, error) {
	st, err := l.Lock.Get(ctx)
	return st, l.wrap(err)
}

// Acquire takes a slot.
func (l wrapLock) Acquire(ctx context.Context, h slot.Holder) error {
	return l.wrap(l.Lock.Acquire(ctx, h))
}

// Release gives the slot of id back.
func (l wrapLock) Release(ctx context.Context, id string) error {
	return l.wrap(l.Lock.Release(ctx, id))
}

// RemoveStale removes a stale holder.
func (l wrapLock) RemoveStale(ctx context.Context, maxAge time.Duration, by, reason string) (slot.Holder, error) {
	h, err := l.Lock.RemoveStale(ctx, maxAge, by, reason)
	return h, l.wrap(err)
}

// WaitChange waits for a change of the semaphore.
func (l wrapLock) WaitChange(ctx context.Context, rev int64) (slot.State, error) {
	st, err := l.Lock.WaitChange(ctx, rev)
	return st, l.wrap(err)
}
