package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/semaphore"
)

// EtcdLock is the [Lock] of a real semaphore: the Semaphore's methods,
// whose errors after a timeout name the endpoints and the timeout, and
// WaitChange from an etcd watch on the semaphore's key.
type EtcdLock struct {
	*semaphore.Semaphore
	// Client is the client the Semaphore uses.
	Client *clientv3.Client
}

// Get reads the semaphore; see semaphore.Semaphore.Get and [EtcdLock.explain].
func (l EtcdLock) Get(ctx context.Context) (semaphore.State, error) {
	st, err := l.Semaphore.Get(ctx)
	return st, l.explain(ctx, err)
}

// Acquire takes a slot; see semaphore.Semaphore.Acquire and [EtcdLock.explain].
func (l EtcdLock) Acquire(ctx context.Context, h semaphore.Holder) error {
	return l.explain(ctx, l.Semaphore.Acquire(ctx, h))
}

// Release frees the slot of id; see semaphore.Semaphore.Release and
// [EtcdLock.explain].
func (l EtcdLock) Release(ctx context.Context, id string) error {
	return l.explain(ctx, l.Semaphore.Release(ctx, id))
}

// RemoveStale removes a stale holder; see semaphore.Semaphore.RemoveStale
// and [EtcdLock.explain].
func (l EtcdLock) RemoveStale(ctx context.Context, maxAge time.Duration, by, reason string) (semaphore.Holder, error) {
	h, err := l.Semaphore.RemoveStale(ctx, maxAge, by, reason)
	return h, l.explain(ctx, err)
}

// explain words err, the error of an operation under ctx. When ctx timed
// out first, etcd's error says only "context canceled" (or "deadline
// exceeded"); the result, which wraps both, starts with the endpoints and
// ctx's cause instead: "etcd at http://10.0.0.1:2379: timed out after 10s
// (get …: context canceled)". Other errors are returned as they are.
func (l EtcdLock) explain(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	if !errors.Is(cause, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("etcd at %s: %w (%w)", strings.Join(l.Client.Endpoints(), ","), cause, err)
}

// WaitChange watches the semaphore's key from revision rev+1 and returns
// the state read after the first change (immediately if the key changed
// since rev, or if the watch reports that history as compacted). It returns
// an error if the watch fails or ctx ends.
func (l EtcdLock) WaitChange(ctx context.Context, rev int64) (semaphore.State, error) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range l.Client.Watch(wctx, l.Key(), clientv3.WithRev(rev+1)) {
		if resp.CompactRevision != 0 || len(resp.Events) > 0 {
			return l.Get(ctx)
		}
		if err := resp.Err(); err != nil {
			return semaphore.State{}, fmt.Errorf("watch %s: %w", l.Key(), err)
		}
	}
	if err := ctx.Err(); err != nil {
		return semaphore.State{}, l.explain(ctx, fmt.Errorf("watch %s: %w", l.Key(), context.Cause(ctx)))
	}
	return semaphore.State{}, fmt.Errorf("watch %s: closed", l.Key())
}
