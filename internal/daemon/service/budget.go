package service

import (
	"context"
	"time"

	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/semaphore/slot"
)

// budget counts this machine's failed reboots in its group's semaphore (daemon.Budget).
type budget struct {
	sem    *semaphore.Semaphore
	id     string
	limit  int
	window time.Duration
}

// Fail records the failure with semaphore.Fail and returns the group's freeze, if any.
func (b budget) Fail(ctx context.Context, reason string) (*slot.Freeze, error) {
	st, err := b.sem.Fail(ctx, semaphore.Failure{ID: b.id, Reason: reason}, b.limit, b.window)
	return st.Freeze, err
}
