package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/semaphore/slot"
)

// etcdLock is the daemon.Lock of the etcd semaphore, whose errors tell the operator what to do:
// a timeout says why etcd did not answer when the endpoints show it (refused, not resolving, a
// TLS mismatch; see etcdclient.Config.Diagnose), and a corrupt value names the command that
// repairs it.
type etcdLock struct {
	*semaphore.Semaphore
	cfg etcdclient.Config
}

// Get reads the semaphore.
func (l etcdLock) Get(ctx context.Context) (slot.State, error) {
	st, err := l.Semaphore.Get(ctx)
	return st, l.explain(err)
}

// Acquire takes a slot.
func (l etcdLock) Acquire(ctx context.Context, h slot.Holder) error {
	return l.explain(l.Semaphore.Acquire(ctx, h))
}

// Release gives the slot of id back.
func (l etcdLock) Release(ctx context.Context, id string) error {
	return l.explain(l.Semaphore.Release(ctx, id))
}

// RemoveStale removes a stale holder.
func (l etcdLock) RemoveStale(ctx context.Context, maxAge time.Duration, by, reason string) (slot.Holder, error) {
	h, err := l.Semaphore.RemoveStale(ctx, maxAge, by, reason)
	return h, l.explain(err)
}

// WaitChange waits for a change of the semaphore.
func (l etcdLock) WaitChange(ctx context.Context, rev int64) (slot.State, error) {
	st, err := l.Semaphore.WaitChange(ctx, rev)
	return st, l.explain(err)
}

// explain adds to err what the operator needs to know.
func (l etcdLock) explain(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, semaphore.ErrCorrupt):
		return fmt.Errorf("%w (an operator must repair it: locksmithctl repair shows what it would write, --force writes it)", err)
	case errors.Is(err, context.DeadlineExceeded):
		ctx, cancel := context.WithTimeout(context.Background(), etcdclient.DiagnoseTimeout)
		defer cancel()
		if ue, ok := errors.AsType[*etcdclient.UnreachableError](l.cfg.Diagnose(ctx, etcdclient.DiagnoseTimeout)); ok {
			hint := ""
			if ue.NoServer {
				hint = " (is etcd running? set LOCKSMITHD_ENDPOINT in /etc/flatcar/update.conf, or --endpoint)"
			}
			return fmt.Errorf("%v%s: %w", ue, hint, err)
		}
	}
	return err
}
