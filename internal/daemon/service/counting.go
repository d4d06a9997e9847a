package service

import (
	"context"
	"errors"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore/slot"
)

// countingLock returns lock, counting with count the errors of its backend (etcd or FleetLock)
// for the metrics: every error but the end of the caller's context and the answers that are no
// failure (no slot held, no stale holder).
func countingLock(lock daemon.Lock, count func()) daemon.Lock {
	return wrapLock{lock, func(err error) error {
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, slot.ErrNotHolder) && !errors.Is(err, slot.ErrNoStaleHolder) {
			count()
		}
		return err
	}}
}
