package sim

import (
	"context"
	"errors"
	"time"

	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore"
)

// The back-off of old locksmith between two tries of the lock, on the
// daemons' (simulated) clock.
const (
	pollInitial = 10 * time.Second
	pollMax     = 5 * time.Minute
)

// pollingLock is a [daemon.Lock] that waits for a slot the way old
// locksmith does: it tries to take one and, while the semaphore is full,
// sleeps a back-off that starts at pollInitial and doubles up to pollMax.
// Every other method is the wrapped Lock's.
type pollingLock struct {
	daemon.Lock
	// try takes a slot without waiting, failing with semaphore.ErrFull.
	try   func(ctx context.Context, h semaphore.Holder) error
	clock clock.Clock
	// waiting is told when Acquire starts and stops waiting (the monitor
	// cannot see polling waiters in etcd).
	waiting func(id string, waiting bool)
}

// Acquire polls until h holds a slot. It returns nil then, or the error of
// a try that failed for another reason than a full semaphore, or ctx's
// cause.
func (l pollingLock) Acquire(ctx context.Context, h semaphore.Holder) error {
	l.waiting(h.ID, true)
	delay := pollInitial
	for {
		err := l.try(ctx, h)
		if !errors.Is(err, semaphore.ErrFull) {
			if err != nil {
				l.waiting(h.ID, false)
			}
			return err
		}
		if err := clock.Sleep(ctx, l.clock, delay); err != nil {
			l.waiting(h.ID, false)
			return err
		}
		delay = min(2*delay, pollMax)
	}
}

// baselineLock wraps the semaphore of node n in the locksmith-style polling of the baseline run.
func (f *fleet) baselineLock(n *node, sem *semaphore.Semaphore) daemon.Lock {
	return pollingLock{Lock: sem, try: sem.TryAcquire, clock: f.clk, waiting: func(id string, waiting bool) {
		if waiting {
			f.mon.MarkWaiting(n.group, id)
		} else {
			f.mon.UnmarkWaiting(n.group, id)
		}
	}}
}
